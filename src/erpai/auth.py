"""Bearer-token authentication dependencies."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header
from sqlalchemy.orm import Session

from erpai.db import get_session
from erpai.errors import Forbidden, Unauthorized
from erpai.users.models import User
from erpai.users.service import authenticate

SessionDep = Annotated[Session, Depends(get_session)]


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
