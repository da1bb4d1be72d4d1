"""Users and their tokens (admins): create, admin flag, assistant model, deactivate; tokens shown once."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import Response

from erpai.common import PageParams
from erpai.errors import DomainError
from erpai.routing import SessionReleasingRoute
from erpai.users.schemas import TokenCreate, UserCreate, UserUpdate
from erpai.users.service import (
    create_token,
    create_user,
    get_user,
    list_tokens,
    list_users,
    revoke_token,
    update_user,
)
from erpai.web.deps import Web, WebAdminDep
from erpai.web.forms import form_values, read_form
from erpai.web.render import form_error, page, parse_form, redirect
from erpai.web.views import model_choices

router = APIRouter(route_class=SessionReleasingRoute)
PAGE = 100


def _list(web: Web, offset: int, values: dict[str, Any], error: DomainError | None = None) -> Response:
    rows, total = list_users(web.session, params=PageParams(limit=PAGE, offset=offset))
    context = {"rows": rows, "total": total, "offset": offset, "limit": PAGE, "values": values}
    if error is not None:
        return form_error(web, "users/list.html", context, error)
    return page(web, "users/list.html", context)


@router.get("/users")
def users_page(web: WebAdminDep, offset: int = Query(default=0, ge=0)) -> Response:
    return _list(web, offset, {})


@router.post("/users")
async def create_user_submit(web: WebAdminDep) -> Response:
    values = form_values(await read_form(web.request), only=("login", "name", "is_admin"))
    try:
        user = create_user(web.session, data=parse_form(UserCreate, values), actor_id=web.user.id)
    except DomainError as exc:
        web.session.rollback()
        return _list(web, 0, values, exc)
    return redirect(web, f"/users/{user.id}")


def _user_page(web: Web, user_id: int, extra: dict[str, Any]) -> Response:
    person = get_user(web.session, user_id=user_id)
    context = {
        "person": person,
        "tokens": list_tokens(web.session, user_id=user_id),
        "models": model_choices(web.session),
        **extra,
    }
    return page(web, "users/user.html", context, status_code=extra.get("status", 200))


@router.get("/users/{user_id}")
def user_page(user_id: int, web: WebAdminDep) -> Response:
    return _user_page(web, user_id, {})


@router.post("/users/{user_id}")
async def update_user_submit(user_id: int, web: WebAdminDep) -> Response:
    values = form_values(
        await read_form(web.request), ints=("model_id",), only=("name", "is_admin", "is_active", "model_id")
    )
    try:
        update_user(web.session, user_id=user_id, data=parse_form(UserUpdate, values), actor_id=web.user.id)
    except DomainError as exc:
        web.session.rollback()
        extra = {"error": exc.message, "error_field": exc.field, "status": exc.status_code}
        return _user_page(web, user_id, extra)
    return redirect(web, f"/users/{user_id}?saved=1")


@router.post("/users/{user_id}/tokens")
async def create_token_submit(user_id: int, web: WebAdminDep) -> Response:
    values = form_values(await read_form(web.request), only=("name",))
    try:
        data = parse_form(TokenCreate, {"name": values.get("name") or "default"})
        token, plain = create_token(web.session, user_id=user_id, name=data.name)
    except DomainError as exc:
        web.session.rollback()
        return _user_page(web, user_id, {"token_error": exc.message, "status": exc.status_code})
    # The plain token is shown in this response only; it is never stored or rendered again.
    return _user_page(web, user_id, {"new_token": plain, "new_token_name": token.name})


@router.post("/users/{user_id}/tokens/{token_id}/revoke")
def revoke_token_submit(user_id: int, token_id: int, web: WebAdminDep) -> Response:
    revoke_token(web.session, user_id=user_id, token_id=token_id)
    return redirect(web, f"/users/{user_id}")
