from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from erpai.errors import InvalidInput
from erpai.notifications.service import notify
from erpai.users.models import User

URL = "/api/v1/notifications"
Actor = tuple[User, dict[str, str]]


def _notify(db: Session, user: User, title: str = "Compiled") -> int:
    row = notify(
        db,
        user_id=user.id,
        notification_class="NT_COMPILATION_COMPLETION",
        title=title,
        message="Compilation of model 'Sales' succeeded.",
        data_object_type="compilation",
        data_object_id=42,
    )
    return row.id


def test_notify_adds_and_the_owner_lists_them(
    client: TestClient, db: Session, member: Actor, admin: Actor
) -> None:
    first, second = _notify(db, member[0], "one"), _notify(db, member[0], "two")
    _notify(db, admin[0])
    page = client.get(URL, headers=member[1]).json()
    assert page["total"] == 2
    assert [n["id"] for n in page["items"]] == [second, first]  # newest first
    item = page["items"][0]
    assert item["is_read"] is False and item["data_object_id"] == 42
    assert item["notification_class"] == "NT_COMPILATION_COMPLETION"


def test_mark_one_read_then_filter(client: TestClient, db: Session, member: Actor) -> None:
    first, second = _notify(db, member[0]), _notify(db, member[0])
    read = client.post(f"{URL}/{first}/read", headers=member[1])
    assert read.status_code == 200 and read.json()["is_read"] is True
    read_time = read.json()["read_time_utc"]
    # Marking again is harmless and keeps the first read time.
    assert client.post(f"{URL}/{first}/read", headers=member[1]).json()["read_time_utc"] == read_time
    unread = client.get(URL, params={"unread": True}, headers=member[1]).json()["items"]
    assert [n["id"] for n in unread] == [second]
    already_read = client.get(URL, params={"unread": False}, headers=member[1]).json()["items"]
    assert [n["id"] for n in already_read] == [first]


def test_mark_all_read_touches_only_own_unread(
    client: TestClient, db: Session, member: Actor, admin: Actor
) -> None:
    for user in (member[0], member[0], admin[0]):
        _notify(db, user)
    assert client.post(f"{URL}/read-all", headers=member[1]).json() == {"marked": 2}
    assert client.post(f"{URL}/read-all", headers=member[1]).json() == {"marked": 0}
    assert client.get(URL, params={"unread": True}, headers=member[1]).json()["total"] == 0
    assert client.get(URL, params={"unread": True}, headers=admin[1]).json()["total"] == 1


def test_someone_elses_notification_is_404(
    client: TestClient, db: Session, member: Actor, admin: Actor
) -> None:
    theirs = _notify(db, admin[0])
    response = client.post(f"{URL}/{theirs}/read", headers=member[1])
    assert response.status_code == 404 and response.json()["field"] == "notification_id"
    assert client.post(f"{URL}/999999/read", headers=member[1]).status_code == 404


def test_errors_401_and_422(client: TestClient, member: Actor) -> None:
    assert client.get(URL).status_code == 401
    assert client.post(f"{URL}/read-all").status_code == 401
    response = client.get(URL, params={"limit": 0}, headers=member[1])
    assert response.status_code == 422 and response.json()["field"] == "limit"


def test_notify_checks_its_input_and_bounds_the_title(db: Session, member: Actor) -> None:
    with pytest.raises(InvalidInput) as error:
        notify(db, user_id=member[0].id, notification_class=" ", title="t", message="m")
    assert error.value.field == "notification_class"
    long = notify(db, user_id=member[0].id, notification_class="NT_X", title="t" * 400, message="m")
    assert len(long.title) == 256 and long.title.endswith("…")
