from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from erpai.cli.main import app
from erpai.db import utcnow
from erpai.demo import fresh_admin_token
from erpai.errors import Unauthorized
from erpai.settings.service import set_setting
from erpai.users.models import ApiToken, User
from erpai.users.schemas import UserCreate
from erpai.users.service import (
    authenticate,
    authenticate_token,
    check_token,
    create_token,
    create_user,
    revoke_token,
)

Auth = tuple[User, dict[str, str]]
runner = CliRunner()


def _naive_utc(text: str) -> datetime:
    """A response time (UTC, with its offset) as the naive UTC the database stores."""
    value = datetime.fromisoformat(text)
    assert value.utcoffset() == timedelta(0), text
    return value.replace(tzinfo=None)


def _tokens_url(user: User) -> str:
    return f"/api/v1/users/{user.id}/tokens"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_expires_in_days_sets_the_expiry(client: TestClient, member: Auth) -> None:
    created = client.post(_tokens_url(member[0]), json={"expires_in_days": 7}, headers=member[1])
    assert created.status_code == 201, created.text
    expires = _naive_utc(created.json()["expires_time_utc"])
    assert timedelta(days=6, hours=23) < expires - utcnow() <= timedelta(days=7)
    assert client.get("/api/v1/users/me", headers=_bearer(created.json()["token"])).status_code == 200


def test_default_expiry_comes_from_the_setting(
    client: TestClient, admin: Auth, member: Auth, db: Session
) -> None:
    never = client.post(_tokens_url(member[0]), json={}, headers=member[1]).json()
    assert never["expires_time_utc"] is None
    set_setting(db, key="auth.token_expiry_days", value=30, actor=admin[0])
    limited = client.post(_tokens_url(member[0]), json={}, headers=member[1]).json()
    assert limited["expires_time_utc"] is not None
    expires = _naive_utc(limited["expires_time_utc"])
    assert timedelta(days=29, hours=23) < expires - utcnow() <= timedelta(days=30)


def test_a_policy_caps_what_non_admins_may_ask_for(
    client: TestClient, admin: Auth, member: Auth, db: Session
) -> None:
    set_setting(db, key="auth.token_expiry_days", value=30, actor=admin[0])
    for body in ({"expires_in_days": 0}, {"expires_in_days": 31}):
        refused = client.post(_tokens_url(member[0]), json=body, headers=member[1])
        assert (refused.status_code, refused.json()["field"]) == (422, "expires_in_days"), refused.text
    later = (datetime.now(UTC) + timedelta(days=60)).isoformat()
    refused = client.post(_tokens_url(member[0]), json={"expires_time_utc": later}, headers=member[1])
    assert (refused.status_code, refused.json()["field"]) == (422, "expires_time_utc")
    service_token = client.post(_tokens_url(admin[0]), json={"expires_in_days": 0}, headers=admin[1])
    assert service_token.status_code == 201 and service_token.json()["expires_time_utc"] is None


def test_explicit_expiry_must_be_in_the_future_and_alone(client: TestClient, member: Auth) -> None:
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    response = client.post(_tokens_url(member[0]), json={"expires_time_utc": past}, headers=member[1])
    assert (response.status_code, response.json()["field"]) == (422, "expires_time_utc")
    soon = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    both = client.post(
        _tokens_url(member[0]), json={"expires_time_utc": soon, "expires_in_days": 1}, headers=member[1]
    )
    assert both.status_code == 422
    # An offset is converted to UTC; the stored time is UTC.
    paris = (datetime.now(UTC) + timedelta(hours=2)).astimezone(ZoneInfo("Europe/Paris"))
    created = client.post(
        _tokens_url(member[0]), json={"expires_time_utc": paris.isoformat()}, headers=member[1]
    )
    stored = _naive_utc(created.json()["expires_time_utc"])
    assert abs(stored - paris.astimezone(UTC).replace(tzinfo=None)) < timedelta(seconds=1)


