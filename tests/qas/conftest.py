"""Fixtures shared by the Q&A and training-conversation tests (training/conftest.py re-exports them)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from erpai.ai_models.models import AIModel
from erpai.cli.acting import set_global_login
from erpai.config import get_settings
from erpai.db import get_engine
from erpai.migrate import upgrade


def add_model(db: Session, name: str) -> AIModel:
    model = AIModel(name=name)
    db.add(model)
    db.commit()
    return model


@pytest.fixture
def model(db: Session) -> AIModel:
    return add_model(db, "Support")


@pytest.fixture(scope="session")
def migrated_sqlite_file() -> Path:
    """Migrated once; each CLI test copies it (migrating per test would be slow)."""
    path = Path(tempfile.mkdtemp(prefix="erpai-cli-template-")) / "template.db"
    upgrade(f"sqlite:///{path.as_posix()}")
    return path


@pytest.fixture
def cli_db(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, migrated_sqlite_file: Path) -> Iterator[str]:
    """A fresh migrated SQLite file that the CLI (which reads the settings) uses for this test."""
    target = tmp_path / "cli.db"
    shutil.copy(migrated_sqlite_file, target)
    url = f"sqlite:///{target.as_posix()}"
    monkeypatch.setenv("ERPAI_DATABASE_URL", url)
    monkeypatch.delenv("ERPAI_USER", raising=False)
    get_settings.cache_clear()
    get_engine.cache_clear()
    set_global_login(None)
    yield url
    get_engine().dispose()
    get_settings.cache_clear()
    get_engine.cache_clear()
