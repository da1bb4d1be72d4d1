from __future__ import annotations

import threading

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from erpai.settings.service import set_setting
from erpai.users.models import User
from erpai.users.throttle import FailedAuthThrottle

Auth = tuple[User, dict[str, str]]
BAD = {"Authorization": "Bearer erp_not-a-real-token"}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_repeated_failures_get_429_with_retry_after(client: TestClient, admin: Auth, db: Session) -> None:
    set_setting(db, key="auth.max_failed_logins_per_minute", value=3, actor=admin[0])
    statuses = [client.get("/api/v1/users/me", headers=BAD).status_code for _ in range(3)]
    assert statuses == [401, 401, 401]
    blocked = client.get("/api/v1/users/me", headers=BAD)
    assert blocked.status_code == 429
    assert 1 <= int(blocked.headers["Retry-After"]) <= 60
    assert blocked.json()["field"] is None and "too many" in blocked.json()["detail"]
    # While blocked, even a valid token from that address is refused: guesses learn nothing.
    assert client.get("/api/v1/users/me", headers=admin[1]).status_code == 429


def test_successes_and_missing_tokens_do_not_count(client: TestClient, admin: Auth, db: Session) -> None:
    set_setting(db, key="auth.max_failed_logins_per_minute", value=2, actor=admin[0])
    for _ in range(5):
        assert client.get("/api/v1/users/me", headers=admin[1]).status_code == 200
        assert client.get("/api/v1/users/me").status_code == 401
    assert client.get("/api/v1/users/me", headers=admin[1]).status_code == 200


def test_the_window_closes_after_a_minute() -> None:
    clock = Clock()
    throttle = FailedAuthThrottle(clock=clock)
    for _ in range(3):
        throttle.record_failure("10.0.0.1")
    assert throttle.retry_after("10.0.0.1", limit=3) == 60.0
    assert throttle.retry_after("10.0.0.2", limit=3) is None
    clock.now += 45
    assert throttle.retry_after("10.0.0.1", limit=3) == 15.0
    assert throttle.retry_after("10.0.0.1", limit=4) is None
    clock.now += 15
    assert throttle.retry_after("10.0.0.1", limit=3) is None
    assert not throttle.has_failures("10.0.0.1")


def test_memory_is_bounded_least_recent_forgotten_first() -> None:
    clock = Clock()
    throttle = FailedAuthThrottle(clock=clock, max_clients=100)
    for i in range(1000):
        throttle.record_failure(f"10.0.{i // 256}.{i % 256}")
    assert len(throttle) == 100
    assert throttle.has_failures("10.0.3.231")  # the last one (999)
    assert not throttle.has_failures("10.0.0.0")
    clock.now += 61
    throttle.record_failure("192.168.1.1")
    assert len(throttle) == 1  # closed windows are dropped


def test_counts_are_exact_under_threads() -> None:
    throttle = FailedAuthThrottle(max_clients=10_000)

    def fail_many() -> None:
        for _ in range(500):
            throttle.record_failure("10.9.9.9")

    threads = [threading.Thread(target=fail_many) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert throttle.retry_after("10.9.9.9", limit=4000) is not None
    assert throttle.retry_after("10.9.9.9", limit=4001) is None


def test_openapi_declares_a_bearer_scheme(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    schemes = spec["components"]["securitySchemes"]
    assert any(s["type"] == "http" and s["scheme"].lower() == "bearer" for s in schemes.values())
    me = spec["paths"]["/api/v1/users/me"]["get"]
    assert me["security"] == [{name: []} for name in schemes]
    assert all(p["name"].lower() != "authorization" for p in me.get("parameters", []))
    assert "security" not in spec["paths"]["/api/v1/health"]["get"]


def test_missing_or_malformed_token_is_our_401_body(client: TestClient) -> None:
    for headers in ({}, {"Authorization": "Basic abc"}, {"Authorization": "Bearer "}):
        response = client.get("/api/v1/users/me", headers=headers)
        assert response.status_code == 401, headers
        assert response.json() == {
            "detail": "missing bearer token: send 'Authorization: Bearer <token>'",
            "field": None,
        }
