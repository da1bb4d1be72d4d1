from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from erpai.assistant import service
from erpai.assistant.models import AssistantConversation
from erpai.assistant.schemas import ConversationCreate
from erpai.errors import InvalidInput, NotFound
from erpai.users.models import User
from tests.ai_models.factories import make_model

URL = "/api/v1/assistant/conversations"
Actor = tuple[User, dict[str, str]]


def _start(client: TestClient, headers: dict[str, str], **body: Any) -> Any:
    response = client.post(URL, json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def test_model_is_given_else_assigned_else_default(client: TestClient, db: Session, member: Actor) -> None:
    user, headers = member
    response = client.post(URL, json={}, headers=headers)
    assert response.status_code == 422 and response.json()["field"] == "model_id"
    assert "no default" in response.json()["detail"]

    default = make_model(db, "Master", is_default=True)
    assert _start(client, headers)["model_id"] == default.id
    assigned = make_model(db, "Sales")
    user.model_id = assigned.id
    db.flush()
    assert _start(client, headers)["model_id"] == assigned.id
    explicit = make_model(db, "Support")
    assert _start(client, headers, model_id=explicit.id)["model_id"] == explicit.id
    response = client.post(URL, json={"model_id": 999999}, headers=headers)
    assert response.status_code == 422 and response.json()["field"] == "model_id"


def test_new_conversation_deactivates_the_current_one_for_that_model(
    client: TestClient, db: Session, member: Actor, admin: Actor
) -> None:
    sales, support = make_model(db, "Sales"), make_model(db, "Support")
    first = _start(client, member[1], model_id=sales.id)
    other_model = _start(client, member[1], model_id=support.id)
    other_user = _start(client, admin[1], model_id=sales.id)
    second = _start(client, member[1], model_id=sales.id)
    assert first["is_active"] is True and second["is_active"] is True

    def active(headers: dict[str, str], **params: Any) -> list[int]:
        query = {"is_active": True, **params}
        return [c["id"] for c in client.get(URL, params=query, headers=headers).json()["items"]]

    assert active(member[1], model_id=sales.id) == [second["id"]]
    assert sorted(active(member[1])) == sorted([second["id"], other_model["id"]])
    assert active(admin[1]) == [other_user["id"]]
    inactive = client.get(URL, params={"is_active": False}, headers=member[1]).json()["items"]
    assert [c["id"] for c in inactive] == [first["id"]]


def test_conversations_are_private_to_their_owner(
    client: TestClient, db: Session, member: Actor, admin: Actor
) -> None:
    model = make_model(db, "Sales")
    mine = _start(client, member[1], model_id=model.id)
    url = f"{URL}/{mine['id']}"
    for response in (
        client.get(url, headers=admin[1]),
        client.patch(url, json={"title": "x"}, headers=admin[1]),
        client.delete(url, headers=admin[1]),
        client.get(f"{url}/messages", headers=admin[1]),
    ):
        assert response.status_code == 404 and response.json()["field"] == "conversation_id"
    assert client.get(URL, headers=admin[1]).json()["total"] == 0
    assert client.get(url, headers=member[1]).json()["title"] == service.PLACEHOLDER_TITLE


def test_no_token_is_401(client: TestClient) -> None:
    assert client.get(URL).status_code == 401
    assert client.post(URL, json={}).status_code == 401


def test_rename_notes_and_delete(client: TestClient, db: Session, member: Actor) -> None:
    model = make_model(db, "Sales")
    created = _start(client, member[1], model_id=model.id, title="Quotes")
    assert created["title"] == "Quotes"
    url = f"{URL}/{created['id']}"
    patched = client.patch(url, json={"title": " Q3 quotes ", "notes": "for Bob"}, headers=member[1])
    assert patched.status_code == 200 and patched.json()["title"] == "Q3 quotes"
    assert patched.json()["notes"] == "for Bob"
    for body, field in (
        ({"title": ""}, "title"),
        ({"title": None}, "title"),
        ({"is_active": True}, "is_active"),
    ):
        response = client.patch(url, json=body, headers=member[1])
        assert response.status_code == 422 and response.json()["field"] == field
    stale = client.patch(
        url, json={"notes": "x", "object_version": created["object_version"]}, headers=member[1]
    )
    assert stale.status_code == 409 and stale.json()["field"] == "object_version"
    assert client.delete(url, headers=member[1]).status_code == 204
    assert client.get(url, headers=member[1]).status_code == 404


def test_add_message_derives_the_title_and_lists_messages(
    client: TestClient, db: Session, member: Actor
) -> None:
    model = make_model(db, "Sales")
    conversation = _start(client, member[1], model_id=model.id)
    question = "What discount may I give to a returning customer who orders more than fifty units at once?"
    service.add_message(
        db, conversation_id=conversation["id"], user_id=member[0].id, role="user", content=question
    )
    service.add_message(
        db,
        conversation_id=conversation["id"],
        user_id=member[0].id,
        role="assistant",
        content="Up to 10%.",
        sources_json=json.dumps([{"qa_id": 7}]),
    )
    service.add_message(
        db, conversation_id=conversation["id"], user_id=member[0].id, role="user", content="Thanks"
    )
    title = db.get(AssistantConversation, conversation["id"]).title  # type: ignore[union-attr]
    assert title == "What discount may I give to a returning customer who orders…"

    page = client.get(f"{URL}/{conversation['id']}/messages", headers=member[1]).json()
    assert page["total"] == 3
    assert [(m["role"], m["sources"]) for m in page["items"]] == [
        ("user", None),
        ("assistant", [{"qa_id": 7}]),
        ("user", None),
    ]


def test_add_message_keeps_a_given_title_and_checks_input(db: Session, member: Actor, admin: Actor) -> None:
    model = make_model(db, "Sales")
    conversation = service.create_conversation(
        db, actor=member[0], data=ConversationCreate(model_id=model.id, title="Mine")
    )
    service.add_message(
        db, conversation_id=conversation.id, user_id=member[0].id, role="user", content="Hello"
    )
    assert conversation.title == "Mine"
    with pytest.raises(InvalidInput) as bad_role:
        service.add_message(
            db, conversation_id=conversation.id, user_id=member[0].id, role="bot", content="x"
        )
    assert bad_role.value.field == "role"
    with pytest.raises(InvalidInput) as empty:
        service.add_message(
            db, conversation_id=conversation.id, user_id=member[0].id, role="user", content=" "
        )
    assert empty.value.field == "content"
    with pytest.raises(NotFound):
        service.add_message(
            db, conversation_id=conversation.id, user_id=admin[0].id, role="user", content="x"
        )


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("  Hello\n  there ", "Hello there"),
        ("x" * 80, "x" * 60 + "…"),
        ("word " * 20, ("word " * 12).strip() + "…"),
    ],
)
def test_derive_title(text: str, title: str) -> None:
    assert service.derive_title(text) == title


def test_database_backstops_a_second_active_conversation(db: Session, member: Actor) -> None:
    model = make_model(db, "Sales")
    db.add(AssistantConversation(user_id=member[0].id, model_id=model.id, title="a", is_active=True))
    db.flush()
    with pytest.raises(IntegrityError), db.begin_nested():
        db.add(AssistantConversation(user_id=member[0].id, model_id=model.id, title="b", is_active=True))
        db.flush()
