from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from erpai.users.models import User
from tests.chat.conftest import make_arbiter, make_group, post
from tests.conftest import make_user

Member = tuple[User, dict[str, str]]


def test_creator_is_admin_and_virtual_user_joins_like_a_member(
    client: TestClient, db: Session, member: Member
) -> None:
    _, headers = member
    bot = make_arbiter(db, "Marketing AI", "marketing-ai")
    group_id = make_group(client, headers, members=[bot.virtual_user_id or 0])
    members = client.get(f"/api/v1/chat/groups/{group_id}/members", headers=headers).json()
    assert [(m["login"], m["role"], m["is_virtual"], m["model_id"]) for m in members] == [
        ("jane", "admin", False, None),
        ("marketing-ai", "member", True, bot.id),
    ]
    listed = client.get("/api/v1/chat/groups", headers=headers).json()
    assert [g["id"] for g in listed["items"]] == [group_id]


def test_non_member_cannot_read_post_or_manage(client: TestClient, db: Session, member: Member) -> None:
    group_id = make_group(client, member[1])
    outsider, headers = make_user(db, "mallory")
    base = f"/api/v1/chat/groups/{group_id}"
    assert client.get(base, headers=headers).status_code == 403
    assert client.get(f"{base}/comments", headers=headers).status_code == 403
    assert client.post(f"{base}/comments", json={"text": "hi"}, headers=headers).status_code == 403
    added = client.post(f"{base}/members", json={"user_id": outsider.id}, headers=headers)
    assert added.status_code == 403
    assert added.json()["field"] == "group_id"
    assert client.get("/api/v1/chat/groups", headers=headers).json()["items"] == []
    assert client.get("/api/v1/chat/groups/999999", headers=headers).status_code == 404


def test_observer_reads_but_cannot_post(client: TestClient, db: Session, member: Member) -> None:
    group_id = make_group(client, member[1])
    watcher, headers = make_user(db, "watcher")
    response = client.post(
        f"/api/v1/chat/groups/{group_id}/members",
        json={"user_id": watcher.id, "role": "observer"},
        headers=member[1],
    )
    assert response.status_code == 201, response.text
    post(client, member[1], group_id, "hello")
    assert [
        c["text"]
        for c in client.get(f"/api/v1/chat/groups/{group_id}/comments", headers=headers).json()["items"]
    ] == ["hello"]
    refused = client.post(
        f"/api/v1/chat/groups/{group_id}/comments", json={"text": "me too"}, headers=headers
    )
    assert refused.status_code == 403
    assert "observers" in refused.json()["detail"]


def test_only_group_admins_and_erpai_admins_manage_members(
    client: TestClient, db: Session, member: Member, admin: Member
) -> None:
    group_id = make_group(client, member[1])
    bob, bob_headers = make_user(db, "bob")
    carol, _ = make_user(db, "carol")
    base = f"/api/v1/chat/groups/{group_id}/members"
    assert client.post(base, json={"user_id": bob.id}, headers=member[1]).status_code == 201
    assert client.post(base, json={"user_id": carol.id}, headers=bob_headers).status_code == 403
    assert client.post(base, json={"user_id": carol.id}, headers=admin[1]).status_code == 201
    again = client.post(base, json={"user_id": carol.id}, headers=admin[1])
    assert again.status_code == 409
    promoted = client.patch(f"{base}/{bob.id}", json={"role": "admin"}, headers=member[1])
    assert promoted.json()["role"] == "admin"
    assert client.delete(f"{base}/{carol.id}", headers=bob_headers).status_code == 204
    assert [m["login"] for m in client.get(base, headers=member[1]).json()] == ["jane", "bob"]


def test_last_admin_cannot_leave_and_bad_input_names_the_field(client: TestClient, member: Member) -> None:
    user, headers = member
    group_id = make_group(client, headers)
    base = f"/api/v1/chat/groups/{group_id}/members"
    left = client.delete(f"{base}/{user.id}", headers=headers)
    assert left.status_code == 409
    assert client.post(base, json={"user_id": 424242}, headers=headers).json()["field"] == "user_id"
    bad_role = client.post(base, json={"user_id": user.id, "role": "owner"}, headers=headers)
    assert bad_role.status_code == 422
    assert bad_role.json()["field"] == "role"
    no_name = client.post("/api/v1/chat/groups", json={"name": ""}, headers=headers)
    assert no_name.json()["field"] == "name"
    unknown = client.post("/api/v1/chat/groups", json={"name": "x", "member_ids": [424242]}, headers=headers)
    assert unknown.status_code == 404
    assert unknown.json()["field"] == "member_ids"
