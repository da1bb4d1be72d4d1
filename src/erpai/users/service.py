"""Users and their API tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from erpai.audit.service import record_change
from erpai.common import PageParams, fetch_page
from erpai.db import utcnow
from erpai.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthorized
from erpai.security import hash_token, new_api_token
from erpai.settings.service import get_int_setting
from erpai.users.models import ApiToken, User, UserType
from erpai.users.schemas import MeUpdate, UserCreate, UserUpdate

LAST_USED_RESOLUTION = timedelta(minutes=1)
TYPE_CODES = {"internal": UserType.INTERNAL.value, "virtual": UserType.VIRTUAL.value}


def get_user(session: Session, *, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"user {user_id} does not exist", field="user_id")
    return user


def find_user(session: Session, *, ref: str) -> User:
    """A user by numeric id or login (CLI references)."""
    stmt = select(User).where(User.id == int(ref)) if ref.isdigit() else select(User).where(User.login == ref)
    user = session.scalar(stmt)
    if user is None:
        raise NotFound(f"user '{ref}' does not exist", field="user")
    return user


def list_users(
    session: Session, *, params: PageParams, user_type: str | None = None
) -> tuple[list[User], int]:
    stmt = select(User).order_by(User.id)
    if user_type:
        stmt = stmt.where(User.user_type == TYPE_CODES[user_type])
    return fetch_page(session, stmt, params)


def create_user(session: Session, *, data: UserCreate, actor_id: int | None) -> User:
    if session.scalar(select(User.id).where(User.login == data.login)) is not None:
        raise Conflict(f"login '{data.login}' is already taken", field="login")
    if data.user_type == "virtual" and data.is_admin:
        raise InvalidInput("a virtual user cannot be an admin", field="is_admin")
    user = User(
        login=data.login,
        name=data.name,
        email=data.email,
        user_type=TYPE_CODES[data.user_type],
        is_admin=data.is_admin,
    )
    session.add(user)
    session.flush()
    record_change(session, user_id=actor_id, entity="user", entity_id=user.id, action="create")
    session.commit()
    return user


def update_user(session: Session, *, user_id: int, data: UserUpdate, actor_id: int | None) -> User:
    user = get_user(session, user_id=user_id)
    changes = data.model_dump(exclude_unset=True)
    if changes.get("is_admin") and user.user_type == UserType.VIRTUAL.value:
        raise InvalidInput("a virtual user cannot be an admin", field="is_admin")
    if changes.get("model_id") is not None:
        from erpai.ai_models.models import AIModel

        if session.get(AIModel, changes["model_id"]) is None:
            raise NotFound(f"model {changes['model_id']} does not exist", field="model_id")
    _keep_an_admin(session, user=user, changes=changes)
    for key, value in changes.items():
        setattr(user, key, value)
    record_change(
        session, user_id=actor_id, entity="user", entity_id=user.id, action="update", changes=changes
    )
    session.commit()
    return user


def update_me(session: Session, *, user: User, data: MeUpdate) -> User:
    """What a user changes about themselves (their working language); audited."""
    changes = data.model_dump(exclude_unset=True)
    for key, value in changes.items():
        setattr(user, key, value)
    record_change(
        session, user_id=user.id, entity="user", entity_id=user.id, action="update", changes=changes
    )
    session.commit()
    return user


def _keep_an_admin(session: Session, *, user: User, changes: dict[str, Any]) -> None:
    """Refuses (409) to demote or deactivate the last active admin: nobody could administer any more.

    The active admins are locked in id order (PostgreSQL), so two admins demoting each other at once
    cannot both succeed: the second waits for the first and then sees it is the last one."""
    field = next((f for f in ("is_admin", "is_active") if changes.get(f) is False), None)
    if field is None or not (user.is_admin and user.is_active):
        return
    admins = session.scalars(
        select(User.id)
        .where(User.is_admin.is_(True), User.is_active.is_(True), User.user_type == UserType.INTERNAL.value)
        .order_by(User.id)
        .with_for_update()
    ).all()
    if not [admin_id for admin_id in admins if admin_id != user.id]:
        raise Conflict(
            f"'{user.login}' is the last active admin; make another user an admin first", field=field
        )


def create_token(
    session: Session,
    *,
    user_id: int,
    name: str = "default",
    expires_in_days: int | None = None,
    expires_time_utc: datetime | None = None,
    actor: User | None = None,
) -> tuple[ApiToken, str]:
    """Returns the row and the plain token, which is never stored and cannot be shown again.

    ``actor`` (None: the local operator, e.g. the CLI) matters for the expiry: while the setting
    ``auth.token_expiry_days`` is set, a non-admin cannot ask for a longer-lived token."""
    user = get_user(session, user_id=user_id)
    if user.user_type != UserType.INTERNAL.value:
        raise InvalidInput("virtual users cannot log in, so they get no API token", field="user_id")
    expires = _token_expiry(session, expires_in_days, expires_time_utc, actor=actor)
    plain = new_api_token()
    token = ApiToken(
        user_id=user.id,
        name=name,
        token_hash=hash_token(plain),
        token_prefix=plain[:10],
        expires_time_utc=expires,
    )
    session.add(token)
    session.commit()
    return token, plain


def _token_expiry(
    session: Session, in_days: int | None, at: datetime | None, *, actor: User | None
) -> datetime | None:
    if in_days is not None and at is not None:
        raise InvalidInput("give expires_in_days or expires_time_utc, not both", field="expires_in_days")
    now = utcnow()
    policy_days = get_int_setting(session, key="auth.token_expiry_days")
    if at is not None:
        expires: datetime | None = at.astimezone(UTC).replace(tzinfo=None) if at.tzinfo else at
        if expires is not None and expires <= now:
            raise InvalidInput("expires_time_utc: must be in the future", field="expires_time_utc")
    else:
        days = policy_days if in_days is None else in_days
        expires = now + timedelta(days=days) if days else None
    limited = actor is not None and not actor.is_admin and policy_days > 0
    if limited and (expires is None or expires > now + timedelta(days=policy_days)):
        raise InvalidInput(
            f"expires_in_days: a token lasts at most {policy_days} days (auth.token_expiry_days)",
            field="expires_time_utc" if at is not None else "expires_in_days",
        )
    return expires


def list_tokens(session: Session, *, user_id: int) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id)))


def revoke_token(session: Session, *, user_id: int, token_id: int) -> ApiToken:
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != user_id:
        raise NotFound(f"token {token_id} does not exist", field="token_id")
    token.revoked_time_utc = token.revoked_time_utc or utcnow()
    session.commit()
    return token


def authenticate(session: Session, *, token: str) -> User:
    return authenticate_token(session, token=token)[1]


def authenticate_token(session: Session, *, token: str) -> tuple[ApiToken, User]:
    """The token's row and user; 401 when it is unknown, revoked, expired or its user inactive.

    Records the token's last use, but writes it at most once a minute."""
    row, owner = _token_with_owner(session, ApiToken.token_hash == hash_token(token))
    now = utcnow()
    user = _token_owner(row, owner, now=now)
    if row.last_used_time_utc is None or now - row.last_used_time_utc >= LAST_USED_RESOLUTION:
        row.last_used_time_utc = now
    return row, user


