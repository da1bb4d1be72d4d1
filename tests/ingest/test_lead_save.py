"""Saving a reviewed lead on both databases: duplicates (same e-mail, same normalised company) listed on
extract and refused on save without allow_duplicate, invented values flagged, a provider timeout."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from erpai.errors import InvalidInput
from erpai.ingest.lead_save import as_saved_lead
from erpai.ingest.schemas import LeadFields
from erpai.records.models import Lead, Party
from erpai.users.models import User
from tests.ai_tools.helpers import API_KEY, use_fake_provider
from tests.fakes.openai_server import FakeOpenAI

Actor = tuple[User, dict[str, str]]
EXTRACT = "/api/v1/leads/extract"
SAVE = "/api/v1/leads"
TEXT = (
    "Hello, this is Maria Schmidt, purchasing manager at Nordwind Handels GmbH. "
    "We need 40 office chairs. Reach me at m.schmidt@nordwind.example or +49 30 1234567."
)
TRUTH = {
    "first_name": "Maria",
    "last_name": "Schmidt",
    "email": "m.schmidt@nordwind.example",
    "phone": "+49 30 1234567",
    "role": "purchasing manager",
    "company": "Nordwind Handels GmbH",
    "notes": "Wants 40 office chairs.",
}


def _leads(db: Session) -> int:
    return int(db.scalar(select(func.count()).select_from(Lead)) or 0)


def _extract(client: TestClient, headers: dict[str, str]) -> dict[str, Any]:
    response = client.post(EXTRACT, data={"text": TEXT}, headers=headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_a_reviewed_lead_is_saved_with_its_source(client: TestClient, db: Session, admin: Actor) -> None:
    with FakeOpenAI(api_key=API_KEY) as fake:
        use_fake_provider(client, db, admin[1], fake)
        fake.chat_reply = json.dumps(TRUTH)
        proposal = _extract(client, admin[1])
    assert proposal["flags"] == [] and proposal["duplicates"] == []
    saved = client.post(SAVE, json=proposal["fields"] | {"source": "text"}, headers=admin[1])
    assert saved.status_code == 201, saved.text
    record = saved.json()["record"]
    assert (record["company_name"], record["role_in_company"], record["source"]) == (
        "Nordwind Handels GmbH",
        "purchasing manager",
        "text",
    )
    assert client.get(f"/api/v1/records/leads/{record['id']}", headers=admin[1]).json() == record


def test_an_existing_email_or_company_is_listed_and_refused_without_allow_duplicate(
    client: TestClient, db: Session, member: Actor
) -> None:
    lead = Lead(first_name="M", last_name="Schmidt", email="M.Schmidt@Nordwind.example")
    party = Party(name="„NORDWIND-Handels“ gmbh.", normalized_name="x")
    other = Party(name="Nordwind Logistics AG", normalized_name="y")
    db.add_all([lead, party, other])
    db.flush()
    proposal = _extract(client, member[1])  # no provider: the parsers fill e-mail and phone
    assert proposal["fields"]["email"] == "m.schmidt@nordwind.example"
    assert proposal["duplicates"] == [{"kind": "lead", "id": lead.id, "matched_on": ["email"]}]
    body = TRUTH | {"email": "someone@else.example"}
    refused = client.post(SAVE, json=body, headers=member[1])
    assert refused.status_code == 409 and refused.json()["field"] == "allow_duplicate"
    assert f"party {party.id} (same company)" in refused.json()["detail"]
    assert str(other.id) not in refused.json()["detail"].split("party ")[1]
    assert _leads(db) == 1
    forced = client.post(SAVE, json=body | {"allow_duplicate": True}, headers=member[1])
    assert forced.status_code == 201
    assert forced.json()["duplicates"] == [{"kind": "party", "id": party.id, "matched_on": ["company"]}]
    assert _leads(db) == 2


def test_invented_values_are_flagged_not_filled_silently(
    client: TestClient, db: Session, admin: Actor
) -> None:
    with FakeOpenAI(api_key=API_KEY) as fake:
        use_fake_provider(client, db, admin[1], fake)
        fake.chat_reply = json.dumps(TRUTH | {"phone": "+1 202 555 0100", "last_name": "Smith"})
        proposal = _extract(client, admin[1])
    assert {f["field"]: f["reason"] for f in proposal["flags"]} == {
        "phone": "not found in the document",
        "last_name": "not found in the document",
    }


def test_a_provider_timeout_leaves_the_parsers_values_and_says_why(
    client: TestClient, db: Session, admin: Actor
) -> None:
    with FakeOpenAI(api_key=API_KEY) as fake:
        use_fake_provider(client, db, admin[1], fake)
        fake.chat_delay = 4
        proposal = _extract(client, admin[1])
    assert any("extraction failed" in note for note in proposal["notes"]), proposal["notes"]
    assert proposal["fields"]["email"] == TRUTH["email"] and proposal["fields"]["company"] is None
    assert _leads(db) == 0


def test_an_empty_or_malformed_lead_is_422_and_nothing_is_saved(
    client: TestClient, db: Session, member: Actor
) -> None:
    empty = client.post(SAVE, json={"phone": "123", "notes": "x"}, headers=member[1])
    assert empty.status_code == 422 and empty.json()["field"] == "last_name"
    bad = client.post(SAVE, json={"last_name": "Roe", "email": "not-an-address"}, headers=member[1])
    assert bad.status_code == 422 and bad.json()["field"] == "email"
    unknown = client.post(SAVE, json={"last_name": "Roe", "surname": "x"}, headers=member[1])
    assert unknown.status_code == 422
    assert _leads(db) == 0


def test_a_proposal_too_long_for_the_lead_columns_is_a_clear_422() -> None:
    fields = LeadFields(last_name="Roe", role="Head of " + "very " * 40 + "important purchasing")
    with pytest.raises(InvalidInput) as caught:
        as_saved_lead(fields, source="text", allow_duplicate=False)
    assert caught.value.field == "role" and "correct the proposal" in caught.value.message
    assert as_saved_lead(LeadFields(last_name="Roe"), source="text", allow_duplicate=True).allow_duplicate
