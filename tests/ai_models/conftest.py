from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from erpai.config import get_settings
from erpai.db import get_engine
from erpai.migrate import upgrade


@pytest.fixture
def cli_db(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[str]:
    """A fresh migrated SQLite file that the CLI (which reads the settings) uses for this test."""
    url = f"sqlite:///{(tmp_path / 'cli.db').as_posix()}"
    upgrade(url)
    monkeypatch.setenv("ERPAI_DATABASE_URL", url)
    get_settings.cache_clear()
    get_engine.cache_clear()
    yield url
    get_engine().dispose()
    get_settings.cache_clear()
    get_engine.cache_clear()
