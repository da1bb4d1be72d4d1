"""Browser sessions: sign in with an API token, resolve the cookie on each request, sign out."""

from __future__ import annotations

import hmac
import secrets
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from erpai.auth import authenticate_throttled
from erpai.config import get_settings
from erpai.db import utcnow
from erpai.errors import Forbidden, InvalidInput, Unauthorized
from erpai.security import hash_token
from erpai.users.models import User
from erpai.users.service import check_token
from erpai.web.models import WebSession


def sign_in(session: Session, *, token: str, client: str) -> tuple[str, WebSession]:
    """Opens a session for the token's user. Returns (cookie value, row); the cookie value is not stored.
    Failed attempts count towards the same per-address limit as the API's (429 after too many)."""
    token = token.strip()
    if not token:
        raise InvalidInput("paste your API token", field="token")
    try:
        row, user = authenticate_throttled(session, token=token, client=client)
    except (Unauthorized, Forbidden) as exc:
        raise InvalidInput("this token is not valid (revoked, expired or mistyped)", field="token") from exc
    now = utcnow()
    session.execute(delete(WebSession).where(WebSession.expiry_time_utc < now))
    plain = secrets.token_urlsafe(32)
    web = WebSession(
        session_hash=hash_token(plain),
        user_id=user.id,
        api_token_id=row.id,
        csrf_token=secrets.token_urlsafe(32),
        creation_time_utc=now,
        expiry_time_utc=now + timedelta(hours=get_settings().web_session_hours),
    )
    session.add(web)
    session.commit()
    return plain, web


def resolve_session(session: Session, *, cookie: str | None) -> tuple[User, WebSession] | None:
    """The signed-in user, or None when the cookie is absent, unknown, expired, or its token is revoked."""
    if not cookie:
        return None
    web = session.scalar(select(WebSession).where(WebSession.session_hash == hash_token(cookie)))
    if web is None or web.expiry_time_utc <= utcnow():
        return None
    try:
        user = check_token(session, token_id=web.api_token_id)  # revoked, expired, user inactive/virtual
    except (Unauthorized, Forbidden):
        return None
    return (user, web) if user.id == web.user_id else None


def sign_out(session: Session, *, cookie: str | None) -> None:
    if cookie:
        session.execute(delete(WebSession).where(WebSession.session_hash == hash_token(cookie)))
        session.commit()


def csrf_matches(expected: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(expected, given or "")
