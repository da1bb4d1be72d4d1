"""The model page's Builds tab and a build's own page: compile, live progress, log, activate, cancel."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import Response

from erpai.ai_models.service import get_model
from erpai.common import PageParams
from erpai.compilations.models import Compilation
from erpai.compilations.service import (
    activate_compilation,
    cancel_compilation,
    get_compilation,
    list_compilations,
    queue_compilation,
)
from erpai.errors import DomainError
from erpai.providers.registry import capabilities_of
from erpai.routing import SessionReleasingRoute
from erpai.web.deps import Web, WebAdminDep, WebDep
from erpai.web.forms import form_values, read_form
from erpai.web.render import page, redirect
from erpai.web.views import provider_of

router = APIRouter(route_class=SessionReleasingRoute)
PAGE = 20
RUNNING = ("N", "R")


def _kinds(web: Web, model_id: int) -> list[str]:
    provider = provider_of(web.session, get_model(web.session, model_id=model_id))
    if provider is None:
        return []
    return ["retrieval", *(["fine_tune"] if "fine_tune" in capabilities_of(provider) else [])]


def _builds_tab(web: Web, model_id: int, offset: int, extra: dict[str, Any]) -> Response:
    model = get_model(web.session, model_id=model_id)
    rows, total = list_compilations(
        web.session, params=PageParams(limit=PAGE, offset=offset), actor=web.user, model_id=model_id
    )
    running = next((c for c in rows if c.status in RUNNING), None)
    context = {
        "model": model, "tab": "builds", "rows": rows, "total": total, "offset": offset, "limit": PAGE,
        "kinds": _kinds(web, model_id), "running": running, **extra,
    }  # fmt: skip
    return page(web, "builds/tab.html", context, status_code=extra.get("status", 200))


@router.get("/models/{model_id}/builds")
def builds_tab(model_id: int, web: WebDep, offset: int = Query(default=0, ge=0)) -> Response:
    return _builds_tab(web, model_id, offset, {})


@router.post("/models/{model_id}/compile")
async def compile_submit(model_id: int, web: WebAdminDep) -> Response:
    kind = form_values(await read_form(web.request), only=("kind",)).get("kind") or "retrieval"
    try:
        compilation = queue_compilation(web.session, model_id=model_id, user_id=web.user.id, kind=kind)
    except DomainError as exc:
        web.session.rollback()
        extra = {"error": exc.message, "error_field": exc.field, "status": exc.status_code}
        return _builds_tab(web, model_id, 0, extra)
    return redirect(web, f"/builds/{compilation.id}")


def _misses(build: Compilation) -> list[dict[str, Any]]:
    raw = next((a.value for a in build.assets if a.asset_key == "validation_misses"), None)
    return list(json.loads(raw)) if raw else []


@router.get("/builds/{compilation_id}")
def build_page(compilation_id: int, web: WebDep) -> Response:
    build = get_compilation(web.session, compilation_id=compilation_id)
    model = get_model(web.session, model_id=build.model_id)
    context = {"build": build, "model": model, "tab": "builds", "misses": _misses(build), "running": RUNNING}
    return page(web, "builds/build.html", context)


@router.get("/builds/{compilation_id}/progress")
def build_progress(compilation_id: int, web: WebDep) -> Response:
    """The progress panel, polled by htmx while the build runs; once it ends, the page reloads."""
    build = get_compilation(web.session, compilation_id=compilation_id)
    response = page(web, "builds/_progress.html", {"build": build, "running": RUNNING})
    if build.status not in RUNNING:
        response.headers["HX-Refresh"] = "true"
    return response


@router.post("/builds/{compilation_id}/activate")
def activate_submit(compilation_id: int, web: WebAdminDep) -> Response:
    activate_compilation(web.session, compilation_id=compilation_id, actor_id=web.user.id)
    return redirect(web, f"/builds/{compilation_id}")


@router.post("/builds/{compilation_id}/cancel")
def cancel_submit(compilation_id: int, web: WebAdminDep) -> Response:
    cancel_compilation(web.session, compilation_id=compilation_id, actor_id=web.user.id)
    return redirect(web, f"/builds/{compilation_id}")
