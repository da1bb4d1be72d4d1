"""Business rules fire for records made by every front door, not only the records API: a confirmed invoice
proposal (its new supplier, the invoice, its line), a to-do from a chat comment, a file import and a saved
lead. AISET values are stored, a failed AIVALIDATE refuses with 422 and nothing written, AIWARNING
messages come back in the response. On both databases, the local OpenAI-wire fake server as the model."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from erpai.chat.models import ChatComment
from erpai.ingest.models import IngestProposal, StoredFile
from erpai.notifications.models import Notification
from erpai.records.models import (
    EnterpriseCompany,
    Party,
    Product,
    PurchaseInvoice,
    PurchaseInvoiceLine,
    Todo,
)
from erpai.rules.ai import prompt_cache
from erpai.rules.models import RuleRun
from erpai.settings.service import set_setting
from tests.ai_tools.test_web import _sign_in as sign_in
from tests.conftest import make_user
from tests.fakes.openai_server import FakeOpenAI
from tests.ingest.conftest import corpus  # noqa: F401 (the generated invoice files)
from tests.rules.conftest import Auth, make_rule

UBL = "ubl_25_de.xml"  # Rheinland Logistik AG, F-2026-0026, net 8819.45; no AI reads it
INVOICES = "/api/v1/ingest/invoices"


def _answers(fake: FakeOpenAI, rules: dict[str, Callable[[str], str]]) -> None:
    """The model answers a rule's prompt by the first key the prompt contains."""

    def reply(messages: list[dict[str, Any]]) -> str:
        prompt = str(messages[-1]["content"])
        return next((answer(prompt) for key, answer in rules.items() if key in prompt), "true")

    fake.chat_reply = reply


def _count(db: Session, *models: Any) -> tuple[int, ...]:
    db.expire_all()
    return tuple(int(db.scalar(select(func.count()).select_from(m)) or 0) for m in models)


def _runs(db: Session, entity: str) -> list[tuple[str, str | None]]:
    db.expire_all()
    stmt = select(RuleRun.outcome, RuleRun.record_id).where(RuleRun.entity == entity).order_by(RuleRun.id)
    return [(outcome, record_id) for outcome, record_id in db.execute(stmt)]


@pytest.fixture
def invoice_rules(client: TestClient, db: Session, admin: Auth, default_model: Any) -> dict[str, int]:
    db.add(EnterpriseCompany(name="Example Enterprise GmbH", vat_number="DE 136 695 976"))
    product = Product(name={"en": "Service"}, unit="h")
    db.add(product)
    db.commit()
    set_setting(db, key="ingest.default_service_product_id", value=product.id, actor=None)
    rules = [
        ("Supplier e-mail", "parties", {"type": "AISET", "attribute": "Email", "prompt": "Mail of {Name}?"}),
        ("Known supplier", "purchase_invoices", {
            "type": "AIWARNING", "prompt": "Do we know {Supplier.Name} ({DocumentNumber})?",
            "message": "New supplier {Supplier.Name}: check invoice {DocumentNumber}",
        }),
        ("Plausible total", "purchase_invoices", {
            "type": "AIVALIDATE", "prompt": "Is {TotalAmount} plausible?", "message": "Total {TotalAmount}?",
        }),
        ("Line amount", "purchase_invoice_lines", {
            "type": "AIVALIDATE", "prompt": "Line amount {Amount} ok?", "message": "Line {Amount}?",
        }),
    ]  # fmt: skip
    return {
        name: make_rule(client, admin, name=name, entity=entity, event="create", actions=[action])["id"]
        for name, entity, action in rules
    }


