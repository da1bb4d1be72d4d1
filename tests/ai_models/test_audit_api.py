from __future__ import annotations

from fastapi.testclient import TestClient

from erpai.users.models import User

URL = "/api/v1/audit"
Actor = tuple[User, dict[str, str]]


def test_admin_reads_the_trail_with_filters(client: TestClient, admin: Actor) -> None:
    a = client.post("/api/v1/models", json={"name": "A"}, headers=admin[1]).json()
    b = client.post("/api/v1/models", json={"name": "B"}, headers=admin[1]).json()
    client.patch(f"/api/v1/models/{a['id']}", json={"notes": "x"}, headers=admin[1])

    page = client.get(URL, params={"entity": "model"}, headers=admin[1]).json()
    assert page["total"] == 3
    assert [(e["entity_id"], e["action"]) for e in page["items"]] == [
        (a["id"], "update"),
        (b["id"], "create"),
        (a["id"], "create"),
    ]
    assert page["items"][0]["changes"] == {"notes": "x"}
    only_a = client.get(URL, params={"entity": "model", "entity_id": a["id"]}, headers=admin[1]).json()
    assert only_a["total"] == 2
    by_admin = client.get(
        URL, params={"entity": "model", "user_id": admin[0].id, "limit": 1}, headers=admin[1]
    )
    assert by_admin.json()["total"] == 3 and len(by_admin.json()["items"]) == 1
    assert client.get(URL, params={"user_id": 999999}, headers=admin[1]).json()["total"] == 0


def test_audit_is_admin_only_and_checks_filters(client: TestClient, admin: Actor, member: Actor) -> None:
    assert client.get(URL).status_code == 401
    assert client.get(URL, headers=member[1]).status_code == 403
    response = client.get(URL, params={"entity_id": "x"}, headers=admin[1])
    assert response.status_code == 422 and response.json()["field"] == "entity_id"
