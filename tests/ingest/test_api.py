"""The ingest API on both databases: stored proposals, 413, refused files with nothing stored, privacy,
lead extraction with and without a chat provider (the local OpenAI-wire server as the provider)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from erpai.ingest import service
from erpai.ingest.models import IngestProposal
from erpai.users.models import User
from tests.ai_models.factories import make_model
from tests.fakes.openai_server import FakeOpenAI
from tests.ingest.lead_corpus import generate_leads

Actor = tuple[User, dict[str, str]]
URL = "/api/v1/ingest/invoices"
LEADS = "/api/v1/leads/extract"


def _count(db: Session) -> int:
    return int(db.scalar(select(func.count()).select_from(IngestProposal)) or 0)


def _use_fake_provider(client: TestClient, db: Session, admin: Actor, fake: FakeOpenAI) -> None:
    body = {
        "name": "fake-llm",
        "kind": "openai",
        "base_model_name": "gpt-4o-mini",
        "api_key": "sk-test-ingest",
        "config": {"base_url": fake.url, "max_retries": 0, "timeout_seconds": 2, "supports_fine_tune": False},
    }
    created = client.post("/api/v1/providers", json=body, headers=admin[1])
    assert created.status_code == 201, created.text
    make_model(db, "Default", is_default=True, provider_id=created.json()["id"])


def test_a_ubl_invoice_becomes_a_stored_private_proposal(
    client: TestClient, db: Session, corpus: Path, admin: Actor, member: Actor
) -> None:
    data = (corpus / "ubl_26_bg.xml").read_bytes()
    created = client.post(URL, files={"file": ("inv.xml", data, "application/xml")}, headers=member[1])
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["path"] == "structured" and body["missing_capability"] is None
    assert body["fields"]["supplier_name"] and body["validations"][-1]["ok"]
    row = db.get(IngestProposal, body["id"])
    assert row is not None and row.file_data == data and row.filename == "inv.xml"
    assert client.get(f"{URL}/{body['id']}", headers=member[1]).json() == body
    assert client.get(f"{URL}/{body['id']}", headers=admin[1]).status_code == 200


def test_another_user_does_not_see_the_proposal(
    client: TestClient, db: Session, corpus: Path, admin: Actor, member: Actor
) -> None:
    data = (corpus / "ubl_25_de.xml").read_bytes()
    created = client.post(URL, files={"file": ("a.xml", data)}, headers=admin[1]).json()
    hidden = client.get(f"{URL}/{created['id']}", headers=member[1])
    assert hidden.status_code == 404 and "does not exist" in hidden.json()["detail"]


def test_without_a_chat_provider_the_proposal_says_so(
    client: TestClient, corpus: Path, truth: dict[str, dict[str, str]], member: Actor
) -> None:
    data = (corpus / "text_00_en.pdf").read_bytes()
    body = client.post(URL, files={"file": ("a.pdf", data, "application/pdf")}, headers=member[1]).json()
    assert "'chat' capability" in body["missing_capability"]
    assert body["fields"]["number"] == truth["text_00_en.pdf"]["truth"]["number"]


def test_an_oversized_file_is_413_and_nothing_is_stored(
    client: TestClient, db: Session, member: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service, "MAX_FILE_BYTES", 10_000)
    response = client.post(URL, files={"file": ("big.pdf", b"%PDF-" + b"0" * 20_000)}, headers=member[1])
    assert response.status_code == 413 and "at most 10000 bytes" in response.json()["detail"]
    assert _count(db) == 0


def test_a_provider_timeout_is_504_and_nothing_is_stored(
    client: TestClient, db: Session, corpus: Path, admin: Actor, member: Actor
) -> None:
    with FakeOpenAI(api_key="sk-test-ingest") as fake:
        _use_fake_provider(client, db, admin, fake)
        fake.fail("POST /v1/chat/completions", hang=4.0, times=3)
        files = {"file": ("a.pdf", (corpus / "text_00_en.pdf").read_bytes(), "application/pdf")}
        response = client.post(URL, files=files, headers=member[1])
    assert response.status_code == 504, response.text
    assert response.json()["field"] == "provider" and "did not answer in time" in response.json()["detail"]
    assert _count(db) == 0


@pytest.mark.parametrize(
    ("data", "message"),
    [(b"%PDF-1.4 corrupt", "the PDF cannot be read"), (b"", "the file is empty"), (b"GIF89a", "unsupported")],
)
def test_unreadable_files_are_422_and_nothing_is_stored(
    client: TestClient, db: Session, member: Actor, data: bytes, message: str
) -> None:
    response = client.post(URL, files={"file": ("x.bin", data)}, headers=member[1])
    assert response.status_code == 422 and message in response.json()["detail"]
    assert _count(db) == 0


def test_a_request_without_the_file_field_is_422(client: TestClient, member: Actor) -> None:
    response = client.post(URL, data={"text": "hello"}, headers=member[1])
    assert response.status_code == 422 and "'file'" in response.json()["detail"]


def test_a_lead_from_text_without_a_provider_names_the_capability(client: TestClient, member: Actor) -> None:
    text = "Hi, I'm Jane Roe (jane.roe@acme.example, +44 20 7946 0958), buyer at ACME Ltd."
    response = client.post(LEADS, data={"text": text}, headers=member[1])
    assert response.status_code == 200, response.text
    body = response.json()
    assert "'chat' capability" in body["missing_capability"]
    assert body["fields"]["email"] == "jane.roe@acme.example"
    assert body["fields"]["phone"] == "+442079460958"


def test_a_lead_from_an_eml_through_the_default_models_provider(
    client: TestClient, db: Session, admin: Actor, member: Actor
) -> None:
    case = next(c for c in generate_leads() if c.kind == "eml" and c.truth["phone"])
    with FakeOpenAI(api_key="sk-test-ingest") as fake:
        _use_fake_provider(client, db, admin, fake)
        fake.chat_reply = json.dumps(case.truth | {"email": "invented@nowhere.example"}, ensure_ascii=False)
        files = {"file": ("mail.eml", case.data, "message/rfc822")}
        response = client.post(LEADS, files=files, headers=member[1])
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["missing_capability"] is None
    assert body["fields"]["company"] == case.truth["company"]
    assert body["flags"] == [
        {"field": "email", "value": "invented@nowhere.example", "reason": "not found in the document"}
    ]


def test_a_lead_request_with_nothing_is_422(client: TestClient, member: Actor) -> None:
    response = client.post(LEADS, data={"text": "  "}, headers=member[1])
    assert response.status_code == 422 and "the form field 'text'" in response.json()["detail"]
