from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, status

from erpai.auth import AdminUser, CurrentUser, SessionDep
from erpai.common import Id, Page, PageParams, page_params
from erpai.errors import Forbidden
from erpai.routing import SessionReleasingRoute
from erpai.users import service
from erpai.users.schemas import (
    MeUpdate,
    TokenCreate,
    TokenCreated,
    TokenRead,
    UserCreate,
    UserRead,
    UserUpdate,
)

router = APIRouter(route_class=SessionReleasingRoute, prefix="/users", tags=["users"])


@router.get("/me", response_model=UserRead)
def read_me(user: CurrentUser) -> UserRead:
    return UserRead.model_validate(user)


@router.patch("/me", response_model=UserRead)
def update_me(data: MeUpdate, session: SessionDep, user: CurrentUser) -> UserRead:
    """Your own settings: ``working_language`` (AI-written to-do titles are in it)."""
    return UserRead.model_validate(service.update_me(session, user=user, data=data))


@router.get("", response_model=Page[UserRead])
def list_users(
    session: SessionDep,
    _: AdminUser,
    params: Annotated[PageParams, Depends(page_params)],
    user_type: Literal["internal", "virtual"] | None = Query(default=None),
) -> Page[UserRead]:
    rows, total = service.list_users(session, params=params, user_type=user_type)
    return Page(items=[UserRead.model_validate(r) for r in rows], total=total, **params.model_dump())


@router.post("", response_model=UserRead, status_code=status.HTTP_201_CREATED)
def create_user(data: UserCreate, session: SessionDep, admin: AdminUser) -> UserRead:
    return UserRead.model_validate(service.create_user(session, data=data, actor_id=admin.id))


@router.get("/{user_id}", response_model=UserRead)
def read_user(user_id: Id, session: SessionDep, user: CurrentUser) -> UserRead:
    if user.id != user_id and not user.is_admin:
        raise Forbidden("only admins read other users")
    return UserRead.model_validate(service.get_user(session, user_id=user_id))


@router.patch("/{user_id}", response_model=UserRead)
def update_user(user_id: Id, data: UserUpdate, session: SessionDep, admin: AdminUser) -> UserRead:
    return UserRead.model_validate(
        service.update_user(session, user_id=user_id, data=data, actor_id=admin.id)
    )


def _own_or_admin(user_id: Id, user: CurrentUser) -> None:
    if user.id != user_id and not user.is_admin:
        raise Forbidden("only admins manage other users' tokens")


@router.post("/{user_id}/tokens", response_model=TokenCreated, status_code=status.HTTP_201_CREATED)
def create_token(user_id: Id, data: TokenCreate, session: SessionDep, user: CurrentUser) -> TokenCreated:
    _own_or_admin(user_id, user)
    token, plain = service.create_token(
        session,
        user_id=user_id,
        name=data.name,
        expires_in_days=data.expires_in_days,
        expires_time_utc=data.expires_time_utc,
        actor=user,
    )
    return TokenCreated(**TokenRead.model_validate(token).model_dump(), token=plain)


@router.get("/{user_id}/tokens", response_model=list[TokenRead])
def list_tokens(user_id: Id, session: SessionDep, user: CurrentUser) -> list[TokenRead]:
    _own_or_admin(user_id, user)
    return [TokenRead.model_validate(t) for t in service.list_tokens(session, user_id=user_id)]


@router.delete("/{user_id}/tokens/{token_id}", response_model=TokenRead)
def revoke_token(user_id: Id, token_id: Id, session: SessionDep, user: CurrentUser) -> TokenRead:
    _own_or_admin(user_id, user)
    return TokenRead.model_validate(service.revoke_token(session, user_id=user_id, token_id=token_id))