def test_a_confirmed_invoice_fires_the_rules_of_its_supplier_invoice_and_line(
    client: TestClient,
    db: Session,
    member: Auth,
    fake_openai: FakeOpenAI,
    corpus: Path,  # noqa: F811
    invoice_rules: dict[str, int],
) -> None:
    answers: dict[str, Callable[[str], str]] = {
        "Mail of": lambda _: "ap@rheinland.example",
        "Do we know": lambda _: "false",
        "plausible": lambda _: "false",
    }
    _answers(fake_openai, answers)
    upload = (corpus / UBL).read_bytes()
    proposal = client.post(INVOICES, files={"file": (UBL, upload, "application/xml")}, headers=member[1])
    assert proposal.status_code == 201, proposal.text
    confirm = f"{INVOICES}/{proposal.json()['id']}/confirm"
    tables = (Party, PurchaseInvoice, PurchaseInvoiceLine, StoredFile)

    refused = client.post(confirm, json={}, headers=member[1])
    assert refused.status_code == 422, refused.text
    assert refused.json()["detail"] == "rule 'Plausible total' action 1 (AIVALIDATE): Total 10495.15?"
    assert refused.json()["errors"][0]["loc"] == ["rule", invoice_rules["Plausible total"], 1]
    assert _count(db, *tables) == (0, 0, 0, 0)
    assert db.get(IngestProposal, proposal.json()["id"]).status == "proposed"  # type: ignore[union-attr]
    assert [o for o, _ in _runs(db, "purchase_invoices")] == ["warned", "failed"]  # logged, not the rest

    answers["plausible"] = lambda _: "true"
    prompt_cache.clear()  # the same prompts again: the model, not the cache, answers
    done = client.post(confirm, json={}, headers=member[1])
    assert done.status_code == 201, done.text
    body = done.json()
    assert body["warnings"] == ["New supplier Rheinland Logistik AG: check invoice F-2026-0026"]
    supplier = db.get(Party, body["supplier_id"])
    assert supplier is not None and (supplier.name, supplier.email) == (
        "Rheinland Logistik AG",
        "ap@rheinland.example",
    )
    assert supplier.normalized_name == "rheinland logistik ag"
    invoice = db.get(PurchaseInvoice, body["purchase_invoice_id"])
    assert invoice is not None and invoice.attachment_file_id == body["attachment_file_id"]
    (line,) = db.scalars(select(PurchaseInvoiceLine)).all()
    assert line.purchase_invoice_id == invoice.id
    assert _runs(db, "purchase_invoice_lines") == [("passed", str(line.id))]
    assert _runs(db, "purchase_invoices")[-2:] == [("warned", str(invoice.id)), ("passed", str(invoice.id))]
    assert ("set", str(supplier.id)) in _runs(db, "parties")


def test_a_todo_from_a_comment_fires_its_rules(
    client: TestClient, db: Session, admin: Auth, member: Auth, default_model: Any, fake_openai: FakeOpenAI
) -> None:
    bob = make_user(db, "bob")[0]
    make_rule(client, admin, name="Summary", entity="todos", event="create", actions=[
        {"type": "AISET", "attribute": "Description", "prompt": "Summarise: {Title}"},
        {"type": "AIWARNING", "prompt": "Is '{Title}' clear?", "message": "Vague task '{Title}'"},
        {"type": "AIVALIDATE", "prompt": "Is '{Title}' allowed?", "message": "Not allowed: {Title}"},
    ])  # fmt: skip
    _answers(fake_openai, {
        "Summarise": lambda p: p.upper(), "clear?": lambda _: "no",
        "allowed?": lambda p: "false" if "secret" in p else "true",
    })  # fmt: skip
    group = client.post(
        "/api/v1/chat/groups", json={"name": "Sales", "member_ids": [bob.id]}, headers=member[1]
    )
    group_id = group.json()["id"]
    comment = client.post(
        f"/api/v1/chat/groups/{group_id}/comments", json={"text": "ACME?"}, headers=member[1]
    )
    url, comment_id = "/api/v1/todos/from-comment", comment.json()["id"]

    refused = client.post(url, json={"comment_id": comment_id, "title": "Leak the secret"}, headers=member[1])
    assert refused.status_code == 422 and refused.json()["detail"].endswith("Not allowed: Leak the secret")
    assert _count(db, Todo, Notification) == (0, 0)
    assert db.scalars(select(ChatComment).where(ChatComment.is_system.is_(True))).all() == []

    created = client.post(url, json={"comment_id": comment_id, "title": "Call ACME"}, headers=member[1])
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["todo"]["description"] == "SUMMARISE: CALL ACME" and body["warnings"] == [
        "Vague task 'Call ACME'"
    ]
    assert body["notified_user_ids"] == [bob.id] and body["system_comment_id"] is not None
    assert _runs(db, "todos")[-3:] == [(o, str(body["todo"]["id"])) for o in ("set", "warned", "passed")]

    csrf = sign_in(client, member[1])
    web = f"/chat/{group_id}/comments/{comment_id}/todo"
    shown = client.post(
        web, data={"title": "Call Globex", "csrf_token": csrf}, headers={"HX-Request": "true"}
    )
    assert "Warning: Vague task &#39;Call Globex&#39;" in shown.text
    page = client.post(web, data={"title": "Call Initech", "csrf_token": csrf})
    assert "Warning: Vague task &#39;Call Initech&#39;" in page.text and "/records/todos/" in str(page.url)
    refused = client.post(web, data={"title": "secret", "csrf_token": csrf}, headers={"HX-Request": "true"})
    assert "Not allowed: secret" in refused.text and _count(db, Todo) == (3,)


