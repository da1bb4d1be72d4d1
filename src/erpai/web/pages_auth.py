"""Sign-in with an API token, sign-out, the start page and the notifications bell."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from erpai.auth import SessionDep, client_address
from erpai.common import PageParams
from erpai.config import get_settings
from erpai.errors import DomainError, Forbidden
from erpai.notifications.service import list_notifications, mark_all_read, mark_read
from erpai.routing import SessionReleasingRoute
from erpai.web.deps import COOKIE, WebDep
from erpai.web.render import is_htmx, page, redirect, templates
from erpai.web.sessions import csrf_matches, sign_in, sign_out

router = APIRouter(route_class=SessionReleasingRoute)
PRE_COOKIE = "erpai_pre"  # double-submit token of the sign-in form (no session exists yet)


def _safe_next(target: str | None) -> str:
    return target if target and target.startswith("/") and not target.startswith("//") else "/"


def _sign_in_form(request: Request, *, next_url: str, error: DomainError | None = None) -> Response:
    pre = request.cookies.get(PRE_COOKIE) or secrets.token_urlsafe(24)
    context = {"pre_csrf": pre, "next": next_url, "user": None, "csrf_token": None}
    if error is not None:
        context |= {"error": error.message, "error_field": error.field}
    response = templates.TemplateResponse(
        request, "sign_in.html", context, status_code=error.status_code if error else 200
    )
    response.set_cookie(PRE_COOKIE, pre, httponly=True, samesite="lax", path="/sign-in")
    return response


@router.get("/sign-in")
def sign_in_page(request: Request, next: str | None = None) -> Response:
    return _sign_in_form(request, next_url=_safe_next(next))


@router.post("/sign-in")
def sign_in_submit(
    request: Request,
    session: SessionDep,
    token: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    next_url = _safe_next(next)
    if not csrf_matches(request.cookies.get(PRE_COOKIE, ""), csrf_token):
        return _sign_in_form(request, next_url=next_url, error=Forbidden("the form expired: try again"))
    try:
        cookie, _ = sign_in(session, token=token, client=client_address(request))
    except DomainError as exc:
        return _sign_in_form(request, next_url=next_url, error=exc)
    response = RedirectResponse(next_url, status_code=303)
    max_age = int(get_settings().web_session_hours * 3600)
    secure = request.url.scheme == "https"
    response.set_cookie(COOKIE, cookie, max_age=max_age, httponly=True, samesite="lax", secure=secure)
    response.delete_cookie(PRE_COOKIE, path="/sign-in")
    return response


@router.post("/sign-out")
def sign_out_submit(web: WebDep) -> Response:
    sign_out(web.session, cookie=web.request.cookies.get(COOKIE))
    response = RedirectResponse("/sign-in", status_code=303)
    response.delete_cookie(COOKIE)
    return response


@router.get("/")
def home(web: WebDep) -> Response:
    return RedirectResponse("/models" if web.user.is_admin else "/chat", status_code=303)


@router.get("/notifications")
def notifications_page(web: WebDep, offset: int = 0) -> Response:
    rows, total = list_notifications(
        web.session, user_id=web.user.id, params=PageParams(limit=50, offset=max(offset, 0))
    )
    return page(web, "notifications.html", {"rows": rows, "total": total, "offset": offset})


@router.get("/notifications/bell")
def notifications_bell(web: WebDep) -> Response:
    """The bell alone: every open page fetches it again every ``web.bell_refresh_seconds``."""
    return page(web, "_bell.html")


@router.post("/notifications/{notification_id}/read")
def read_notification(notification_id: int, web: WebDep) -> Response:
    mark_read(web.session, notification_id=notification_id, user_id=web.user.id)
    if is_htmx(web.request):
        return notifications_page(web)
    return redirect(web, "/notifications")


@router.post("/notifications/read-all")
def read_all_notifications(web: WebDep) -> Response:
    mark_all_read(web.session, user_id=web.user.id)
    return redirect(web, "/notifications")
