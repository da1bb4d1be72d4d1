"""Users and their API tokens."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from erpai.audit.service import record_change
from erpai.common import PageParams, fetch_page
from erpai.db import utcnow
from erpai.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthorized
from erpai.security import hash_token, new_api_token
from erpai.users.models import ApiToken, User, UserType
from erpai.users.schemas import UserCreate, UserUpdate

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
    for key, value in changes.items():
        setattr(user, key, value)
    record_change(
        session, user_id=actor_id, entity="user", entity_id=user.id, action="update", changes=changes
    )
    session.commit()
    return user


def create_token(session: Session, *, user_id: int, name: str = "default") -> tuple[ApiToken, str]:
    """Returns the row and the plain token, which is never stored and cannot be shown again."""
    user = get_user(session, user_id=user_id)
    if user.user_type != UserType.INTERNAL.value:
        raise InvalidInput("virtual users cannot log in, so they get no API token", field="user_id")
    plain = new_api_token()
    token = ApiToken(user_id=user.id, name=name, token_hash=hash_token(plain), token_prefix=plain[:10])
    session.add(token)
    session.commit()
    return token, plain


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
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
    if row is None or row.revoked_time_utc is not None:
        raise Unauthorized("invalid or revoked API token")
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        raise Unauthorized("the token's user is inactive")
    if user.user_type != UserType.INTERNAL.value:
        raise Forbidden("virtual users cannot log in")
    return user
