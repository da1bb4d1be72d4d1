"""To-dos from a chat comment or a notification on both databases, the local OpenAI-wire server as the
provider: the title in the user's working language, the system line and notifications, permissions, and
nothing written when the provider is missing, times out or answers badly."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from erpai.chat.models import ChatComment
from erpai.notifications.models import Notification
from erpai.notifications.service import notify
from erpai.records.models import Lead, Todo
from erpai.users.models import User
from tests.ai_tools.helpers import API_KEY, use_fake_provider
from tests.conftest import make_user
from tests.fakes.openai_server import FakeOpenAI

Actor = tuple[User, dict[str, str]]
FROM_COMMENT = "/api/v1/todos/from-comment"
FROM_NOTE = "/api/v1/todos/from-notification"
COMMENT = (
    "Можеш ли да изпратиш офертата на ACME до петък?"  # Bulgarian: "can you send ACME the offer by Friday?"
)


def _count(db: Session, model: Any) -> int:
    return int(db.scalar(select(func.count()).select_from(model)) or 0)


def _group_with_comment(client: TestClient, owner: Actor, members: list[User]) -> tuple[int, int]:
    body = {"name": "Sales", "member_ids": [m.id for m in members]}
    group = client.post("/api/v1/chat/groups", json=body, headers=owner[1])
    assert group.status_code == 201, group.text
    group_id = group.json()["id"]
    posted = client.post(f"/api/v1/chat/groups/{group_id}/comments", json={"text": COMMENT}, headers=owner[1])
    assert posted.status_code == 201, posted.text
    return group_id, posted.json()["id"]


def test_a_comment_becomes_a_todo_titled_in_the_working_language(
    client: TestClient, db: Session, admin: Actor, member: Actor
) -> None:
    colleague = make_user(db, "bob")
    group_id, comment_id = _group_with_comment(client, member, [colleague[0], admin[0]])
    assert (
        client.patch("/api/v1/users/me", json={"working_language": "de"}, headers=member[1]).json()[
            "working_language"
        ]
        == "de"
    )
    with FakeOpenAI(api_key=API_KEY) as fake:
        use_fake_provider(client, db, admin[1], fake)
        fake.chat_reply = json.dumps({"title": "Angebot an ACME bis Freitag senden"})
        response = client.post(FROM_COMMENT, json={"comment_id": comment_id}, headers=member[1])
        sent = fake.chat_calls()[-1].body
    assert response.status_code == 201, response.text
    body = response.json()
    todo = body["todo"]
    assert todo["title"] == "Angebot an ACME bis Freitag senden"
    assert (body["title_source"], body["language"]) == ("ai", "de")
    assert (todo["owner_user_id"], todo["assigned_user_id"]) == (member[0].id, member[0].id)
    assert todo["linked_chat_group_id"] == group_id and COMMENT in todo["description"]
    assert "German (language code de)" in sent["messages"][0]["content"]
    assert COMMENT in sent["messages"][1]["content"]
    assert sent["response_format"] == {"type": "json_object"}
    line = db.get(ChatComment, body["system_comment_id"])
    assert line is not None and line.is_system and line.group_id == group_id
    assert line.text == "Task 'Angebot an ACME bis Freitag senden' was assigned to the group"
    assert sorted(body["notified_user_ids"]) == sorted([colleague[0].id, admin[0].id])
    told = db.scalars(select(Notification).where(Notification.user_id == colleague[0].id)).one()
    assert (told.notification_class, told.data_object_type, told.data_object_id) == (
        "NT_TODO_ASSIGNED",
        "todos",
        todo["id"],
    )
    assert "Angebot an ACME" in told.title
    assert _count(db, Notification) == 2  # not the caller


def test_without_a_chat_provider_the_capability_is_named_and_a_manual_title_works(
    client: TestClient, db: Session, member: Actor
) -> None:
    colleague = make_user(db, "bob")
    _, comment_id = _group_with_comment(client, member, [colleague[0]])
    refused = client.post(FROM_COMMENT, json={"comment_id": comment_id}, headers=member[1])
    assert refused.status_code == 422 and refused.json()["field"] == "title"
    assert (
        "'chat' capability" in refused.json()["detail"]
        and "give the title yourself" in refused.json()["detail"]
    )
    assert _count(db, Todo) == 0 and _count(db, Notification) == 0
    body = {"comment_id": comment_id, "title": "Send ACME the offer"}
    created = client.post(FROM_COMMENT, json=body, headers=member[1])
    assert created.status_code == 201, created.text
    assert created.json()["title_source"] == "manual" and created.json()["language"] == "en"
    assert created.json()["notified_user_ids"] == [colleague[0].id]


def test_only_members_who_write_in_the_group_make_todos_of_its_comments(
    client: TestClient, db: Session, admin: Actor, member: Actor
) -> None:
    observer = make_user(db, "olga")
    _, comment_id = _group_with_comment(client, member, [])
    group_id = db.get(ChatComment, comment_id).group_id  # type: ignore[union-attr]
    added = client.post(
        f"/api/v1/chat/groups/{group_id}/members",
        json={"user_id": observer[0].id, "role": "observer"},
        headers=member[1],
    )
    assert added.status_code == 201
    body = {"comment_id": comment_id, "title": "x"}
    assert client.post(FROM_COMMENT, json=body, headers=admin[1]).status_code == 403  # not a member
    assert client.post(FROM_COMMENT, json=body, headers=observer[1]).status_code == 403
    assert client.post(FROM_COMMENT, json=body | {"comment_id": 99_999}, headers=member[1]).status_code == 404
    assert _count(db, Todo) == 0


def test_a_notification_becomes_a_todo_with_its_subject_as_context(
    client: TestClient, db: Session, admin: Actor, member: Actor
) -> None:
    lead = Lead(last_name="Roe", company_name="ACME")
    db.add(lead)
    db.flush()
    note = notify(
        db,
        user_id=member[0].id,
        notification_class="NT_TEST",
        title="Lead Roe waits for an answer",
        message="Jane Roe of ACME asked for a call back.",
        data_object_type="leads",
        data_object_id=lead.id,
    )
    db.commit()
    with FakeOpenAI(api_key=API_KEY) as fake:
        use_fake_provider(client, db, admin[1], fake)
        fake.chat_reply = json.dumps({"title": "Call Jane Roe back"})
        response = client.post(FROM_NOTE, json={"notification_id": note.id}, headers=member[1])
        sent = fake.chat_calls()[-1].body["messages"][1]["content"]
        hidden = client.post(FROM_NOTE, json={"notification_id": note.id}, headers=admin[1])
    assert response.status_code == 201, response.text
    todo = response.json()["todo"]
    assert todo["title"] == "Call Jane Roe back" and todo["linked_record"] == f"leads:{lead.id}"
    assert todo["linked_chat_group_id"] is None and response.json()["system_comment_id"] is None
    assert "Lead Roe waits for an answer" in sent and "call back" in sent
    assert hidden.status_code == 404  # someone else's notification


def test_a_timeout_or_a_bad_answer_writes_nothing(client: TestClient, db: Session, admin: Actor) -> None:
    _, comment_id = _group_with_comment(client, admin, [])
    with FakeOpenAI(api_key=API_KEY) as fake:
        use_fake_provider(client, db, admin[1], fake)
        fake.script("not json at all", '{"name": "still the wrong shape"}')
        bad = client.post(FROM_COMMENT, json={"comment_id": comment_id}, headers=admin[1])
        fake.chat_delay = 4
        slow = client.post(FROM_COMMENT, json={"comment_id": comment_id}, headers=admin[1])
    assert bad.status_code == 502 and "after one repair retry" in bad.json()["detail"]
    assert slow.status_code == 504, slow.text
    assert _count(db, Todo) == 0
    assert db.scalar(select(func.count()).where(ChatComment.is_system.is_(True))) == 0


def test_a_linked_record_must_exist_and_a_working_language_must_be_a_code(
    client: TestClient, db: Session, member: Actor
) -> None:
    _, comment_id = _group_with_comment(client, member, [])
    body = {"comment_id": comment_id, "title": "x", "linked_record": "leads:4242"}
    missing = client.post(FROM_COMMENT, json=body, headers=member[1])
    assert missing.status_code == 404 and missing.json()["field"] == "linked_record"
    unknown = client.post(FROM_COMMENT, json=body | {"linked_record": "ships:1"}, headers=member[1])
    assert unknown.status_code == 422 and "unknown record kind" in unknown.json()["detail"]
    wrong = client.patch("/api/v1/users/me", json={"working_language": "German!"}, headers=member[1])
    assert wrong.status_code == 422 and wrong.json()["field"] == "working_language"
    assert _count(db, Todo) == 0