def test_an_expired_token_is_401_token_expired(client: TestClient, member: Auth, db: Session) -> None:
    token = db.query(ApiToken).filter(ApiToken.user_id == member[0].id).one()
    token.expires_time_utc = utcnow() - timedelta(seconds=1)
    db.commit()
    response = client.get("/api/v1/users/me", headers=member[1])
    assert response.status_code == 401
    assert response.json() == {"detail": "token expired", "field": None}


def test_last_use_is_recorded_at_most_once_a_minute(member: Auth, db: Session) -> None:
    token = db.query(ApiToken).filter(ApiToken.user_id == member[0].id).one()
    plain = member[1]["Authorization"].split(" ", 1)[1]
    assert token.last_used_time_utc is None
    authenticate(db, token=plain)
    db.commit()
    first = token.last_used_time_utc
    assert first is not None and utcnow() - first < timedelta(seconds=5)
    authenticate(db, token=plain)
    assert token.last_used_time_utc == first and not db.dirty  # within the minute: no write
    token.last_used_time_utc = first - timedelta(seconds=61)
    db.commit()
    authenticate(db, token=plain)
    db.commit()
    assert token.last_used_time_utc is not None and token.last_used_time_utc > first - timedelta(seconds=1)


def test_last_use_shows_in_the_token_list(client: TestClient, member: Auth) -> None:
    client.get("/api/v1/users/me", headers=member[1])
    (listed,) = client.get(_tokens_url(member[0]), headers=member[1]).json()
    assert listed["last_used_time_utc"] is not None


@pytest.mark.usefixtures("cli_db")
def test_cli_token_create_with_expiry() -> None:
    assert runner.invoke(app, ["user", "create", "root", "--admin"]).exit_code == 0
    result = runner.invoke(app, ["token", "create", "root", "--expires-in-days", "3", "--json"])
    assert result.exit_code == 0, result.output
    created = json.loads(result.output)
    expires = _naive_utc(created["expires_time_utc"])
    assert timedelta(days=2, hours=23) < expires - utcnow() <= timedelta(days=3)
    plain = runner.invoke(app, ["token", "create", "root"])
    assert plain.exit_code == 0 and plain.output.strip().startswith("erp_")
    bad = runner.invoke(app, ["token", "create", "root", "--expires-in-days", "-1"])
    assert bad.exit_code != 0


def test_the_demo_admin_token_works(client: TestClient, db: Session, admin: Auth) -> None:
    """`make run` prints this token (erpai demo); `erpai serve` must accept it, with or without a policy."""
    set_setting(db, key="auth.token_expiry_days", value=90, actor=admin[0])
    admin_id, token = fresh_admin_token(db)
    me = client.get("/api/v1/users/me", headers=_bearer(token))
    assert (me.status_code, me.json()["id"]) == (200, admin_id)
    _, again = fresh_admin_token(db)  # running it again revokes the earlier demo token
    assert client.get("/api/v1/users/me", headers=_bearer(token)).status_code == 401
    assert client.get("/api/v1/models", headers=_bearer(again)).status_code == 200


@pytest.mark.parametrize("change", ["revoke", "deactivate"])
def test_a_session_holding_the_token_sees_a_revocation_made_elsewhere(
    committed_engine: Engine, change: str
) -> None:
    """Token and user are read afresh on every check, never taken from what the session already holds."""
    with Session(committed_engine, expire_on_commit=False) as setup:
        user = create_user(setup, data=UserCreate(login="holder", name="Holder"), actor_id=None)
        token_row, token = create_token(setup, user_id=user.id)
        token_id, user_id = token_row.id, user.id
    with Session(committed_engine, expire_on_commit=False) as holder:
        held_token, held_user = authenticate_token(holder, token=token)
        holder.commit()
        assert check_token(holder, token_id=token_id) is held_user
        holder.commit()
        with Session(committed_engine) as other:
            if change == "revoke":
                revoke_token(other, user_id=user_id, token_id=token_id)
            else:
                other.get_one(User, user_id).is_active = False
                other.commit()
        with pytest.raises(Unauthorized):
            authenticate_token(holder, token=token)
        with pytest.raises(Unauthorized):
            check_token(holder, token_id=token_id)
        assert held_token.revoked_time_utc is not None or not held_user.is_active  # the held copies refreshed
