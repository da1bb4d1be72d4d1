"""Browser sessions: sign in with an API token, resolve the cookie on each request, sign out."""

from __future__ import annotations

import hmac
import secrets
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from erpai.config import get_settings
from erpai.db import utcnow
from erpai.errors import InvalidInput, Unauthorized
from erpai.security import hash_token
from erpai.users.models import ApiToken, User, UserType
from erpai.users.service import authenticate
from erpai.web.models import WebSession


def sign_in(session: Session, *, token: str) -> tuple[str, WebSession]:
    """Opens a session for the token's user. Returns (cookie value, row); the cookie value is not stored."""
    token = token.strip()
    if not token:
        raise InvalidInput("paste your API token", field="token")
    try:
        user = authenticate(session, token=token)
    except Unauthorized as exc:
        raise InvalidInput("this token is not valid (revoked, expired or mistyped)", field="token") from exc
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
    assert row is not None
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
    token = session.get(ApiToken, web.api_token_id)
    user = session.get(User, web.user_id)
    if token is None or token.revoked_time_utc is not None or user is None:
        return None
    if not user.is_active or user.user_type != UserType.INTERNAL.value:
        return None
    return user, web


def sign_out(session: Session, *, cookie: str | None) -> None:
    if cookie:
        session.execute(delete(WebSession).where(WebSession.session_hash == hash_token(cookie)))
        session.commit()


def csrf_matches(expected: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(expected, given or "")
