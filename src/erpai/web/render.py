"""Rendering: the Jinja2 environment, full pages and htmx fragments, form errors, error pages."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote, urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, ValidationError

from erpai.common import PageParams
from erpai.errors import DomainError, InvalidInput
from erpai.notifications.service import list_notifications
from erpai.settings.service import get_int_setting
from erpai.web.deps import SignInRequired, Web

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
S = TypeVar("S", bound=BaseModel)


def is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _unread(web: Web) -> int:
    return list_notifications(
        web.session, user_id=web.user.id, params=PageParams(limit=1, offset=0), unread=True
    )[1]


def page(
    web: Web, name: str, context: Mapping[str, Any] | None = None, *, status_code: int = 200
) -> HTMLResponse:
    """A template rendered with the signed-in user, their CSRF token and unread-notification count."""
    full = {
        "user": web.user,
        "csrf_token": web.web_session.csrf_token,
        "unread": _unread(web),
        "bell_refresh_seconds": get_int_setting(web.session, key="web.bell_refresh_seconds"),
        "htmx": is_htmx(web.request),
        **(context or {}),
    }
    return templates.TemplateResponse(web.request, name, full, status_code=status_code)


def rated(feedback: str) -> HTMLResponse:
    """What replaces the thumbs once an answer is rated (htmx)."""
    thanks = "Thanks: marked helpful." if feedback == "up" else "Thanks: sent to the trainers."
    return HTMLResponse(f'<p class="rated muted" role="status">{thanks}</p>')


def form_error(web: Web, name: str, context: Mapping[str, Any], error: DomainError) -> HTMLResponse:
    """The same form again with the error next to its field (422 for input errors, else the error's code)."""
    full = {**context, "error": error.message, "error_field": error.field}
    return page(web, name, full, status_code=error.status_code)


def redirect(web: Web, url: str) -> Response:
    """After a successful POST: a 303 for plain forms, an HX-Redirect for htmx."""
    if is_htmx(web.request):
        return Response(status_code=204, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


def with_warnings(url: str, warnings: list[str]) -> str:
    """``url`` (with a query) and the business rules' AIWARNING messages for the page it leads to."""
    query = urlencode({"warned": "\n".join(warnings)})
    return f"{url}&{query}" if warnings else url


def parse_form(schema: type[S], data: Mapping[str, Any]) -> S:
    """Validates form values with the API's schema; the first error becomes an InvalidInput on its field."""
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or None
        raise InvalidInput(f"{field or 'input'}: {first['msg']}", field=field) from exc


def optional_int(value: str | None) -> int | None:
    value = (value or "").strip()
    if not value:
        return None
    if not value.lstrip("-").isdigit():
        raise InvalidInput(f"'{value}' is not a number", field="id")
    return int(value)


def error_page(request: Request, exc: DomainError) -> Response:
    """DomainErrors on web pages: sign-in redirect for missing sessions, an HTML error page otherwise."""
    if isinstance(exc, SignInRequired):
        target = "/sign-in?next=" + quote(request.url.path)
        if is_htmx(request):
            return Response(status_code=401, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)
    web: Web | None = getattr(request.state, "web", None)
    context = {"status": exc.status_code, "message": exc.message}
    if web is None:
        return templates.TemplateResponse(request, "error.html", context, status_code=exc.status_code)
    try:
        web.session.rollback()
        return page(web, "error.html", context, status_code=exc.status_code)
    finally:
        web.session.close()  # the handler runs after the request's session ended: end this use too
