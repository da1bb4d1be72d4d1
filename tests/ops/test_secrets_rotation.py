"""erpai secrets rotate: every provider key re-encrypted under the new key in one transaction; afterwards the
keys decrypt with the new key and not with the old one; the key is never printed."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet, InvalidToken
from pydantic import SecretStr
from sqlalchemy import select
from typer.testing import CliRunner

from erpai.cli.main import app
from erpai.config import get_settings
from erpai.db import session_factory
from erpai.providers.models import Provider
from erpai.providers.schemas import ProviderCreate
from erpai.providers.service import create_provider
from erpai.security import current_secret_key, decrypt_secret, reset_secret_cache

runner = CliRunner()
KEYS = {"First": "sk-first-0123456789abcd", "Second": "sk-second-9876543210wxyz"}


def _providers() -> None:
    with session_factory()() as session:
        for name, key in KEYS.items():
            data = ProviderCreate(
                name=name,
                base_model_name="gpt-4o-mini",
                config={"base_url": "http://127.0.0.1:9/v1"},
                api_key=SecretStr(key),
            )
            create_provider(session, data=data, actor_id=None)
        create_provider(session, data=ProviderCreate(name="Local", kind="local"), actor_id=None)


def _stored() -> dict[str, str]:
    with session_factory()() as session:
        rows = session.scalars(select(Provider).where(Provider.api_key_encrypted.is_not(None)))
        return {row.name: row.api_key_encrypted or "" for row in rows}


def _decrypts(key: bytes, stored: dict[str, str]) -> dict[str, str]:
    return {name: Fernet(key).decrypt(token.encode()).decode() for name, token in stored.items()}


def test_rotation_with_the_key_file(cli_database: str) -> None:
    _providers()
    old_key = current_secret_key()
    key_file = get_settings().data_dir / "secret.key"
    result = runner.invoke(app, ["secrets", "rotate"])
    assert result.exit_code == 0, result.output
    new_key = key_file.read_bytes().strip()
    assert new_key != old_key
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert not key_file.with_name("secret.key.new").exists()
    assert new_key.decode() not in result.output and old_key.decode() not in result.output
    assert "re-encrypted 2 provider key(s)" in result.output
    stored = _stored()
    assert _decrypts(new_key, stored) == KEYS
    with pytest.raises(InvalidToken):
        _decrypts(old_key, stored)
    reset_secret_cache()
    assert {name: decrypt_secret(token) for name, token in stored.items()} == KEYS


def test_rotation_with_the_environment_key(cli_database: str, monkeypatch: pytest.MonkeyPatch) -> None:
    old_key, new_key = Fernet.generate_key(), Fernet.generate_key()
    monkeypatch.setenv("ERPAI_SECRET_KEY", old_key.decode())
    get_settings.cache_clear()
    reset_secret_cache()
    _providers()
    refused = runner.invoke(app, ["secrets", "rotate"])
    assert refused.exit_code != 0 and "ERPAI_NEW_SECRET_KEY" in refused.output
    assert _decrypts(old_key, _stored()) == KEYS  # nothing changed

    monkeypatch.setenv("ERPAI_NEW_SECRET_KEY", new_key.decode())
    result = runner.invoke(app, ["secrets", "rotate"])
    assert result.exit_code == 0, result.output
    assert "set ERPAI_SECRET_KEY" in result.output and new_key.decode() not in result.output
    assert _decrypts(new_key, _stored()) == KEYS
    with pytest.raises(InvalidToken):
        _decrypts(old_key, _stored())
    assert not (get_settings().data_dir / "secret.key").exists()


def test_a_key_the_current_key_cannot_read_aborts_everything(cli_database: str, tmp_path: Path) -> None:
    _providers()
    with session_factory()() as session:
        row = session.scalar(select(Provider).where(Provider.name == "Second"))
        assert row is not None
        row.api_key_encrypted = Fernet(Fernet.generate_key()).encrypt(b"sk-foreign").decode()
        session.commit()
    before = _stored()
    old_key = current_secret_key()
    result = runner.invoke(app, ["secrets", "rotate"])
    assert result.exit_code != 0
    assert "Second" in result.output and "nothing was changed" in result.output
    assert _stored() == before
    assert (get_settings().data_dir / "secret.key").read_bytes().strip() == old_key
    assert not (get_settings().data_dir / "secret.key.new").exists()


def test_a_malformed_new_key_is_refused(cli_database: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _providers()
    monkeypatch.setenv("ERPAI_NEW_SECRET_KEY", "too-short")
    result = runner.invoke(app, ["secrets", "rotate"])
    assert result.exit_code != 0 and "not a Fernet key" in result.output
    assert "too-short" not in result.output
