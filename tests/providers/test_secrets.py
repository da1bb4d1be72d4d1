from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from erpai.config import get_settings
from erpai.security import decrypt_secret, encrypt_secret, mask_secret, reset_secret_cache


@pytest.fixture
def fresh_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("ERPAI_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("ERPAI_SECRET_KEY", "")
    get_settings.cache_clear()
    reset_secret_cache()
    yield tmp_path
    get_settings.cache_clear()
    reset_secret_cache()


def test_a_generated_key_file_is_private(fresh_data_dir: Path) -> None:
    token = encrypt_secret("sk-live-abcdef0123456789")
    key_file = fresh_data_dir / "secret.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert "sk-live" not in token
    reset_secret_cache()  # a restart reads the same file
    assert decrypt_secret(token) == "sk-live-abcdef0123456789"


def test_the_configured_key_wins_and_a_wrong_key_fails_clearly(
    fresh_data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = encrypt_secret("sk-abc-123456789")
    monkeypatch.setenv("ERPAI_SECRET_KEY", "T1ZKx0Tj2nP0H4bPp0xC0k2w7oN7C8C6J1lQ3mN3vJ0=")
    get_settings.cache_clear()
    reset_secret_cache()
    with pytest.raises(ValueError, match="ERPAI_SECRET_KEY") as caught:
        decrypt_secret(token)
    assert "sk-abc" not in str(caught.value)


def test_mask_shows_only_prefix_and_last_four() -> None:
    assert mask_secret("sk-proj-abcdefghijkl1234") == "sk-…1234"
    assert mask_secret("abcdefghijkl9876") == "ab…9876"
    assert mask_secret("short") == "…rt"
