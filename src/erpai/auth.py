"""Bearer-token authentication dependencies."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header
from sqlalchemy.orm import Session

from erpai.db import get_session
from erpai.errors import Forbidden, Unauthorized
from erpai.users.models import User
from erpai.users.service import authenticate

# scope="function": the session closes (and SQLite's write lock, held by every BEGIN IMMEDIATE
# transaction, is released) as soon as the endpoint returns, not after the response is serialised and sent.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def current_user(session: SessionDep, authorization: Annotated[str | None, Header()] = None) -> User:
    if not authorization or not authorization.lower().startswith("bearer "):
        raise Unauthorized("missing bearer token: send 'Authorization: Bearer <token>'")
    user = authenticate(session, token=authorization.split(" ", 1)[1].strip())
    session.commit()  # no transaction (SQLite: the write lock) held while the endpoint waits for a thread
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def admin_user(user: CurrentUser) -> User:
    if not user.is_admin:
        raise Forbidden("this needs an admin")
    return user


AdminUser = Annotated[User, Depends(admin_user)]
