from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from erpai.audit.models import AuditEntry
from erpai.cli.main import app
from erpai.settings.registry import KNOWN_SETTINGS
from erpai.settings.service import get_setting
from erpai.users.models import User

URL = "/api/v1/settings"
Auth = tuple[User, dict[str, str]]
runner = CliRunner()


def test_list_shows_every_known_setting_with_its_default(client: TestClient, admin: Auth) -> None:
    response = client.get(URL, headers=admin[1])
    assert response.status_code == 200, response.text
    by_key = {s["key"]: s for s in response.json()}
    assert set(by_key) == set(KNOWN_SETTINGS)
    for key in ("auth.token_expiry_days", "auth.max_failed_logins_per_minute", "chat.stream_max_seconds"):
        assert key in by_key
    depth = by_key["ai.chat.context_depth"]
    assert (depth["value"], depth["default"], depth["type"], depth["is_default"]) == (100, 100, "int", True)


def test_set_read_reset_and_audit(client: TestClient, admin: Auth, db: Session) -> None:
    url = f"{URL}/auth.token_expiry_days"
    saved = client.put(url, json={"value": 30}, headers=admin[1])
    assert saved.status_code == 200, saved.text
    assert (saved.json()["value"], saved.json()["is_default"]) == (30, False)
    assert saved.json()["updated_by_user_id"] == admin[0].id
    assert client.get(url, headers=admin[1]).json()["value"] == 30
    assert get_setting(db, key="auth.token_expiry_days") == 30
    reset = client.delete(url, headers=admin[1])
    assert (reset.json()["value"], reset.json()["is_default"]) == (0, True)
    assert get_setting(db, key="auth.token_expiry_days") == 0
    entries = db.scalars(
        select(AuditEntry).where(AuditEntry.entity == "setting").order_by(AuditEntry.id)
    ).all()
    assert [(e.action, e.user_id) for e in entries] == [("update", admin[0].id), ("reset", admin[0].id)]
    assert json.loads(entries[0].changes_json or "{}") == {
        "key": "auth.token_expiry_days",
        "value": 30,
        "previous": 0,
    }


@pytest.mark.parametrize(
    ("value", "fragment"),
    [("30", "an integer"), (True, "an integer"), (1.5, "an integer"), (None, "an integer"), (-1, "between")],
)
def test_bad_values_are_422_naming_value(
    client: TestClient, admin: Auth, db: Session, value: object, fragment: str
) -> None:
    response = client.put(f"{URL}/auth.token_expiry_days", json={"value": value}, headers=admin[1])
    assert response.status_code == 422, response.text
    assert response.json()["field"] == "value"
    assert fragment in response.json()["detail"]
    assert get_setting(db, key="auth.token_expiry_days") == 0


def test_unknown_key_is_404(client: TestClient, admin: Auth) -> None:
    for method in ("GET", "DELETE"):
        assert client.request(method, f"{URL}/no.such.key", headers=admin[1]).status_code == 404
    response = client.put(f"{URL}/no.such.key", json={"value": 1}, headers=admin[1])
    assert (response.status_code, response.json()["field"]) == (404, "key")


def test_only_admins(client: TestClient, member: Auth) -> None:
    assert client.get(URL, headers=member[1]).status_code == 403
    assert client.get(f"{URL}/ai.chat.context_depth", headers=member[1]).status_code == 403
    response = client.put(f"{URL}/ai.chat.context_depth", json={"value": 5}, headers=member[1])
    assert response.status_code == 403
    assert client.delete(f"{URL}/ai.chat.context_depth", headers=member[1]).status_code == 403


@pytest.mark.usefixtures("cli_db")
def test_cli_get_set_list_reset() -> None:
    assert runner.invoke(app, ["user", "create", "root", "--admin"]).exit_code == 0
    changed = runner.invoke(app, ["setting", "set", "chat.stream_max_seconds", "600"])
    assert changed.exit_code == 0, changed.output
    shown = json.loads(runner.invoke(app, ["setting", "get", "chat.stream_max_seconds", "--json"]).output)
    assert (shown["value"], shown["is_default"]) == (600, False)
    listed = json.loads(runner.invoke(app, ["setting", "list", "--json"]).output)
    assert {s["key"]: s["value"] for s in listed}["chat.stream_max_seconds"] == 600
    bad = runner.invoke(app, ["setting", "set", "chat.stream_max_seconds", "soon"])
    assert bad.exit_code != 0 and "error:" in bad.output and "integer" in bad.output
    unknown = runner.invoke(app, ["setting", "get", "no.such.key"])
    assert unknown.exit_code == 2
    reset = runner.invoke(app, ["setting", "reset", "chat.stream_max_seconds"])
    assert reset.exit_code == 0 and "900" in reset.output
    audit = json.loads(runner.invoke(app, ["setting", "get", "chat.stream_max_seconds", "--json"]).output)
    assert audit["is_default"] is True


@pytest.mark.usefixtures("cli_db")
def test_cli_refuses_a_non_admin_acting_user() -> None:
    assert runner.invoke(app, ["user", "create", "root", "--admin"]).exit_code == 0
    assert runner.invoke(app, ["user", "create", "jane"]).exit_code == 0
    refused = runner.invoke(app, ["setting", "set", "ai.chat.context_depth", "5", "--as", "jane"])
    assert refused.exit_code != 0 and "admin" in refused.output
