"""`erpai ingest FILE` and `erpai lead extract` on a temporary SQLite database, without a chat provider."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import select
from typer.testing import CliRunner

from erpai.cli.main import app
from erpai.db import session_factory
from erpai.ingest.models import IngestProposal
from tests.ingest.lead_corpus import generate_leads

runner = CliRunner()


def _run(*args: str) -> Any:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_ingest_stores_a_proposal_and_prints_it(cli_db: str, corpus: Path, truth: dict[str, Any]) -> None:
    runner.invoke(app, ["user", "create", "boss", "--admin"])
    body = _run("ingest", str(corpus / "facturx_21_en.pdf"))
    assert body["path"] == "structured"
    assert body["fields"]["total"] == truth["facturx_21_en.pdf"]["truth"]["total"]
    with session_factory()() as session:
        assert session.scalars(select(IngestProposal.filename)).all() == ["facturx_21_en.pdf"]


def test_ingest_refuses_a_missing_or_corrupt_file(cli_db: str, tmp_path: Path) -> None:
    runner.invoke(app, ["user", "create", "boss", "--admin"])
    missing = runner.invoke(app, ["ingest", str(tmp_path / "nope.pdf")])
    assert missing.exit_code != 0 and "no such file" in missing.output
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4 broken")
    result = runner.invoke(app, ["ingest", str(broken)])
    assert result.exit_code != 0 and "error: the PDF cannot be read" in result.output


def test_lead_extract_from_an_eml_says_which_capability_is_missing(cli_db: str, tmp_path: Path) -> None:
    runner.invoke(app, ["user", "create", "boss", "--admin"])
    case = next(c for c in generate_leads() if c.kind == "eml")
    path = tmp_path / "mail.eml"
    path.write_bytes(case.data)
    result = runner.invoke(app, ["lead", "extract", "--file", str(path)])
    assert result.exit_code == 0, result.output
    assert "'chat' capability" in result.output
    assert str(case.truth["email"]) in result.output
    assert runner.invoke(app, ["lead", "extract"]).exit_code != 0  # neither --text nor --file
