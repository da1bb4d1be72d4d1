"""`erpai lead extract FILE|--text ... --save` on a temporary SQLite database (no chat provider)."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from erpai.cli.main import app
from erpai.db import session_factory
from erpai.records.models import Lead
from tests.ingest.lead_corpus import generate_leads

runner = CliRunner()


def test_lead_extract_save_creates_the_lead_and_a_second_save_is_refused(cli_db: str, tmp_path: Path) -> None:
    runner.invoke(app, ["user", "create", "boss", "--admin"])
    case = next(c for c in generate_leads() if c.kind == "eml")
    path = tmp_path / "mail.eml"
    path.write_bytes(case.data)
    first = runner.invoke(app, ["lead", "extract", str(path), "--save", "--json"])
    assert first.exit_code == 0, first.output
    saved = json.loads(first.stdout)
    assert saved["record"]["email"] == case.truth["email"] and saved["record"]["source"] == "email"
    again = runner.invoke(app, ["lead", "extract", str(path), "--save"])
    assert again.exit_code != 0
    assert f"error: this lead may already exist: lead {saved['record']['id']} (same email)" in again.output
    shown = runner.invoke(app, ["lead", "extract", str(path)])
    assert f"may already exist: lead {saved['record']['id']} (same email)" in shown.output
    forced = runner.invoke(app, ["lead", "extract", str(path), "--save", "--allow-duplicate"])
    assert forced.exit_code == 0, forced.output
    with session_factory()() as session:
        assert len(session.scalars(select(Lead.id)).all()) == 2


def test_lead_extract_needs_exactly_one_source(cli_db: str) -> None:
    result = runner.invoke(app, ["lead", "extract"])
    assert result.exit_code != 0 and "exactly one of FILE, --file or --text" in result.output
