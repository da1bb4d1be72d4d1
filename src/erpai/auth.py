"""Bearer-token authentication dependencies (declared in OpenAPI as the ``HTTPBearer`` security scheme)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from erpai.db import get_session, read_transactions
from erpai.errors import Forbidden, TooManyRequests, Unauthorized
from erpai.settings.service import get_int_setting
from erpai.users.models import ApiToken, User
from erpai.users.service import authenticate_token
from erpai.users.throttle import failed_auth_throttle

# scope="function": the session closes (and SQLite's write lock, held by every BEGIN IMMEDIATE
# transaction, is released) as soon as the endpoint returns, not after the response is serialised and sent.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]

# auto_error=False: a missing token is answered by us, with erpai's error body, not FastAPI's 403.
bearer_scheme = HTTPBearer(auto_error=False, description="An erpai API token: `Authorization: Bearer erp_…`.")
BearerCredentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)]


@dataclass(frozen=True)
class Principal:
    """Who calls, and with which token (long-lived streams re-check the token by its id)."""

    user: User
    token_id: int


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _refuse_if_throttled(session: Session, client: str) -> None:
    if not failed_auth_throttle.has_failures(client):
        return
    limit = get_int_setting(session, key="auth.max_failed_logins_per_minute")
    wait = failed_auth_throttle.retry_after(client, limit=limit)
    if wait is not None:
        raise TooManyRequests(
            "too many failed authentications from this address; try again later", retry_after_seconds=wait
        )


def authenticate_throttled(session: Session, *, token: str, client: str) -> tuple[ApiToken, User]:
    """Every sign-in with a token (API bearer, web sign-in form): 429 after too many failures."""
    _refuse_if_throttled(session, client)
    try:
        return authenticate_token(session, token=token)
    except Unauthorized:
        failed_auth_throttle.record_failure(client)
        raise


def current_principal(request: Request, session: SessionDep, credentials: BearerCredentials) -> Principal:
    if credentials is None or not credentials.credentials.strip():
        raise Unauthorized("missing bearer token: send 'Authorization: Bearer <token>'")
    token_id, user_id = 0, 0
    try:
        # A read (no SQLite write lock), over before the endpoint waits for a thread.
        with read_transactions(session):
            token, user = authenticate_throttled(
                session, token=credentials.credentials.strip(), client=client_address(request)
            )
            token_id, user_id = token.id, user.id
    except OperationalError:
        if not token_id:
            raise
        # Only the once-a-minute last-use stamp failed (a concurrent writer): a later request records it.
        user = session.get_one(User, user_id)
        session.commit()
    return Principal(user=user, token_id=token_id)


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


# Pure (no I/O): async, so FastAPI runs it on the event loop instead of handing it to a worker thread and back
# (a thread hop per dependency, on every request).
async def current_user(principal: CurrentPrincipal) -> User:
    return principal.user


CurrentUser = Annotated[User, Depends(current_user)]


async def admin_user(user: CurrentUser) -> User:
    if not user.is_admin:
        raise Forbidden("this needs an admin")
    return user


AdminUser = Annotated[User, Depends(admin_user)]