def test_an_import_fires_the_rules_on_every_row(
    client: TestClient, db: Session, admin: Auth, default_model: Any, fake_openai: FakeOpenAI
) -> None:
    make_rule(client, admin, name="Party check", entity="parties", event="create", actions=[
        {"type": "AISET", "attribute": "Phone", "prompt": "Phone of {Name}?"},
        {"type": "AIWARNING", "prompt": "Is {Name} known?", "message": "Unknown party {Name}"},
        {"type": "AIVALIDATE", "prompt": "May we trade with {Name}?", "message": "Sanctioned: {Name}"},
    ])  # fmt: skip
    _answers(fake_openai, {
        "Phone of": lambda p: p.removeprefix("Phone of ").rstrip("?") + " 555",
        "known?": lambda p: str("ACME" in p),
        "trade with": lambda p: "false" if "Evil" in p else "true",
    })  # fmt: skip
    url = "/api/v1/records/parties/import"
    bad = "name,vat_number\nACME,DE1\nEvil Corp,DE2\nGlobex,DE3\n"
    rejected = client.post(url, params={"format": "csv"}, content=bad, headers=admin[1])
    assert rejected.status_code == 422, rejected.text
    (error,) = rejected.json()["errors"]
    assert error["loc"] == ["line", 3, "rule"] and "Sanctioned: Evil Corp" in error["msg"]
    assert _count(db, Party) == (0,)

    good = bad.replace("Evil Corp", "Initech")
    done = client.post(url, params={"format": "csv"}, content=good, headers=admin[1])
    assert done.json() == {"imported": 3, "warnings": ["Unknown party Initech", "Unknown party Globex"]}
    phones = {p.name: p.phone for p in db.scalars(select(Party))}
    assert phones == {"ACME": "ACME 555", "Initech": "Initech 555", "Globex": "Globex 555"}


def test_a_saved_lead_shows_its_warnings_in_the_api_and_on_the_web_page(
    client: TestClient, db: Session, admin: Auth, default_model: Any, fake_openai: FakeOpenAI
) -> None:
    make_rule(client, admin, name="Lead check", entity="leads", event="create", actions=[
        {"type": "AIWARNING", "prompt": "Is {CompanyName} a customer?", "message": "{CompanyName} is new"},
    ])  # fmt: skip
    _answers(fake_openai, {"customer?": lambda _: "false"})
    saved = client.post("/api/v1/leads", json={"last_name": "Roe", "company": "Nordwind"}, headers=admin[1])
    assert saved.status_code == 201 and saved.json()["warnings"] == ["Nordwind is new"]
    form = {"last_name": "Doe", "company": "Südwind", "source": "text", "allow_duplicate": "false"}
    page = client.post("/leads/fill/save", data=form | {"csrf_token": sign_in(client, admin[1])})
    assert page.status_code == 200 and "Warning: Südwind is new" in page.text and "Saved." in page.text


def test_a_confirm_on_the_web_page_shows_the_warnings(
    client: TestClient,
    member: Auth,
    fake_openai: FakeOpenAI,
    corpus: Path,  # noqa: F811
    invoice_rules: dict[str, int],
) -> None:
    _answers(fake_openai, {"Do we know": lambda _: "false"})
    upload = (corpus / UBL).read_bytes()
    proposal = client.post(
        INVOICES, files={"file": (UBL, upload, "application/xml")}, headers=member[1]
    ).json()
    form = {k: str(v) for k, v in proposal["fields"].items() if v is not None} | {"supplier": "new"}
    page = client.post(f"/ingest/{proposal['id']}", data=form | {"csrf_token": sign_in(client, member[1])})
    assert page.status_code == 200 and "Import successful" in page.text, page.text
    assert "Warning: New supplier Rheinland Logistik AG: check invoice F-2026-0026" in page.text
