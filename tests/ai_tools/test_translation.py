"""Translating a multilanguage field on both databases (the local OpenAI-wire server as the provider):
to every empty active language, from a chosen source to one target, and the refusals that write nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from erpai.records.models import Lead, Product
from erpai.settings.service import set_setting
from erpai.users.models import User
from tests.ai_tools.helpers import API_KEY, use_fake_provider
from tests.fakes.openai_server import FakeOpenAI

Actor = tuple[User, dict[str, str]]


@pytest.fixture
def chair(db: Session) -> Product:
    set_setting(db, key="records.active_languages", value="en,de,fr,bg", actor=None)
    product = Product(name={"en": "Office chair", "fr": "Chaise de bureau"}, unit="pcs")
    db.add(product)
    db.commit()
    return product


def _url(product: Product) -> str:
    return f"/api/v1/records/products/{product.id}/translate"


def _name(db: Session, product: Product) -> dict[str, Any]:
    db.expire_all()
    return dict(db.get(Product, product.id).name)  # type: ignore[union-attr]


def test_all_empty_active_languages_are_filled_from_the_first_one(
    client: TestClient, db: Session, admin: Actor, member: Actor, chair: Product
) -> None:
    with FakeOpenAI(api_key=API_KEY) as fake:
        use_fake_provider(client, db, admin[1], fake)
        fake.chat_reply = json.dumps({"de": "Bürostuhl", "bg": "Офис стол"})
        response = client.post(_url(chair), json={"field": "name"}, headers=member[1])
        sent = fake.chat_calls()[-1].body
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["source_language"] == "en" and set(body["translated"]) == {"de", "bg"}
    assert "German (de), Bulgarian (bg)" in sent["messages"][0]["content"]
    assert sent["messages"][1]["content"] == "Office chair"
    assert _name(db, chair) == {
        "en": "Office chair",
        "fr": "Chaise de bureau",
        "de": "Bürostuhl",
        "bg": "Офис стол",
    }
    again = client.post(_url(chair), json={"field": "name"}, headers=member[1])
    assert again.status_code == 200 and again.json()["translated"] == {}  # nothing missing: no AI call


def test_one_target_from_a_chosen_source_replaces_only_that_language(
    client: TestClient, db: Session, admin: Actor, chair: Product
) -> None:
    with FakeOpenAI(api_key=API_KEY) as fake:
        use_fake_provider(client, db, admin[1], fake)
        fake.chat_reply = json.dumps({"en": "Desk chair"})
        body = {"field": "name", "source_language": "fr", "target_language": "en"}
        response = client.post(_url(chair), json=body, headers=admin[1])
        sent = fake.chat_calls()[-1].body["messages"]
    assert response.status_code == 200, response.text
    assert response.json()["translated"] == {"en": "Desk chair"}
    assert (
        sent[1]["content"] == "Chaise de bureau"
        and "from French (fr) into English (en)" in sent[0]["content"]
    )
    assert _name(db, chair) == {"en": "Desk chair", "fr": "Chaise de bureau"}


def test_without_a_provider_the_capability_is_named_and_nothing_changes(
    client: TestClient, db: Session, member: Actor, chair: Product
) -> None:
    response = client.post(_url(chair), json={"field": "name"}, headers=member[1])
    assert response.status_code == 422 and "'chat' capability" in response.json()["detail"]
    assert _name(db, chair) == {"en": "Office chair", "fr": "Chaise de bureau"}


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"field": "unit"}, "field", "not a multilanguage field of products (multilanguage fields: name)"),
        ({"field": "name", "target_language": "it"}, "target_language", "'it' is not an active language"),
        ({"field": "name", "source_language": "de"}, "source_language", "no text in 'de'"),
        ({"field": "name", "source_language": "en", "target_language": "en"}, "target_language", "source"),
    ],
)
def test_bad_requests_name_the_field(
    client: TestClient, member: Actor, chair: Product, body: dict[str, str], field: str, message: str
) -> None:
    response = client.post(_url(chair), json=body, headers=member[1])
    assert response.status_code == 422 and response.json()["field"] == field
    assert message in response.json()["detail"]


def test_a_wrong_answer_or_a_timeout_writes_nothing(
    client: TestClient, db: Session, admin: Actor, chair: Product
) -> None:
    with FakeOpenAI(api_key=API_KEY) as fake:
        use_fake_provider(client, db, admin[1], fake)
        fake.script('{"de": "Bürostuhl"}', '{"de": "Bürostuhl", "xx": 1}')  # bg missing, then invented keys
        wrong = client.post(_url(chair), json={"field": "name"}, headers=admin[1])
        fake.chat_delay = 4
        slow = client.post(_url(chair), json={"field": "name"}, headers=admin[1])
    assert wrong.status_code == 502 and "schema" in wrong.json()["detail"]
    assert slow.status_code == 504
    assert _name(db, chair) == {"en": "Office chair", "fr": "Chaise de bureau"}


def test_a_record_without_multilanguage_fields_or_missing_is_refused(
    client: TestClient, db: Session, member: Actor
) -> None:
    lead = Lead(last_name="Roe")
    db.add(lead)
    db.flush()
    plain = client.post(
        f"/api/v1/records/leads/{lead.id}/translate", json={"field": "notes"}, headers=member[1]
    )
    assert plain.status_code == 422 and "multilanguage fields: none" in plain.json()["detail"]
    missing = client.post(
        "/api/v1/records/products/4242/translate", json={"field": "name"}, headers=member[1]
    )
    assert missing.status_code == 404
