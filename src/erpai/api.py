"""The FastAPI application: routers of every domain under /api/v1, errors as JSON."""

from __future__ import annotations

import logging
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from starlette.routing import Route

from erpai import __version__
from erpai.ai_models.router import router as models_router
from erpai.answering.router import router as ask_router
from erpai.assistant.router import router as assistant_router
from erpai.audit.router import router as audit_router
from erpai.chat.router import router as chat_router
from erpai.compilations.router import router as compilations_router
from erpai.errors import DomainError, TooManyRequests
from erpai.exports.router import router as exports_router
from erpai.mcp_server.http import McpEndpoint
from erpai.notifications.router import router as notifications_router
from erpai.openai_compat.router import create_openai_app
from erpai.permissions.router import router as permissions_router
from erpai.providers.router import router as providers_router
from erpai.qas.router import router as qas_router
from erpai.records.router import router as records_router
from erpai.rules.router import router as rules_router
from erpai.settings.router import router as settings_router
from erpai.training.router import router as training_router
from erpai.users.router import router as users_router
from erpai.web.render import error_page
from erpai.web.router import mount_web

log = logging.getLogger("erpai.api")


def _domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    if not request.url.path.startswith("/api/"):
        return error_page(request, exc)
    headers = exc.headers if isinstance(exc, TooManyRequests) else None
    body = {"detail": exc.message, "field": exc.field}
    return JSONResponse(body, status_code=exc.status_code, headers=headers)


def _integrity_error(_: Request, exc: Exception) -> JSONResponse:
    log.info("integrity error: %s", type(exc).__name__)
    return JSONResponse({"detail": "the change conflicts with existing data", "field": None}, status_code=409)


def _stale_error(_: Request, exc: Exception) -> JSONResponse:
    return JSONResponse(
        {"detail": "the record was changed by someone else; reload it", "field": "object_version"},
        status_code=409,
    )


def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    """422 whose message names the field, plus FastAPI's detailed list."""
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    first = errors[0] if errors else {"loc": (), "msg": "invalid input"}
    field = ".".join(str(p) for p in first["loc"] if p not in ("body", "query", "path"))
    detail = f"{field or 'input'}: {first['msg']}"
    body = {"detail": detail, "field": field or None, "errors": _plain(_without_inputs(errors))}
    return JSONResponse(body, status_code=422)


def _without_inputs(errors: object) -> object:
    """Drops the rejected values: a "missing field" error carries the whole body, secrets included."""
    if not isinstance(errors, list | tuple):
        return errors
    return [{k: v for k, v in e.items() if k != "input"} if isinstance(e, dict) else e for e in errors]


def _plain(errors: object) -> object:
    import json

    return json.loads(json.dumps(errors, default=str))


def api_router() -> APIRouter:
    router = APIRouter(prefix="/api/v1")

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
    router.include_router(notifications_router)
    router.include_router(audit_router)
    router.include_router(compilations_router)
    router.include_router(ask_router)
    router.include_router(chat_router)
    router.include_router(settings_router)
    router.include_router(exports_router)
    router.include_router(rules_router)
    router.include_router(records_router)
    return router


def _startup() -> list[subprocess.Popen[bytes]]:
    """Recovers work whose worker died while this process was down (compiles failed, chat answers
    enqueued again) and starts the job worker processes (returned, to be stopped at shutdown)."""
    from erpai.config import get_settings
    from erpai.jobs.queue import InProcessBackend, get_backend
    from erpai.jobs.recovery import recover_interrupted_work
    from erpai.jobs.workers import start_worker_processes

    recover_interrupted_work()
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
    app.include_router(api_router())
    app.mount("/v1", create_openai_app())  # the OpenAI-compatible API, with OpenAI's error shape
    app.router.routes.append(Route("/mcp", mcp))  # MCP over streamable HTTP (bearer token)
    mount_web(app)
    return app
