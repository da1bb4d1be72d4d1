"""The CLI's acting user: who adds Q&As, conversations, ... when a command writes on someone's behalf.

Resolution: ``--as LOGIN`` (per command, or global ``erpai --as LOGIN ...``), else env ``ERPAI_USER``,
else the first active admin. Commands call ``acting_user(session, login)`` with their own option value.
"""

from __future__ import annotations

import os

import typer
from sqlalchemy import select
from sqlalchemy.orm import Session

from erpai.errors import InvalidInput, NotFound
from erpai.users.models import User, UserType

ENV_VAR = "ERPAI_USER"

AsOption = typer.Option(
    None, "--as", metavar="LOGIN", help=f"Act as this user (default: env {ENV_VAR}, else the first admin)."
)

_global_login: str | None = None


def set_global_login(login: str | None) -> None:
    """Called by the root ``erpai --as LOGIN`` option."""
    global _global_login
    _global_login = login


def acting_user(session: Session, login: str | None) -> User:
    admin = acting_user_or_none(session, login)
    if admin is None:
        raise NotFound(
            "no admin user exists to act as: create one with `erpai user create LOGIN --admin`, "
            f"or pass --as LOGIN / set {ENV_VAR}",
            field="as",
        )
    return admin


def acting_user_or_none(session: Session, login: str | None) -> User | None:
    """The acting user as above, or None when nobody was named and no active admin exists (a fresh
    database, or recovery after every admin was lost): the audit then records the local operator."""
    chosen = login or _global_login or os.environ.get(ENV_VAR) or None
    if chosen:
        return _by_login(session, chosen)
    return session.scalar(
        select(User)
        .where(User.is_admin.is_(True), User.is_active.is_(True), User.user_type == UserType.INTERNAL.value)
        .order_by(User.id)
        .limit(1)
    )


def acting_user_id(session: Session, login: str | None) -> int | None:
    """For the audit trail of CLI changes: the acting user's id (None: see ``acting_user_or_none``)."""
    user = acting_user_or_none(session, login)
    return user.id if user else None


def _by_login(session: Session, login: str) -> User:
    user = session.scalar(select(User).where(User.login == login))
    if user is None:
        raise NotFound(f"user '{login}' does not exist (--as / {ENV_VAR})", field="as")
    if user.user_type != UserType.INTERNAL.value or not user.is_active:
        raise InvalidInput(f"user '{login}' is not an active internal user, so it cannot act", field="as")
    return user
