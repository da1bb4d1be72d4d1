"""Browser sessions without a browser: cookie flags, expiry, revoked tokens, sign-out, CSRF, error pages."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from erpai.db import utcnow
from erpai.users.models import ApiToken, User
from erpai.web.models import WebSession
from erpai.web.sessions import resolve_session, sign_in

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _token(headers: dict[str, str]) -> str:
    return headers["Authorization"].split(" ", 1)[1]


def _sign_in(client: TestClient, token: str) -> str:
    form = client.get("/sign-in")
    match = CSRF.search(form.text)
    assert match is not None
    response = client.post(
        "/sign-in",
        data={"token": token, "csrf_token": match.group(1), "next": "/chat"},
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/chat", response.text
    return response.headers["set-cookie"]


def test_sign_in_sets_an_http_only_same_site_cookie_that_holds_no_token(
    client: TestClient, db: Session, member: tuple[User, dict[str, str]]
) -> None:
    cookie = _sign_in(client, _token(member[1]))
    assert "erpai_session=" in cookie and "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
    assert _token(member[1]) not in cookie
    stored = db.scalars(select(WebSession)).one()
    assert stored.session_hash not in cookie  # only the hash is stored
    assert client.get("/chat").status_code == 200


def test_no_session_redirects_to_sign_in_and_a_wrong_token_is_a_field_error(client: TestClient) -> None:
    response = client.get("/models/1/qas", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/sign-in?next=/models/1/qas"
    form = client.get("/sign-in")
    match = CSRF.search(form.text)
    assert match is not None
    bad = client.post("/sign-in", data={"token": "erp_nope", "csrf_token": match.group(1)})
    assert bad.status_code == 422 and 'id="token-error"' in bad.text
    stale = client.post("/sign-in", data={"token": "erp_nope", "csrf_token": "forged"})
    assert stale.status_code == 403


def test_an_expired_session_or_a_revoked_token_ends_it(
    client: TestClient, db: Session, member: tuple[User, dict[str, str]]
) -> None:
    user, headers = member
    plain, web = sign_in(db, token=_token(headers), client="testclient")
    assert resolve_session(db, cookie=plain) is not None
    db.execute(update(WebSession).values(expiry_time_utc=utcnow() - timedelta(seconds=1)))
    assert resolve_session(db, cookie=plain) is None
    db.execute(update(WebSession).values(expiry_time_utc=utcnow() + timedelta(hours=1)))
    db.execute(update(ApiToken).where(ApiToken.id == web.api_token_id).values(revoked_time_utc=utcnow()))
    assert resolve_session(db, cookie=plain) is None
    db.execute(update(ApiToken).values(revoked_time_utc=None))
    db.execute(update(User).where(User.id == user.id).values(is_active=False))
    assert resolve_session(db, cookie=plain) is None
    assert resolve_session(db, cookie="made-up") is None


def test_sign_out_deletes_the_session_and_needs_the_csrf_token(
    client: TestClient, db: Session, member: tuple[User, dict[str, str]]
) -> None:
    _sign_in(client, _token(member[1]))
    page = client.get("/chat")
    match = CSRF.search(page.text)
    assert match is not None
    assert client.post("/sign-out", data={}, follow_redirects=False).status_code == 403
    assert (
        client.post("/sign-out", data={"csrf_token": match.group(1)}, follow_redirects=False).status_code
        == 303
    )
    assert db.scalars(select(WebSession)).all() == []
    assert client.get("/chat", follow_redirects=False).status_code == 303


def test_htmx_requests_send_the_csrf_token_as_a_header(
    client: TestClient, member: tuple[User, dict[str, str]]
) -> None:
    _sign_in(client, _token(member[1]))
    match = CSRF.search(client.get("/chat").text)
    assert match is not None
    refused = client.post("/notifications/read-all", headers={"HX-Request": "true", "X-CSRF-Token": "x"})
    assert refused.status_code == 403
    accepted = client.post(
        "/notifications/read-all", headers={"HX-Request": "true", "X-CSRF-Token": match.group(1)}
    )
    assert accepted.status_code == 204 and accepted.headers["HX-Redirect"] == "/notifications"


def test_errors_are_pages_on_the_web_and_json_on_the_api(
    client: TestClient, member: tuple[User, dict[str, str]]
) -> None:
    _sign_in(client, _token(member[1]))
    page = client.get("/models/999/qas")
    assert page.status_code == 404 and "text/html" in page.headers["content-type"]
    assert "model 999 does not exist" in page.text
    assert client.get("/providers").status_code == 403
    api = client.get("/api/v1/models/999", headers=member[1])
    assert api.status_code == 404 and api.json()["field"] == "model_id"