def check_token(session: Session, *, token_id: int) -> User:
    """Re-checks a token already accepted (long-lived streams): 401 once it is revoked or expired,
    or its user inactive."""
    row, owner = _token_with_owner(session, ApiToken.id == token_id)
    return _token_owner(row, owner, now=utcnow())


def _token_with_owner(session: Session, condition: ColumnElement[bool]) -> tuple[ApiToken, User | None]:
    """The token row and its user, both read afresh (never an older copy of the session), in one query
    (every request authenticates); 401 when there is no such token."""
    stmt = select(ApiToken, User).outerjoin(User, User.id == ApiToken.user_id).where(condition)
    found = session.execute(stmt.execution_options(populate_existing=True)).first()
    if found is None:
        raise Unauthorized("invalid or revoked API token")
    row, owner = found
    return row, owner


def _token_owner(row: ApiToken, user: User | None, *, now: datetime) -> User:
    if row.revoked_time_utc is not None:
        raise Unauthorized("invalid or revoked API token")
    if row.expires_time_utc is not None and row.expires_time_utc <= now:
        raise Unauthorized("token expired")
    if user is None or not user.is_active:
        raise Unauthorized("the token's user is inactive")
    if user.user_type != UserType.INTERNAL.value:
        raise Forbidden("virtual users cannot log in")
    return user
