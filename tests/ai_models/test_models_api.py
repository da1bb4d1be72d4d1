from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from erpai.ai_models.models import AIModel
from erpai.audit.models import AuditEntry
from erpai.users.models import User
from tests.ai_models.factories import make_model, make_provider, make_virtual_user

URL = "/api/v1/models"
Actor = tuple[User, dict[str, str]]


def _create(client: TestClient, headers: dict[str, str], **body: Any) -> Any:
    response = client.post(URL, json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def _error(response: Any, status: int, field: str | None) -> str:
    assert response.status_code == status, response.text
    assert response.json()["field"] == field
    return str(response.json()["detail"])


def test_create_read_update_delete(client: TestClient, db: Session, admin: Actor) -> None:
    provider = make_provider(db)
    created = _create(client, admin[1], name="Sales", system_message="Be brief.", provider_id=provider.id)
    assert created["build_assistant"] is True and created["is_default"] is False
    assert created["quality_gate_enabled"] is True and created["quality_gate_margin"] == 0.02
    assert created["conversational_compilation_id"] is None

    read = client.get(f"{URL}/{created['id']}", headers=admin[1]).json()
    assert read["system_message"] == "Be brief." and read["provider_id"] == provider.id

    patched = client.patch(
        f"{URL}/{created['id']}",
        json={"notes": "n", "fallback_answer": "Ask sales@", "provider_id": None},
        headers=admin[1],
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["notes"] == "n" and patched.json()["provider_id"] is None
    assert patched.json()["object_version"] == created["object_version"] + 1

    assert client.delete(f"{URL}/{created['id']}", headers=admin[1]).status_code == 204
    _error(client.get(f"{URL}/{created['id']}", headers=admin[1]), 404, "model_id")


def test_reading_is_open_to_members_writing_is_admin_only(
    client: TestClient, db: Session, member: Actor
) -> None:
    model = make_model(db, "Master")
    assert client.get(URL, headers=member[1]).json()["total"] == 1
    assert client.get(f"{URL}/{model.id}", headers=member[1]).status_code == 200
    assert client.post(URL, json={"name": "X"}, headers=member[1]).status_code == 403
    assert client.patch(f"{URL}/{model.id}", json={"notes": "x"}, headers=member[1]).status_code == 403
    assert client.delete(f"{URL}/{model.id}", headers=member[1]).status_code == 403
    assert db.get(AIModel, model.id) is not None


def test_no_token_is_401(client: TestClient) -> None:
    assert client.get(URL).status_code == 401
    assert client.post(URL, json={"name": "X"}).status_code == 401


def test_unknown_model_is_404(client: TestClient, admin: Actor) -> None:
    _error(client.get(f"{URL}/999999", headers=admin[1]), 404, "model_id")
    _error(client.patch(f"{URL}/999999", json={"notes": "x"}, headers=admin[1]), 404, "model_id")
    _error(client.delete(f"{URL}/999999", headers=admin[1]), 404, "model_id")


def test_bad_input_is_422_naming_the_field(client: TestClient, admin: Actor) -> None:
    _error(client.post(URL, json={"name": ""}, headers=admin[1]), 422, "name")
    _error(
        client.post(URL, json={"name": "A", "quality_gate_margin": 2}, headers=admin[1]),
        422,
        "quality_gate_margin",
    )
    _error(client.post(URL, json={"name": "A", "bogus": 1}, headers=admin[1]), 422, "bogus")
    model = _create(client, admin[1], name="A")
    _error(client.patch(f"{URL}/{model['id']}", json={"name": None}, headers=admin[1]), 422, "name")
    _error(
        client.patch(f"{URL}/{model['id']}", json={"is_default": None}, headers=admin[1]), 422, "is_default"
    )


def test_conversational_compilation_is_read_only(client: TestClient, admin: Actor) -> None:
    model = _create(client, admin[1], name="A")
    body = {"conversational_compilation_id": 1}
    _error(
        client.patch(f"{URL}/{model['id']}", json=body, headers=admin[1]),
        422,
        "conversational_compilation_id",
    )
    _error(
        client.post(URL, json={"name": "B", **body}, headers=admin[1]), 422, "conversational_compilation_id"
    )


def test_name_is_unique(client: TestClient, admin: Actor) -> None:
    _create(client, admin[1], name="Sales")
    assert "Sales" in _error(client.post(URL, json={"name": "Sales"}, headers=admin[1]), 409, "name")
    other = _create(client, admin[1], name="Support")
    _error(client.patch(f"{URL}/{other['id']}", json={"name": "Sales"}, headers=admin[1]), 409, "name")
    # Renaming a model to its own name is not a conflict.
    assert client.patch(f"{URL}/{other['id']}", json={"name": "Support"}, headers=admin[1]).status_code == 200


def test_stale_object_version_is_409(client: TestClient, admin: Actor) -> None:
    model = _create(client, admin[1], name="A")
    ok = client.patch(
        f"{URL}/{model['id']}",
        json={"notes": "1", "object_version": model["object_version"]},
        headers=admin[1],
    )
    assert ok.status_code == 200
    stale = client.patch(
        f"{URL}/{model['id']}",
        json={"notes": "2", "object_version": model["object_version"]},
        headers=admin[1],
    )
    _error(stale, 409, "object_version")
    assert client.get(f"{URL}/{model['id']}", headers=admin[1]).json()["notes"] == "1"


def test_one_default_model_at_a_time(client: TestClient, db: Session, admin: Actor) -> None:
    first = _create(client, admin[1], name="First", is_default=True)
    second = _create(client, admin[1], name="Second", is_default=True)
    defaults = client.get(URL, params={"is_default": True}, headers=admin[1]).json()["items"]
    assert [m["id"] for m in defaults] == [second["id"]]

    patched = client.patch(f"{URL}/{first['id']}", json={"is_default": True}, headers=admin[1])
    assert patched.status_code == 200 and patched.json()["is_default"] is True
    db.expire_all()
    assert list(db.scalars(select(AIModel.id).where(AIModel.is_default.is_(True)))) == [first["id"]]
    # Setting it again on the default is a no-op, not a conflict.
    assert (
        client.patch(f"{URL}/{first['id']}", json={"is_default": True}, headers=admin[1]).status_code == 200
    )


def test_virtual_user_must_be_virtual_and_unshared(
    client: TestClient, db: Session, admin: Actor, member: Actor
) -> None:
    bot = make_virtual_user(db, "sales-bot")
    assert "virtual" in _error(
        client.post(URL, json={"name": "A", "virtual_user_id": member[0].id}, headers=admin[1]),
        422,
        "virtual_user_id",
    )
    _error(
        client.post(URL, json={"name": "A", "virtual_user_id": 999999}, headers=admin[1]),
        422,
        "virtual_user_id",
    )
    owner = _create(client, admin[1], name="Sales", virtual_user_id=bot.id)
    _error(
        client.post(URL, json={"name": "B", "virtual_user_id": bot.id}, headers=admin[1]),
        409,
        "virtual_user_id",
    )
    other = _create(client, admin[1], name="Support")
    body = {"virtual_user_id": bot.id}
    _error(client.patch(f"{URL}/{other['id']}", json=body, headers=admin[1]), 409, "virtual_user_id")
    # The owner may keep (re-send) its own virtual user.
    assert client.patch(f"{URL}/{owner['id']}", json=body, headers=admin[1]).status_code == 200


def test_parent_must_exist_and_not_form_a_cycle(client: TestClient, admin: Actor) -> None:
    _error(
        client.post(URL, json={"name": "A", "parent_model_id": 999999}, headers=admin[1]),
        422,
        "parent_model_id",
    )
    root = _create(client, admin[1], name="Master")
    child = _create(client, admin[1], name="Sales", parent_model_id=root["id"])
    grandchild = _create(client, admin[1], name="Sales EU", parent_model_id=child["id"])
    for parent in (root["id"], child["id"], grandchild["id"]):
        response = client.patch(f"{URL}/{root['id']}", json={"parent_model_id": parent}, headers=admin[1])
        assert "cycle" in _error(response, 409, "parent_model_id")
    assert client.get(f"{URL}/{root['id']}", headers=admin[1]).json()["parent_model_id"] is None
    # Moving a grandchild to the root is fine.
    moved = client.patch(f"{URL}/{grandchild['id']}", json={"parent_model_id": root["id"]}, headers=admin[1])
    assert moved.status_code == 200


def test_provider_must_exist(client: TestClient, admin: Actor) -> None:
    _error(client.post(URL, json={"name": "A", "provider_id": 999999}, headers=admin[1]), 422, "provider_id")
    model = _create(client, admin[1], name="A")
    _error(
        client.patch(f"{URL}/{model['id']}", json={"provider_id": 999999}, headers=admin[1]),
        422,
        "provider_id",
    )


def test_rejected_change_writes_nothing(client: TestClient, db: Session, admin: Actor) -> None:
    first = _create(client, admin[1], name="First", is_default=True)
    second = _create(client, admin[1], name="Second")
    # A valid default switch combined with a bad provider: nothing of it may stick.
    body = {"is_default": True, "notes": "x", "provider_id": 999999}
    _error(client.patch(f"{URL}/{second['id']}", json=body, headers=admin[1]), 422, "provider_id")
    db.expire_all()
    assert db.get(AIModel, first["id"]).is_default is True  # type: ignore[union-attr]
    assert db.get(AIModel, second["id"]).notes is None  # type: ignore[union-attr]


def test_list_filters_and_paging(client: TestClient, db: Session, admin: Actor) -> None:
    provider = make_provider(db)
    root = _create(client, admin[1], name="Master", provider_id=provider.id)
    _create(client, admin[1], name="Sales", parent_model_id=root["id"], build_assistant=False)
    _create(client, admin[1], name="Sales_EU", parent_model_id=root["id"])

    def names(**params: Any) -> list[str]:
        return [m["name"] for m in client.get(URL, params=params, headers=admin[1]).json()["items"]]

    assert names(name="sales") == ["Sales", "Sales_EU"]
    assert names(name="_") == ["Sales_EU"]  # LIKE wildcards are taken literally
    assert names(parent_model_id=root["id"]) == ["Sales", "Sales_EU"]
    assert names(provider_id=provider.id) == ["Master"]
    assert names(build_assistant=False) == ["Sales"]
    page = client.get(URL, params={"limit": 1, "offset": 1}, headers=admin[1]).json()
    assert page["total"] == 3 and [m["name"] for m in page["items"]] == ["Sales"]


def test_hierarchy_lists_descendants_with_depth(client: TestClient, admin: Actor, member: Actor) -> None:
    root = _create(client, admin[1], name="Master")
    child = _create(client, admin[1], name="Sales", parent_model_id=root["id"])
    _create(client, admin[1], name="Sales EU", parent_model_id=child["id"])
    _create(client, admin[1], name="Unrelated")
    nodes = client.get(f"{URL}/{root['id']}/hierarchy", headers=member[1]).json()["nodes"]
    assert [(n["name"], n["depth"]) for n in nodes] == [("Master", 0), ("Sales", 1), ("Sales EU", 2)]
    _error(client.get(f"{URL}/999999/hierarchy", headers=member[1]), 404, "model_id")


def test_deleting_a_parent_keeps_its_children(client: TestClient, admin: Actor) -> None:
    root = _create(client, admin[1], name="Master")
    child = _create(client, admin[1], name="Sales", parent_model_id=root["id"])
    assert client.delete(f"{URL}/{root['id']}", headers=admin[1]).status_code == 204
    assert client.get(f"{URL}/{child['id']}", headers=admin[1]).json()["parent_model_id"] is None


def test_every_change_is_audited(client: TestClient, db: Session, admin: Actor) -> None:
    first = _create(client, admin[1], name="First", is_default=True)
    second = _create(client, admin[1], name="Second", is_default=True)
    client.patch(f"{URL}/{second['id']}", json={"notes": "x"}, headers=admin[1])
    client.delete(f"{URL}/{second['id']}", headers=admin[1])
    rows = list(db.scalars(select(AuditEntry).where(AuditEntry.entity == "model").order_by(AuditEntry.id)))
    trail = [(r.entity_id, r.action, json.loads(r.changes_json or "{}")) for r in rows]
    assert [(e, a) for e, a, _ in trail] == [
        (first["id"], "create"),
        (first["id"], "update"),  # lost the default to Second
        (second["id"], "create"),
        (second["id"], "update"),
        (second["id"], "delete"),
    ]
    assert trail[1][2] == {"is_default": False} and trail[3][2] == {"notes": "x"}
    assert all(r.user_id == admin[0].id for r in rows)


def test_database_backstops_a_second_default(db: Session) -> None:
    make_model(db, "First", is_default=True)
    with pytest.raises(IntegrityError), db.begin_nested():
        make_model(db, "Second", is_default=True)


def test_operating_point_named_or_threshold(client: TestClient, admin: Actor) -> None:
    model = _create(client, admin[1], name="A")
    assert model["operating_point"] == "balanced"
    url = f"{URL}/{model['id']}"
    changed = client.patch(url, json={"operating_point": "Reject-More"}, headers=admin[1]).json()
    assert changed["operating_point"] == "reject_more"
    changed = client.patch(url, json={"operating_point": "0.75"}, headers=admin[1]).json()
    assert changed["operating_point"] == "0.75"
    for bad in ("sometimes", "1.5", "0", None):
        _error(client.patch(url, json={"operating_point": bad}, headers=admin[1]), 422, "operating_point")
    assert client.get(url, headers=admin[1]).json()["operating_point"] == "0.75"
