"""The FastAPI application: routers of every domain under /api/v1, errors as JSON."""

from __future__ import annotations

import logging
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Route

from erpai import __version__
from erpai.ai_models.router import router as models_router
from erpai.answering.router import router as ask_router
from erpai.assistant.panel_router import router as assistant_panel_router
from erpai.assistant.router import router as assistant_router
from erpai.audit.router import router as audit_router
from erpai.chat.router import router as chat_router
from erpai.common import error_responses
from erpai.compilations.router import router as compilations_router
from erpai.errors import DomainError, TooManyRequests
from erpai.exports.router import router as exports_router
from erpai.feedback.router import router as feedback_router
from erpai.ingest.router import router as ingest_router
from erpai.mcp_server.http import McpEndpoint
from erpai.notifications.router import router as notifications_router
from erpai.openai_compat.router import create_openai_app
from erpai.permissions.router import router as permissions_router
from erpai.providers.router import router as providers_router
from erpai.qas.router import router as qas_router
from erpai.records.router import router as records_router
from erpai.rules.router import router as rules_router
from erpai.settings.router import router as settings_router
from erpai.todos.router import router as todos_router
from erpai.training.router import router as training_router
from erpai.users.router import router as users_router
from erpai.web.render import error_page
from erpai.web.router import mount_web

log = logging.getLogger("erpai.api")


def _error(
    status: int, detail: str, field: str | None, errors: list[dict[str, Any]] | None = None
) -> JSONResponse:
    """The one error body (erpai.common.ErrorBody) of every 4xx/5xx response."""
    body: dict[str, Any] = {"detail": detail, "field": field}
    if errors is not None:
        body["errors"] = errors
    return JSONResponse(body, status_code=status)


def _domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    if not request.url.path.startswith("/api/"):
        return error_page(request, exc)
    response = _error(exc.status_code, exc.message, exc.field, exc.error_items())
    if isinstance(exc, TooManyRequests):
        response.headers.update(exc.headers)
    return response


def _integrity_error(_: Request, exc: Exception) -> JSONResponse:
    log.info("integrity error: %s", type(exc).__name__)
    return _error(409, "the change conflicts with existing data", None)


def _stale_error(_: Request, exc: Exception) -> JSONResponse:
    return _error(409, "the record was changed by someone else; reload it", "object_version")


def _http_error(_: Request, exc: Exception) -> JSONResponse:
    """Starlette's own errors (unknown route 404, 405, unreadable body 400) in the same body."""
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400:  # FastAPI's "error parsing the body": not UTF-8, a broken multipart form
        return _error(400, f"body: the request body cannot be read ({exc.detail})", "body")
    return _error(exc.status_code, str(exc.detail), None)


def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    """422 whose message names the field (the first problem), with every problem in ``errors``."""
    assert isinstance(exc, RequestValidationError)
    items = [_error_item(e) for e in exc.errors()] or [{"loc": [], "msg": "invalid input", "type": "invalid"}]
    first = exc.errors()[0] if exc.errors() else {}
    if first.get("type") == "json_invalid":
        reason = (first.get("ctx") or {}).get("error", "not valid JSON")
        return _error(422, f"body: the request body is not valid JSON ({reason})", "body", items[:1])
    field = _field_name(items[0]["loc"])
    return _error(422, f"{field or 'input'}: {items[0]['msg']}", field, items)


def _error_item(error: Any) -> dict[str, Any]:
    """loc, msg, type only: never the rejected value (a "missing field" error carries the whole body)."""
    loc = [p if isinstance(p, int) else str(p) for p in error.get("loc", ())]
    if error.get("type") == "json_invalid":
        loc = ["body"]  # pydantic puts the character offset of the syntax error here
    return {"loc": loc, "msg": str(error.get("msg", "invalid")), "type": str(error.get("type", "invalid"))}


def _field_name(loc: list[str | int]) -> str | None:
    """("body", "messages", 0, "content") -> "messages.0.content"; a missing body -> "body"."""
    parts = [str(p) for p in loc[1:]] if loc and loc[0] in ("body", "query", "path", "header") else loc
    return ".".join(str(p) for p in parts) or (str(loc[0]) if loc else None)


def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    """Safety net only: a 500 is a bug (the fuzz tests count it as a failure); logged, nothing leaked."""
    log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return _error(500, "internal error; it has been logged", None)


def api_router() -> APIRouter:
    router = APIRouter(prefix="/api/v1", responses=error_responses(400, 401, 403, 404, 409, 422, 429))

    @router.get("/health", tags=["health"])
    def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    router.include_router(users_router)
    router.include_router(providers_router)
    router.include_router(qas_router)
    router.include_router(training_router)
    router.include_router(models_router)
    router.include_router(permissions_router)
    router.include_router(assistant_router)
    router.include_router(assistant_panel_router)
    router.include_router(notifications_router)
    router.include_router(audit_router)
    router.include_router(compilations_router)
    router.include_router(ask_router)
    router.include_router(chat_router)
    router.include_router(settings_router)
    router.include_router(exports_router)
    router.include_router(rules_router)
    router.include_router(records_router)
    router.include_router(feedback_router)
    router.include_router(ingest_router)
    router.include_router(todos_router)
    return router


def _startup() -> list[subprocess.Popen[bytes]]:
    """Recovers work whose worker died while this process was down (compiles failed, chat answers
    enqueued again) and starts the job worker processes (returned, to be stopped at shutdown)."""
    from erpai.compilations.provider_embedder import warm_up_encoders
    from erpai.config import get_settings
    from erpai.jobs.queue import InProcessBackend, get_backend
    from erpai.jobs.recovery import recover_interrupted_work
    from erpai.jobs.workers import start_worker_processes

    recover_interrupted_work()
    warm_up_encoders()
    settings = get_settings()
    if isinstance(get_backend(), InProcessBackend) or not settings.embedded_worker:
        return []
    return start_worker_processes(settings.resolved_database_url, settings.embedded_worker_processes)


@asynccontextmanager
async def _lifespan(_: FastAPI) -> AsyncIterator[None]:
    workers = _startup()
    yield
    if workers:
        from erpai.jobs.workers import stop_worker_processes

        stop_worker_processes(workers)


def create_app(*, startup_tasks: bool = True) -> FastAPI:
    """``startup_tasks=False`` for tests that bind the app to their own session."""
    mcp = McpEndpoint()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with mcp.running():
            if not startup_tasks:
                yield
                return
            async with _lifespan(app):
                yield

    app = FastAPI(title="erpai", version=__version__, docs_url="/docs", lifespan=lifespan)
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(IntegrityError, _integrity_error)
    app.add_exception_handler(StaleDataError, _stale_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)
    app.include_router(api_router())
    app.mount("/v1", create_openai_app())  # the OpenAI-compatible API, with OpenAI's error shape
    app.router.routes.append(Route("/mcp", mcp))  # MCP over streamable HTTP (bearer token)
    mount_web(app)
    return app
