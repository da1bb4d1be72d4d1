"""A database the CLI uses (SQLite file, or a throw-away PostgreSQL database), with jobs run inline."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from erpai.config import get_settings
from erpai.db import get_engine
from erpai.jobs.queue import InProcessBackend, set_backend
from erpai.migrate import upgrade
from erpai.security import reset_secret_cache
from tests.conftest import BACKENDS, _create_pg_database, _drop_pg_database


@pytest.fixture(params=BACKENDS)
def cli_database(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    migrated_sqlite_file: Path,
) -> Iterator[str]:
    """ERPAI_DATABASE_URL for this test, its own key file (ERPAI_DATA_DIR), in-process jobs."""
    pg_name = None
    if request.param == "sqlite":
        target = tmp_path / "erpai.db"
        shutil.copy(migrated_sqlite_file, target)
        url = f"sqlite:///{target.as_posix()}"
    else:
        pg_name, url = _create_pg_database()
        upgrade(url)
    monkeypatch.setenv("ERPAI_DATABASE_URL", url)
    monkeypatch.setenv("ERPAI_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ERPAI_SECRET_KEY", "")
    monkeypatch.delenv("ERPAI_USER", raising=False)
    monkeypatch.delenv("ERPAI_NEW_SECRET_KEY", raising=False)
    _reset()
    set_backend(InProcessBackend())
    yield url
    set_backend(None)
    get_engine().dispose()
    _reset()
    if pg_name:
        _drop_pg_database(pg_name)


def _reset() -> None:
    get_settings.cache_clear()
    get_engine.cache_clear()
    reset_secret_cache()
