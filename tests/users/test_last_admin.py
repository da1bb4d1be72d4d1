from __future__ import annotations

import json
import threading

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from erpai.audit.models import AuditEntry
from erpai.cli.main import app
from erpai.cli.output import cli_session
from erpai.users.models import User
from tests.conftest import make_user

Auth = tuple[User, dict[str, str]]
runner = CliRunner()


@pytest.mark.parametrize("change", [{"is_admin": False}, {"is_active": False}])
def test_the_last_active_admin_cannot_demote_or_deactivate_itself(
    client: TestClient, admin: Auth, db: Session, change: dict[str, bool]
) -> None:
    response = client.patch(f"/api/v1/users/{admin[0].id}", json=change, headers=admin[1])
    assert response.status_code == 409, response.text
    assert response.json()["field"] == next(iter(change))
    assert "last active admin" in response.json()["detail"]
    db.refresh(admin[0])
    assert admin[0].is_admin and admin[0].is_active


def test_with_another_active_admin_it_may(client: TestClient, admin: Auth, db: Session) -> None:
    other, _ = make_user(db, "boss", admin=True)
    response = client.patch(f"/api/v1/users/{admin[0].id}", json={"is_admin": False}, headers=admin[1])
    assert response.status_code == 200 and response.json()["is_admin"] is False
    # Now "boss" is the last one: demoting it is refused, whoever asks.
    _, boss_headers = make_user(db, "boss2", admin=True)
    client.patch(f"/api/v1/users/{other.id}", json={"is_active": False}, headers=boss_headers)
    last = db.scalar(select(User).where(User.login == "boss2"))
    assert last is not None
    refused = client.patch(f"/api/v1/users/{last.id}", json={"is_admin": False}, headers=boss_headers)
    assert refused.status_code == 409


def test_an_inactive_admin_does_not_count(client: TestClient, admin: Auth, db: Session) -> None:
    dormant, _ = make_user(db, "dormant", admin=True)
    dormant.is_active = False
    db.commit()
    response = client.patch(f"/api/v1/users/{admin[0].id}", json={"is_active": False}, headers=admin[1])
    assert response.status_code == 409


def test_other_changes_of_the_last_admin_still_work(client: TestClient, admin: Auth) -> None:
    response = client.patch(
        f"/api/v1/users/{admin[0].id}", json={"name": "Root", "is_admin": True}, headers=admin[1]
    )
    assert response.status_code == 200 and response.json()["name"] == "Root"


def _audit_users(entity: str) -> list[int | None]:
    with cli_session() as session:
        return list(session.scalars(select(AuditEntry.user_id).where(AuditEntry.entity == entity)))


@pytest.mark.usefixtures("cli_db")
def test_cli_recovers_when_no_admin_is_active() -> None:
    assert runner.invoke(app, ["user", "create", "root", "--admin"]).exit_code == 0
    assert runner.invoke(app, ["user", "create", "jane"]).exit_code == 0
    refused = runner.invoke(app, ["user", "update", "root", "--inactive"])
    assert refused.exit_code != 0 and "last active admin" in refused.output
    with cli_session() as session:  # e.g. the admin left and its row was switched off directly
        root = session.scalar(select(User).where(User.login == "root"))
        assert root is not None
        root.is_active = False
        session.commit()
    promoted = runner.invoke(app, ["user", "update", "jane", "--admin", "--name", "Jane Doe", "--json"])
    assert promoted.exit_code == 0, promoted.output
    body = json.loads(promoted.output)
    assert (body["is_admin"], body["is_active"], body["name"]) == (True, True, "Jane Doe")
    revived = runner.invoke(app, ["user", "update", "root", "--active", "--json"])
    assert json.loads(revived.output)["is_active"] is True
    listed = runner.invoke(app, ["user", "list", "--json"])
    assert {u["login"]: u["is_admin"] for u in json.loads(listed.output)} == {"root": True, "jane": True}


@pytest.mark.usefixtures("cli_db")
def test_cli_audit_names_the_acting_user(monkeypatch: pytest.MonkeyPatch) -> None:
    assert runner.invoke(app, ["user", "create", "root", "--admin"]).exit_code == 0  # nobody to act as yet
    assert runner.invoke(app, ["user", "create", "ops", "--admin"]).exit_code == 0  # acts as root
    assert runner.invoke(app, ["user", "update", "ops", "--name", "Ops"]).exit_code == 0
    monkeypatch.setenv("ERPAI_USER", "ops")
    assert runner.invoke(app, ["user", "update", "root", "--name", "Root"]).exit_code == 0
    with cli_session() as session:
        ids = {u.login: u.id for u in session.scalars(select(User))}
    assert _audit_users("user") == [None, ids["root"], ids["root"], ids["ops"]]
    assert runner.invoke(app, ["provider", "add", "local", "--kind", "local"]).exit_code == 0
    assert runner.invoke(app, ["model", "add", "Sales"]).exit_code == 0
    assert _audit_users("provider") == [ids["ops"]]
    assert _audit_users("model") == [ids["ops"]]


def test_two_admins_demoting_each_other_at_once_leave_one(
    live_client: TestClient, live_session: Session
) -> None:
    first, first_headers = make_user(live_session, "first", admin=True)
    second, second_headers = make_user(live_session, "second", admin=True)
    results: dict[str, int] = {}
    barrier = threading.Barrier(2)

    def demote(name: str, target: User, headers: dict[str, str]) -> None:
        barrier.wait()
        response = live_client.patch(f"/api/v1/users/{target.id}", json={"is_admin": False}, headers=headers)
        results[name] = response.status_code

    threads = [
        threading.Thread(target=demote, args=("first", second, first_headers)),
        threading.Thread(target=demote, args=("second", first, second_headers)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(results.values()) in ([200, 403], [200, 409]), results
    live_session.expire_all()
    admins = live_session.scalars(select(User).where(User.is_admin.is_(True), User.is_active.is_(True))).all()
    assert len(admins) == 1
