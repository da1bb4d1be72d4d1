from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from erpai.ai_models.models import AIModel
from erpai.training.models import TrainingConversation, TrainingConversationMessage
from erpai.users.models import User
from tests.conftest import make_user
from tests.qas.conftest import add_model

Login = tuple[User, dict[str, str]]
URL = "/api/v1/training-conversations"
OLD = datetime(2020, 1, 1)
DIALOGUE = [
    {"role": "user", "name": "Jacob", "content": "How do I book leave?"},
    {"role": "assistant", "content": "Use the HR portal."},
]


def _create(client: TestClient, headers: dict[str, str], model_id: int, **values: Any) -> Any:
    response = client.post(URL, json={"model_id": model_id, "messages": DIALOGUE, **values}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def _age(db: Session, conversation_id: int) -> None:
    """Moves LastUpdateTimeUtc into the past so that a later change visibly moves it."""
    conversation = db.get(TrainingConversation, conversation_id)
    assert conversation is not None
    conversation.last_update_time_utc = OLD
    db.commit()


def _last_update(client: TestClient, headers: dict[str, str], conversation_id: int) -> datetime:
    body = client.get(f"{URL}/{conversation_id}", headers=headers).json()
    return datetime.fromisoformat(body["last_update_time_utc"])


def test_create_with_inline_messages(client: TestClient, member: Login, model: AIModel) -> None:
    created = _create(client, member[1], model.id, notes="leave policy")
    assert created["origin"] == "user_entered" and created["origin_object_id"] is None
    assert created["created_by_user_id"] == member[0].id
    assert created["creation_time_utc"] == created["last_update_time_utc"]
    assert [(m["message_no"], m["role"], m["name"]) for m in created["messages"]] == [
        (1, "user", "Jacob"),
        (2, "assistant", None),
    ]
    assert created["message_count"] == 2 and created["notes"] == "leave policy"


def test_read_only_fields_are_refused(client: TestClient, member: Login, model: AIModel) -> None:
    for field, value in (
        ("origin", "chat"),
        ("creation_time_utc", "2020-01-01T00:00:00"),
        ("origin_object_id", 4),
    ):
        response = client.post(URL, json={"model_id": model.id, field: value}, headers=member[1])
        assert response.status_code == 422 and response.json()["field"] == field
    conversation = _create(client, member[1], model.id)
    patch = client.patch(
        f"{URL}/{conversation['id']}", json={"last_update_time_utc": "2020-01-01"}, headers=member[1]
    )
    assert patch.status_code == 422


def test_bad_input_is_422_or_404_naming_the_field(client: TestClient, member: Login, model: AIModel) -> None:
    cases = [
        ({"model_id": model.id, "messages": [{"role": "robot", "content": "x"}]}, 422, "messages.0.role"),
        ({"model_id": model.id, "messages": [{"role": "user", "content": "  "}]}, 422, "messages.0.content"),
        ({"model_id": model.id, "messages": [{"content": "x", "name": "n" * 65}]}, 422, "messages.0.name"),
        ({"model_id": 999_999}, 404, "model_id"),
    ]
    for body, code, field in cases:
        response = client.post(URL, json=body, headers=member[1])
        assert (response.status_code, response.json()["field"]) == (code, field), body
    assert client.get(URL).status_code == 401
    assert client.get(f"{URL}/999999", headers=member[1]).status_code == 404


def test_message_numbers_continue_from_the_highest(
    client: TestClient, db: Session, member: Login, model: AIModel
) -> None:
    conversation = _create(client, member[1], model.id)
    messages_url = f"{URL}/{conversation['id']}/messages"
    first_id = conversation["messages"][0]["id"]
    assert client.delete(f"{messages_url}/{first_id}", headers=member[1]).status_code == 204
    added = client.post(messages_url, json={"content": "And sick leave?"}, headers=member[1])
    assert added.status_code == 201 and added.json()["message_no"] == 3 and added.json()["role"] == "user"
    listed = client.get(messages_url, headers=member[1]).json()
    assert [m["message_no"] for m in listed] == [2, 3]


def test_every_change_moves_last_update(
    client: TestClient, db: Session, member: Login, model: AIModel
) -> None:
    conversation = _create(client, member[1], model.id)
    cid, headers = conversation["id"], member[1]
    message_id = conversation["messages"][1]["id"]
    changes = [
        lambda: client.patch(f"{URL}/{cid}", json={"notes": "n"}, headers=headers),
        lambda: client.post(
            f"{URL}/{cid}/messages", json={"role": "system", "content": "Be kind."}, headers=headers
        ),
        lambda: client.patch(
            f"{URL}/{cid}/messages/{message_id}", json={"content": "HR portal."}, headers=headers
        ),
        lambda: client.delete(f"{URL}/{cid}/messages/{message_id}", headers=headers),
    ]
    for change in changes:
        _age(db, cid)
        assert change().status_code in (200, 201, 204)
        assert _last_update(client, headers, cid) > OLD.replace(tzinfo=UTC)


def test_update_message_and_conversation(
    client: TestClient, db: Session, member: Login, model: AIModel
) -> None:
    conversation = _create(client, member[1], model.id)
    message = conversation["messages"][0]
    url = f"{URL}/{conversation['id']}/messages/{message['id']}"
    body = {
        "role": "assistant",
        "name": None,
        "content": " Edited ",
        "message_time_utc": "2024-05-01T10:00:00+02:00",
    }
    updated = client.patch(url, json=body, headers=member[1]).json()
    assert (updated["role"], updated["name"], updated["content"]) == ("assistant", None, "Edited")
    assert updated["message_time_utc"] == "2024-05-01T08:00:00Z"
    assert client.patch(url, json={"content": None}, headers=member[1]).json()["field"] == "content"
    other = add_model(db, "Sales", trainers=(member[0],))
    moved = client.patch(f"{URL}/{conversation['id']}", json={"model_id": other.id}, headers=member[1])
    assert moved.json()["model_id"] == other.id
    missing = client.patch(f"{URL}/{conversation['id']}", json={"model_id": 999_999}, headers=member[1])
    assert missing.status_code == 404 and missing.json()["field"] == "model_id"


def test_stale_object_version_is_409(client: TestClient, member: Login, model: AIModel) -> None:
    conversation = _create(client, member[1], model.id)
    url = f"{URL}/{conversation['id']}"
    version = conversation["object_version"]
    assert (
        client.patch(url, json={"notes": "a", "object_version": version}, headers=member[1]).status_code
        == 200
    )
    stale = client.patch(url, json={"notes": "b", "object_version": version}, headers=member[1])
    assert stale.status_code == 409 and stale.json()["field"] == "object_version"


def test_only_trainers_or_admins_may_change_or_read(
    client: TestClient, db: Session, admin: Login, member: Login, model: AIModel
) -> None:
    _, otto = make_user(db, "otto")
    conversation = _create(client, member[1], model.id)
    cid, message_id = conversation["id"], conversation["messages"][0]["id"]
    attempts = [
        ("patch", f"{URL}/{cid}", {"notes": "x"}),
        ("post", f"{URL}/{cid}/messages", {"content": "x"}),
        ("patch", f"{URL}/{cid}/messages/{message_id}", {"content": "x"}),
        ("delete", f"{URL}/{cid}/messages/{message_id}", None),
        ("delete", f"{URL}/{cid}", None),
    ]
    for method, url, body in attempts:
        kwargs: dict[str, Any] = {"headers": otto} if body is None else {"headers": otto, "json": body}
        assert client.request(method, url, **kwargs).status_code == 403, (method, url)
    assert client.get(f"{URL}/{cid}", headers=otto).status_code == 403
    assert client.patch(f"{URL}/{cid}", json={"notes": "admin"}, headers=admin[1]).status_code == 200
    assert client.delete(f"{URL}/{cid}", headers=admin[1]).status_code == 204
    count = select(func.count()).select_from(TrainingConversationMessage)
    assert db.scalar(count.where(TrainingConversationMessage.training_conversation_id == cid)) == 0


def test_message_of_another_conversation_is_404(client: TestClient, member: Login, model: AIModel) -> None:
    first = _create(client, member[1], model.id)
    second = _create(client, member[1], model.id)
    foreign = second["messages"][0]["id"]
    response = client.patch(
        f"{URL}/{first['id']}/messages/{foreign}", json={"content": "x"}, headers=member[1]
    )
    assert response.status_code == 404 and response.json()["field"] == "message_id"


def test_list_filters_by_model_and_origin(
    client: TestClient, db: Session, member: Login, model: AIModel
) -> None:
    other = add_model(db, "Sales", trainers=(member[0],))
    _create(client, member[1], model.id)
    _create(client, member[1], other.id, messages=[])
    chat = TrainingConversation(
        model_id=model.id, origin="CHT", origin_object_type="chat_group", origin_object_id=7
    )
    db.add(chat)
    db.commit()

    def listed(**params: Any) -> list[tuple[int, str, int]]:
        body = client.get(URL, params=params, headers=member[1]).json()
        return [(i["model_id"], i["origin"], i["message_count"]) for i in body["items"]]

    assert listed(model_id=model.id) == [(model.id, "user_entered", 2), (model.id, "chat", 0)]
    assert listed(origin="chat") == [(model.id, "chat", 0)]
    assert listed(model_id=other.id) == [(other.id, "user_entered", 0)]
    assert client.get(URL, params={"origin": "CHT"}, headers=member[1]).status_code == 422
    page = client.get(URL, params={"limit": 1, "offset": 1}, headers=member[1]).json()
    assert page["total"] == 3 and len(page["items"]) == 1


def test_import_endpoint_is_all_or_nothing(
    client: TestClient, db: Session, member: Login, model: AIModel
) -> None:
    url = f"/api/v1/models/{model.id}/training-conversations/import"
    bad = '{"messages": [{"role": "user", "content": "hi"}]}\n{"messages": []}\n'
    response = client.post(url, content=bad.encode(), headers=member[1])
    assert response.status_code == 422
    assert [(e["line"], e["loc"]) for e in response.json()["errors"]] == [(2, ["line", 2, "messages"])]
    count = (
        select(func.count())
        .select_from(TrainingConversation)
        .where(TrainingConversation.model_id == model.id)
    )
    assert db.scalar(count) == 0
    good = '{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}\n'
    assert client.post(url, files={"file": ("c.jsonl", good.encode())}, headers=member[1]).json() == {
        "imported": 1
    }
    assert db.scalar(count) == 1
