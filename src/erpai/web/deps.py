"""Dependencies of the web pages: the signed-in user (cookie session) and the CSRF check."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from erpai.auth import SessionDep
from erpai.errors import Forbidden, Unauthorized
from erpai.users.models import User
from erpai.web.models import WebSession
from erpai.web.sessions import csrf_matches, resolve_session

COOKIE = "erpai_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class SignInRequired(Unauthorized):
    """No valid browser session: the page redirects to the sign-in form."""


@dataclass
class Web:
    """What every page handler gets: the database session, the acting user and their browser session."""

    session: Session
    user: User
    web_session: WebSession
    request: Request


async def _check_csrf(request: Request, expected: str) -> None:
    if request.method in SAFE_METHODS:
        return
    given = request.headers.get(CSRF_HEADER)
    if given is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        value = (await request.form()).get(CSRF_FIELD)
        given = value if isinstance(value, str) else None
    if not csrf_matches(expected, given):
        raise Forbidden("the form's security token is missing or out of date: reload the page", field="csrf")


def _signed_in(request: Request, session: SessionDep) -> Web:
    """Sync, so FastAPI runs it in a worker thread: database calls never block the event loop."""
    found = resolve_session(session, cookie=request.cookies.get(COOKIE))
    session.commit()  # end the read transaction (SQLite: BEGIN IMMEDIATE holds the write lock)
    if found is None:
        raise SignInRequired("sign in first")
    user, web_session = found
    return Web(session=session, user=user, web_session=web_session, request=request)


async def web_context(request: Request, web: Annotated[Web, Depends(_signed_in)]) -> Web:
    await _check_csrf(request, web.web_session.csrf_token)
    request.state.web = web
    return web


WebDep = Annotated[Web, Depends(web_context)]


def web_admin(web: WebDep) -> Web:
    if not web.user.is_admin:
        raise Forbidden("this page is for admins")
    return web


WebAdminDep = Annotated[Web, Depends(web_admin)]
