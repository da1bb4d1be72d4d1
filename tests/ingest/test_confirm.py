"""Proposal → confirm on both databases: the draft invoice, its supplier, line and file; the three
validations, the smart mapping's two branches, a second confirm, and nothing written on any refusal."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from erpai.db import utcnow
from erpai.ingest.models import IngestProposal, StoredFile
from erpai.records.models import (
    EnterpriseCompany,
    Party,
    Product,
    PurchaseInvoice,
    PurchaseInvoiceLine,
)
from erpai.records.values import normalize_name
from erpai.settings.service import set_setting
from erpai.users.models import User

Actor = tuple[User, dict[str, str]]
URL = "/api/v1/ingest/invoices"
UBL = "ubl_25_de.xml"  # Rheinland Logistik AG DE142232903, net 8819.45 + VAT 1675.70 = 10495.15 EUR


def _counts(db: Session) -> tuple[int, ...]:
    db.expire_all()
    tables = (Party, PurchaseInvoice, PurchaseInvoiceLine, StoredFile)
    return tuple(int(db.scalar(select(func.count()).select_from(t)) or 0) for t in tables)


@pytest.fixture
def company(db: Session) -> EnterpriseCompany:
    row = EnterpriseCompany(name="Example Enterprise GmbH", vat_number="DE 136 695 976")
    db.add(row)
    db.commit()
    return row


@pytest.fixture
def service_product(db: Session, company: EnterpriseCompany) -> Product:
    product = Product(name={"en": "Service"}, unit="h")
    db.add(product)
    db.commit()
    set_setting(db, key="ingest.default_service_product_id", value=product.id, actor=None)
    return product


def _propose(client: TestClient, corpus: Path, actor: Actor, name: str = UBL) -> dict[str, Any]:
    data = (corpus / name).read_bytes()
    created = client.post(URL, files={"file": (name, data, "application/xml")}, headers=actor[1])
    assert created.status_code == 201, created.text
    return dict(created.json())


def _confirm(client: TestClient, proposal_id: int, actor: Actor, **edits: Any) -> Any:
    return client.post(f"{URL}/{proposal_id}/confirm", json=edits, headers=actor[1])


def test_a_confirmed_proposal_becomes_a_draft_invoice_with_a_new_supplier_and_the_file(
    client: TestClient, db: Session, corpus: Path, member: Actor, service_product: Product
) -> None:
    proposal = _propose(client, corpus, member)
    assert proposal["matched_supplier_id"] is None
    assert {v["name"]: v["ok"] for v in proposal["validations"]}["recipient"] is True
    response = _confirm(client, proposal["id"], member, notes="checked")
    assert response.status_code == 201, response.text
    done = response.json()
    assert done["new_supplier"] is True and done["line_source"] == "default_service_product"

    invoice = db.get(PurchaseInvoice, done["purchase_invoice_id"])
    assert invoice is not None and invoice.state == "draft"
    assert (invoice.document_number, str(invoice.document_date)) == ("F-2026-0026", "2026-06-04")
    assert (invoice.net_amount, invoice.total_amount) == (Decimal("8819.45"), Decimal("10495.15"))
    supplier = db.get(Party, invoice.supplier_id)
    assert supplier is not None and supplier.name == "Rheinland Logistik AG"
    assert supplier.vat_number == "DE142232903" and supplier.normalized_name == "rheinland logistik ag"
    (line,) = db.scalars(select(PurchaseInvoiceLine)).all()
    assert (line.purchase_invoice_id, line.product_id) == (invoice.id, service_product.id)
    assert (line.quantity, line.amount) == (Decimal(1), Decimal("8819.45"))
    original = client.get(f"/api/v1/ingest/files/{invoice.attachment_file_id}", headers=member[1])
    assert original.content == (corpus / UBL).read_bytes()
    assert original.headers["content-type"].startswith("application/xml")

    read = client.get(f"{URL}/{proposal['id']}", headers=member[1]).json()
    assert (read["status"], read["purchase_invoice_id"]) == ("confirmed", invoice.id)
    record = client.get(f"/api/v1/records/purchase_invoices/{invoice.id}", headers=member[1]).json()
    assert record["attachment_file_id"] == invoice.attachment_file_id and record["attachment"] == UBL

    again = _confirm(client, proposal["id"], member)
    assert again.status_code == 409 and "already confirmed" in again.json()["detail"]
    assert _counts(db) == (1, 1, 1, 1)


def test_a_duplicate_invoice_is_409_and_nothing_is_written(
    client: TestClient, db: Session, corpus: Path, member: Actor, service_product: Product
) -> None:
    first, second = _propose(client, corpus, member), _propose(client, corpus, member)
    assert _confirm(client, first["id"], member).status_code == 201
    assert client.get(f"{URL}/{second['id']}", headers=member[1]).json()["matched_supplier_id"] is not None
    before = _counts(db)
    refused = _confirm(client, second["id"], member)
    assert refused.status_code == 409, refused.text
    assert refused.json()["field"] == "number" and "F-2026-0026" in refused.json()["detail"]
    assert _counts(db) == before
    assert db.get(IngestProposal, second["id"]).status == "proposed"  # type: ignore[union-attr]
    # A void invoice does not block: the same number imports again.
    db.execute(update(PurchaseInvoice).values(state="void"))
    db.commit()
    assert _confirm(client, second["id"], member).status_code == 201


@pytest.mark.parametrize(
    ("edits", "field", "words"),
    [
        ({"customer_name": "Other Company Ltd", "customer_vat": "GB216199306"}, "customer_name", "not for"),
        ({"total": 10495.17}, "total", "more than 0.01 apart"),
        ({"number": None}, "number", "the invoice number is missing"),
        ({"issue_date": None}, "issue_date", "the invoice date is missing"),
        ({"document_type": "not_invoice"}, "document_type", "not an invoice"),
        ({"number": "N" * 64 + "X"}, "number", "at most 64 characters"),
        ({"supplier_name": " ", "new_supplier": True}, "supplier_name", "the supplier is missing"),
        ({"supplier_id": 999999}, "supplier_id", "party 999999 does not exist"),
    ],
)
def test_each_refusal_names_its_field_and_writes_nothing(
    client: TestClient,
    db: Session,
    corpus: Path,
    member: Actor,
    service_product: Product,
    edits: dict[str, Any],
    field: str,
    words: str,
) -> None:
    proposal = _propose(client, corpus, member)
    before = _counts(db)
    refused = _confirm(client, proposal["id"], member, **edits)
    assert refused.status_code == 422, refused.text
    assert refused.json()["field"] == field and words in refused.json()["detail"]
    assert _counts(db) == before
    assert db.get(IngestProposal, proposal["id"]).status == "proposed"  # type: ignore[union-attr]


def test_within_rounding_the_sums_pass(
    client: TestClient, db: Session, corpus: Path, member: Actor, service_product: Product
) -> None:
    proposal = _propose(client, corpus, member)
    assert _confirm(client, proposal["id"], member, total=10495.16).status_code == 201


def test_the_recipient_matches_by_normalised_name_when_no_number_is_given(
    client: TestClient, db: Session, corpus: Path, member: Actor, service_product: Product
) -> None:
    proposal = _propose(client, corpus, member)
    edits = {"customer_name": "„EXAMPLE-Enterprise“ gmbh.", "customer_vat": None}
    assert _confirm(client, proposal["id"], member, **edits).status_code == 201


def test_without_a_current_company_or_service_product_the_setting_is_named(
    client: TestClient, db: Session, corpus: Path, member: Actor
) -> None:
    proposal = _propose(client, corpus, member)
    refused = _confirm(client, proposal["id"], member)
    assert refused.status_code == 422 and refused.json()["field"] == "ingest.enterprise_company_id"
    db.add(EnterpriseCompany(name="Example Enterprise GmbH", vat_number="DE136695976"))
    db.commit()
    refused = _confirm(client, proposal["id"], member)
    assert refused.status_code == 422 and refused.json()["field"] == "ingest.default_service_product_id"
    assert _counts(db) == (0, 0, 0, 0)


def _previous_invoice(
    db: Session, company: EnterpriseCompany, supplier: Party, lines: list[tuple[Product, str]], days_ago: int
) -> None:
    invoice = PurchaseInvoice(
        enterprise_company_id=company.id,
        supplier_id=supplier.id,
        document_number=f"OLD-{days_ago}-{len(lines)}",
        document_date=(utcnow() - timedelta(days=days_ago)).date(),
        state="posted",
    )
    db.add(invoice)
    db.flush()
    for product, quantity in lines:
        db.add(
            PurchaseInvoiceLine(
                purchase_invoice_id=invoice.id, product_id=product.id, quantity=Decimal(quantity), amount=1
            )
        )
    db.commit()


def _supplier(db: Session, **values: Any) -> Party:
    party = Party(normalized_name=normalize_name(values["name"]), **values)
    db.add(party)
    db.commit()
    return party


def test_smart_mapping_reuses_the_previous_single_line(
    client: TestClient, db: Session, corpus: Path, member: Actor, company: EnterpriseCompany
) -> None:
    supplier = _supplier(db, name="Rheinland Logistik", vat_number="de 142 232 903")
    freight = Product(name={"en": "Freight"}, unit="t")
    db.add(freight)
    db.commit()
    _previous_invoice(db, company, supplier, [(freight, "4")], days_ago=400)  # too old
    _previous_invoice(db, company, supplier, [(freight, "3")], days_ago=30)
    proposal = _propose(client, corpus, member)
    assert proposal["matched_supplier_id"] == supplier.id
    done = _confirm(client, proposal["id"], member).json()
    assert (done["supplier_id"], done["new_supplier"], done["line_source"]) == (
        supplier.id,
        False,
        "previous_invoice",
    )
    line = db.scalars(
        select(PurchaseInvoiceLine).where(
            PurchaseInvoiceLine.purchase_invoice_id == done["purchase_invoice_id"]
        )
    ).one()
    assert (line.product_id, line.quantity, line.amount) == (freight.id, Decimal(3), Decimal("8819.45"))
    assert line.unit_price == Decimal("2939.8167")


def test_smart_mapping_falls_back_to_the_service_product_after_a_multi_line_invoice(
    client: TestClient,
    db: Session,
    corpus: Path,
    member: Actor,
    company: EnterpriseCompany,
    service_product: Product,
) -> None:
    supplier = _supplier(db, name="„RHEINLAND-Logistik“ ag.")  # no numbers: matched by normalised name
    freight = Product(name={"en": "Freight"})
    db.add(freight)
    db.commit()
    _previous_invoice(db, company, supplier, [(freight, "1"), (freight, "2")], days_ago=10)
    proposal = _propose(client, corpus, member)
    assert proposal["matched_supplier_id"] == supplier.id
    done = _confirm(client, proposal["id"], member).json()
    assert (done["supplier_id"], done["line_source"]) == (supplier.id, "default_service_product")


def test_a_chosen_supplier_or_a_forced_new_one_wins_over_the_match(
    client: TestClient, db: Session, corpus: Path, member: Actor, service_product: Product
) -> None:
    matched = _supplier(db, name="Rheinland Logistik AG", registration_number="HRB 1")
    chosen = _supplier(db, name="Somebody Else")
    first = _propose(client, corpus, member)
    assert _confirm(client, first["id"], member, supplier_id=chosen.id).json()["supplier_id"] == chosen.id
    second = _propose(client, corpus, member)
    done = _confirm(client, second["id"], member, new_supplier=True).json()
    assert done["new_supplier"] is True and done["supplier_id"] not in (matched.id, chosen.id)
    both = _confirm(client, _propose(client, corpus, member)["id"], member, supplier_id=1, new_supplier=True)
    assert both.status_code == 422 and both.json()["field"] == "supplier_id"


def test_only_the_maker_or_an_admin_confirms(
    client: TestClient, db: Session, corpus: Path, admin: Actor, member: Actor, service_product: Product
) -> None:
    proposal = _propose(client, corpus, admin)
    hidden = _confirm(client, proposal["id"], member)
    assert hidden.status_code == 404 and _counts(db) == (0, 0, 0, 0)
    assert _confirm(client, proposal["id"], admin).status_code == 201
    assert client.get("/api/v1/ingest/files/999999", headers=member[1]).status_code == 404


def test_a_recognised_value_too_long_for_the_invoice_is_422_not_a_database_error(
    client: TestClient, db: Session, corpus: Path, member: Actor, service_product: Product
) -> None:
    proposal = _propose(client, corpus, member)
    row = db.get(IngestProposal, proposal["id"])
    assert row is not None
    stored = json.loads(row.proposal_json)
    stored["fields"] |= {"number": "7" * 80, "currency": "Euro"}
    row.proposal_json = json.dumps(stored)
    db.commit()
    refused = _confirm(client, proposal["id"], member)
    assert refused.status_code == 422 and refused.json()["field"] == "number"
    refused = _confirm(client, proposal["id"], member, number="INV-1")
    assert refused.status_code == 422 and refused.json()["field"] == "currency"
    assert _confirm(client, proposal["id"], member, number="INV-1", currency="eur").status_code == 201
    assert db.scalars(select(PurchaseInvoice.currency)).one() == "EUR"
