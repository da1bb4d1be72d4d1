from __future__ import annotations

from fastapi.testclient import TestClient

from erpai.users.models import User


def test_health_needs_no_token(client: TestClient) -> None:
    assert client.get("/api/v1/health").json()["status"] == "ok"


def test_missing_or_bad_token_is_401(client: TestClient) -> None:
    assert client.get("/api/v1/users/me").status_code == 401
    response = client.get("/api/v1/users/me", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401
    assert "token" in response.json()["detail"]


def test_non_admin_cannot_create_users(client: TestClient, member: tuple[User, dict[str, str]]) -> None:
    response = client.post("/api/v1/users", json={"login": "x", "name": "X"}, headers=member[1])
    assert response.status_code == 403


def test_admin_creates_user_and_token(client: TestClient, admin: tuple[User, dict[str, str]]) -> None:
    created = client.post("/api/v1/users", json={"login": "bob", "name": "Bob"}, headers=admin[1])
    assert created.status_code == 201, created.text
    user_id = created.json()["id"]
    token = client.post(f"/api/v1/users/{user_id}/tokens", json={}, headers=admin[1]).json()["token"]
    me = client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["login"] == "bob"


def test_duplicate_login_is_409(client: TestClient, admin: tuple[User, dict[str, str]]) -> None:
    client.post("/api/v1/users", json={"login": "bob", "name": "Bob"}, headers=admin[1])
    again = client.post("/api/v1/users", json={"login": "bob", "name": "Bob"}, headers=admin[1])
    assert again.status_code == 409
    assert again.json()["field"] == "login"


def test_bad_field_is_422_naming_it(client: TestClient, admin: tuple[User, dict[str, str]]) -> None:
    response = client.post("/api/v1/users", json={"login": "", "name": "Bob"}, headers=admin[1])
    assert response.status_code == 422
    assert response.json()["field"] == "login"


def test_virtual_user_gets_no_token(client: TestClient, admin: tuple[User, dict[str, str]]) -> None:
    created = client.post(
        "/api/v1/users", json={"login": "bot", "name": "Bot", "user_type": "virtual"}, headers=admin[1]
    ).json()
    response = client.post(f"/api/v1/users/{created['id']}/tokens", json={}, headers=admin[1])
    assert response.status_code == 422
    assert "virtual" in response.json()["detail"]


def test_revoked_token_stops_working(client: TestClient, admin: tuple[User, dict[str, str]]) -> None:
    user, headers = admin
    token_id = client.get(f"/api/v1/users/{user.id}/tokens", headers=headers).json()[0]["id"]
    assert client.delete(f"/api/v1/users/{user.id}/tokens/{token_id}", headers=headers).status_code == 200
    assert client.get("/api/v1/users/me", headers=headers).status_code == 401
