"""erpai backup / restore round trips on SQLite and PostgreSQL: data, encrypted provider keys (readable
with the same secret key) and compiled builds (they still answer); a restore needs --force to overwrite."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from erpai.cli.main import app
from erpai.config import get_settings
from erpai.db import get_engine, session_factory
from erpai.providers.models import Provider
from erpai.security import decrypt_secret, reset_secret_cache
from tests.cli_helpers import cli_fails
from tests.conftest import _create_pg_database, _drop_pg_database

runner = CliRunner()
KEY = "sk-test-0123456789abcdefXYZ"
QAS = [
    ("How do I reset my password?", "Use 'Forgot password' on the login page."),
    ("How can I change my password?", "Use 'Forgot password' on the login page."),
    ("Do you ship to Canada?", "Yes, we ship to Canada within 5 days."),
    ("Which countries do you deliver to?", "Yes, we ship to Canada within 5 days."),
]


def _ok(*args: str) -> Any:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout) if "--json" in args else result.stdout


def _company(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_OPENAI_KEY", KEY)
    _ok("user", "create", "boss", "--admin")
    _ok("provider", "add", "Local", "--kind", "local", "--embedder", "char")
    remote = ["--base-url", "http://127.0.0.1:9/v1", "--api-key-env", "TEST_OPENAI_KEY"]
    _ok("provider", "add", "Remote", *remote, "--base-model", "gpt-4o-mini")
    _ok("model", "add", "Support", "--provider", "Local")
    for question, answer in QAS:
        _ok("qa", "add", "Support", "--question", question, "--answer", answer)
    _ok("compile", "Support")


def _stored_key() -> str:
    with session_factory()() as session:
        row = session.scalar(select(Provider).where(Provider.name == "Remote"))
        assert row is not None and row.api_key_encrypted is not None
        return decrypt_secret(row.api_key_encrypted)


def test_round_trip_keeps_data_keys_and_builds(
    cli_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _company(monkeypatch)
    asked = _ok("ask", "Support", "I forgot my password", "--json")
    assert asked["answered"] and asked["answer"] == QAS[0][1]
    backup = tmp_path / "erpai.backup"
    _ok("backup", str(backup))
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert "exists" in cli_fails("backup", str(backup))

    _ok("qa", "add", "Support", "--question", "Added after the backup?", "--answer", "yes")
    _ok("model", "add", "Later")
    assert "--force" in cli_fails("restore", str(backup))
    assert len(_ok("qa", "list", "Support", "--json")) == len(QAS) + 1  # refused: nothing changed

    _ok("restore", str(backup), "--force")
    get_engine.cache_clear()
    reset_secret_cache()
    assert [q["question"] for q in _ok("qa", "list", "Support", "--json")] == [q for q, _ in QAS]
    assert "Later" not in {m["name"] for m in _ok("model", "list", "--json")}
    assert _stored_key() == KEY
    again = _ok("ask", "Support", "I forgot my password", "--json")
    assert (again["answered"], again["answer"], again["compilation_id"]) == (
        True,
        QAS[0][1],
        asked["compilation_id"],
    )


def test_restore_into_an_empty_database_needs_no_force(
    cli_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _ok("user", "create", "boss", "--admin")
    backup = tmp_path / "one.backup"
    _ok("backup", str(backup))
    get_engine().dispose()
    if cli_database.startswith("sqlite"):
        db_file = Path(cli_database.split("///", 1)[1])
        db_file.unlink()
        _ok("restore", str(backup))
        assert stat.S_IMODE(db_file.stat().st_mode) == 0o600
        assert _ok("user", "list", "--json")[0]["login"] == "boss"
        return
    name, empty = _create_pg_database()
    try:
        monkeypatch.setenv("ERPAI_DATABASE_URL", empty)
        get_settings.cache_clear()
        get_engine.cache_clear()
        _ok("restore", str(backup))
        assert _ok("user", "list", "--json")[0]["login"] == "boss"
    finally:
        get_engine().dispose()
        _drop_pg_database(name)


def test_a_bad_backup_file_changes_nothing(cli_database: str, tmp_path: Path) -> None:
    _ok("user", "create", "boss", "--admin")
    junk = tmp_path / "junk.backup"
    junk.write_bytes(b"not a backup at all" * 100)
    assert "error" in cli_fails("restore", str(junk), "--force")
    assert _ok("user", "list", "--json")[0]["login"] == "boss"
    assert "not a file" in cli_fails("restore", str(tmp_path / "missing.backup"))
