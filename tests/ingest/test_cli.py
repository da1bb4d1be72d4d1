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
from erpai.records.models import EnterpriseCompany, Product, PurchaseInvoice, PurchaseInvoiceLine
from erpai.settings.service import set_setting
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


def _company_and_service_product() -> int:
    with session_factory()() as session:
        session.add(EnterpriseCompany(name="Example Enterprise GmbH", vat_number="DE136695976"))
        product = Product(name={"en": "Service"})
        session.add(product)
        session.commit()
        set_setting(session, key="ingest.default_service_product_id", value=product.id, actor=None)
        return product.id


def test_ingest_confirm_imports_a_draft_invoice_with_corrections(
    cli_db: str, corpus: Path, truth: dict[str, Any]
) -> None:
    runner.invoke(app, ["user", "create", "boss", "--admin"])
    product_id = _company_and_service_product()
    path = str(corpus / "ubl_27_en.xml")
    body = _run("ingest", path, "--confirm", "--set", "notes=checked by hand", "--set", "currency=gbp")
    confirmed = body["confirmed"]
    assert body["proposal"]["fields"]["number"] == truth["ubl_27_en.xml"]["truth"]["number"]
    assert confirmed["new_supplier"] is True and confirmed["line_source"] == "default_service_product"
    with session_factory()() as session:
        invoice = session.get(PurchaseInvoice, confirmed["purchase_invoice_id"])
        assert invoice is not None and invoice.currency == "GBP" and invoice.state == "draft"
        line = session.scalars(select(PurchaseInvoiceLine)).one()
        assert line.product_id == product_id

    again = runner.invoke(app, ["ingest", path, "--confirm"])
    assert again.exit_code != 0 and "already has the number" in again.output
    assert "is kept" in again.output
    plain = runner.invoke(app, ["ingest", path, "--confirm", "--supplier-id", str(confirmed["supplier_id"])])
    assert plain.exit_code != 0 and "error:" in plain.output  # the same supplier: a duplicate again


def test_ingest_options_are_checked_before_anything_is_stored(cli_db: str, corpus: Path) -> None:
    runner.invoke(app, ["user", "create", "boss", "--admin"])
    path = str(corpus / "ubl_27_en.xml")
    lonely = runner.invoke(app, ["ingest", path, "--set", "number=1"])
    assert lonely.exit_code != 0 and "go with --confirm" in lonely.output
    bad = runner.invoke(app, ["ingest", path, "--confirm", "--set", "total=lots"])
    assert bad.exit_code != 0 and "--set total" in bad.output
    with session_factory()() as session:
        assert session.scalars(select(IngestProposal)).all() == []
