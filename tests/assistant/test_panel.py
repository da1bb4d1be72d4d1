"""The assistant panel without a provider call: fine-tune refused for assistant models, page data limits and
truncation, instructions with their system defaults, debug switches, and privacy (404 for everyone else)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from erpai.assistant.models import AssistantConversation
from erpai.compilations.service import start_compilation
from erpai.errors import InvalidInput
from erpai.users.models import User
from tests.ai_models.factories import make_model
from tests.compilations.factories import local_provider, model_with_qas
from tests.conftest import make_user

CONVERSATIONS = "/api/v1/assistant/conversations"
INSTRUCTIONS = "/api/v1/assistant/instructions"
Actor = tuple[User, dict[str, str]]


def _conversation(client: TestClient, db: Session, actor: Actor) -> dict[str, Any]:
    model = make_model(db, "Helper", provider_id=local_provider(db).id)
    response = client.post(CONVERSATIONS, json={"model_id": model.id}, headers=actor[1])
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _upload(client: TestClient, headers: dict[str, str], conversation_id: int, document: Any) -> Any:
    return client.post(
        f"{CONVERSATIONS}/{conversation_id}/context", content=json.dumps(document), headers=headers
    )


def test_assistant_models_cannot_be_fine_tuned(client: TestClient, db: Session, admin: Actor) -> None:
    provider = local_provider(db)
    model = model_with_qas(db, name="Helpdesk", user=admin[0], provider=provider)
    model.build_assistant = True
    db.flush()
    url = f"/api/v1/models/{model.id}/compile"
    refused = client.post(url, json={"kind": "fine_tune"}, headers=admin[1])
    assert refused.status_code == 422 and refused.json()["field"] == "kind"
    assert "cannot be fine-tuned" in refused.json()["detail"] and "arbiter" in refused.json()["detail"]
    build = start_compilation(db, model_id=model.id, user_id=admin[0].id, kind="retrieval")
    assert build.kind == "assistant"  # an assistant build; its job adds the chain and instructions
    arbiter = model_with_qas(db, name="Arbiter", user=admin[0], provider=provider)
    with pytest.raises(InvalidInput) as refused_kind:
        start_compilation(db, model_id=arbiter.id, user_id=admin[0].id, kind="assistant")
    assert refused_kind.value.field == "kind"
    assert start_compilation(db, model_id=arbiter.id, user_id=admin[0].id).kind == "retrieval"


def test_page_data_record_navigator_limits_and_truncation(
    client: TestClient, db: Session, member: Actor, admin: Actor
) -> None:
    conversation = _conversation(client, db, member)
    cid = conversation["id"]
    record = _upload(client, member[1], cid, {"name": "ACME GmbH", "city": "Berlin"})
    assert record.status_code == 200, record.text
    assert record.json()["message"]["content"] == "Context data uploaded for: ACME GmbH"
    assert record.json()["form_kind"] == "record" and record.json()["left_out"] == 0

    for bad, field in (([1, 2], "page_data"), ({}, "page_data"), ({"title": "T", "objects": "x"}, "objects")):
        response = _upload(client, member[1], cid, bad)
        assert response.status_code == 422 and response.json()["field"] == field, response.text
    broken = client.post(f"{CONVERSATIONS}/{cid}/context", content=b"{not json", headers=member[1])
    assert broken.status_code == 422 and broken.json()["field"] == "page_data"

    client.put("/api/v1/settings/ai.assistant.page_data_token_budget", json={"value": 200}, headers=admin[1])
    objects = [{"id": n, "name": f"Product {n}", "price": n * 10} for n in range(100)]
    page = {"title": "Products", "description": "All products", "objects": objects}
    navigator = _upload(client, member[1], cid, page).json()
    assert navigator["form_kind"] == "navigator" and navigator["objects"] == 100
    assert 0 < navigator["left_out"] < 100
    shown = 100 - navigator["left_out"]
    assert navigator["message"]["content"] == (
        f"Context data uploaded for: Products ({navigator['left_out']} of 100 objects do not fit my "
        f"page-data budget and are left out; I see the first {shown})"
    )
    stored = db.get(AssistantConversation, cid)
    assert stored is not None and json.loads(stored.page_context_json or "{}") == page  # kept whole

    client.put("/api/v1/settings/ai.assistant.page_data_max_bytes", json={"value": 1000}, headers=admin[1])
    too_big = _upload(client, member[1], cid, page)
    assert too_big.status_code == 413 and too_big.json()["field"] == "page_data"


def test_instructions_default_to_the_settings_and_clearing_restores_them(
    client: TestClient, member: Actor, admin: Actor
) -> None:
    settings = "/api/v1/settings/ai.assistant.additional_instructions"
    assert client.put(settings, json={"value": "Be formal."}, headers=admin[1]).status_code == 200
    navigator_key = "/api/v1/settings/ai.assistant.additional_navigator_instructions"
    client.put(navigator_key, json={"value": "Summarise lists."}, headers=admin[1])
    listed = client.get(INSTRUCTIONS, headers=member[1]).json()
    assert listed == [
        {"form_kind": "record", "instructions": "Be formal.", "is_default": True},
        {"form_kind": "navigator", "instructions": "Summarise lists.", "is_default": True},
    ]
    own = client.put(f"{INSTRUCTIONS}/record", json={"instructions": "Use bullet points."}, headers=member[1])
    assert own.json() == {"form_kind": "record", "instructions": "Use bullet points.", "is_default": False}
    assert client.get(INSTRUCTIONS, headers=admin[1]).json()[0]["instructions"] == "Be formal."  # per user
    cleared = client.delete(f"{INSTRUCTIONS}/record", headers=member[1])
    assert cleared.json() == {"form_kind": "record", "instructions": "Be formal.", "is_default": True}
    # a changed default is used at once
    client.put(settings, json={"value": "Be brief."}, headers=admin[1])
    assert client.get(INSTRUCTIONS, headers=member[1]).json()[0]["instructions"] == "Be brief."
    bad = client.put(f"{INSTRUCTIONS}/grid", json={"instructions": "x"}, headers=member[1])
    assert bad.status_code == 422 and bad.json()["field"] == "form_kind"


def test_debug_and_diagnostics_are_off_by_default_and_per_user(
    client: TestClient, member: Actor, admin: Actor
) -> None:
    url = "/api/v1/assistant/preferences"
    assert client.get(url, headers=member[1]).json() == {"debug": False, "diagnostics": False}
    assert client.patch(url, json={"debug": True}, headers=member[1]).json() == {
        "debug": True,
        "diagnostics": False,
    }
    assert client.get(url, headers=admin[1]).json() == {"debug": False, "diagnostics": False}


def test_conversations_are_private_to_their_owner_admins_included(
    client: TestClient, db: Session, member: Actor, admin: Actor
) -> None:
    conversation = _conversation(client, db, member)
    cid = conversation["id"]
    assert _upload(client, member[1], cid, {"name": "Secret record"}).status_code == 200
    other = make_user(db, "joe")
    for actor in (other, admin):
        headers = actor[1]
        assert client.get(f"{CONVERSATIONS}/{cid}", headers=headers).status_code == 404
        assert client.get(f"{CONVERSATIONS}/{cid}/messages", headers=headers).status_code == 404
        posted = client.post(f"{CONVERSATIONS}/{cid}/messages", json={"content": "hi"}, headers=headers)
        assert posted.status_code == 404 and "does not exist" in posted.json()["detail"]
        assert _upload(client, headers, cid, {"name": "x"}).status_code == 404
        assert client.patch(f"{CONVERSATIONS}/{cid}", json={"title": "x"}, headers=headers).status_code == 404
        assert client.get(CONVERSATIONS, headers=headers).json()["total"] == 0

    member[0].is_active = False  # a deactivated user: their token no longer works, nobody else sees it
    db.flush()
    assert client.get(f"{CONVERSATIONS}/{cid}", headers=member[1]).status_code == 401
    assert client.get(f"{CONVERSATIONS}/{cid}", headers=admin[1]).status_code == 404
    db.delete(member[0])  # a deleted user: the conversation goes with them
    db.flush()
    assert db.get(AssistantConversation, cid) is None
    assert client.get(f"{CONVERSATIONS}/{cid}", headers=member[1]).status_code == 401
