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

from erpai import __version__
from erpai.ai_models.router import router as models_router
from erpai.answering.router import router as ask_router
from erpai.assistant.router import router as assistant_router
from erpai.audit.router import router as audit_router
from erpai.chat.router import router as chat_router
from erpai.compilations.router import router as compilations_router
from erpai.errors import DomainError
from erpai.notifications.router import router as notifications_router
from erpai.providers.router import router as providers_router
from erpai.qas.router import router as qas_router
from erpai.training.router import router as training_router
from erpai.users.router import router as users_router
from erpai.web.render import error_page
from erpai.web.router import mount_web

log = logging.getLogger("erpai.api")


def _domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    if not request.url.path.startswith("/api/"):
        return error_page(request, exc)
    return JSONResponse({"detail": exc.message, "field": exc.field}, status_code=exc.status_code)


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
    router.include_router(assistant_router)
    router.include_router(notifications_router)
    router.include_router(audit_router)
    router.include_router(compilations_router)
    router.include_router(ask_router)
    router.include_router(chat_router)
    return router


def _startup() -> list[subprocess.Popen[bytes]]:
    """Fails compiles whose worker died while this process was down, re-enqueues stuck chat answers,
    and on PostgreSQL starts the job worker processes (returned, to be stopped at shutdown)."""
    from erpai.chat.recovery import recover_arbiter_tasks
    from erpai.compilations.service import recover_interrupted_compilations
    from erpai.config import get_settings
    from erpai.db import session_factory
    from erpai.jobs.queue import InProcessBackend, get_backend

    backend = get_backend()
    with session_factory()() as session:
        failed = recover_interrupted_compilations(session, lost_queue=isinstance(backend, InProcessBackend))
    if failed:
        log.warning("marked interrupted compilations as failed: %s", failed)
    with session_factory()() as session:
        recover_arbiter_tasks(session, lost_queue=isinstance(backend, InProcessBackend))
    settings = get_settings()
    if isinstance(backend, InProcessBackend) or not settings.embedded_worker:
        return []
    from erpai.jobs.pg import start_worker_processes

    return start_worker_processes(settings.resolved_database_url, settings.embedded_worker_processes)


@asynccontextmanager
async def _lifespan(_: FastAPI) -> AsyncIterator[None]:
    workers = _startup()
    yield
    if workers:
        from erpai.jobs.pg import stop_worker_processes

        stop_worker_processes(workers)


def create_app(*, startup_tasks: bool = True) -> FastAPI:
    """``startup_tasks=False`` for tests that bind the app to their own session."""
    lifespan = _lifespan if startup_tasks else None
    app = FastAPI(title="erpai", version=__version__, docs_url="/docs", lifespan=lifespan)
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(IntegrityError, _integrity_error)
    app.add_exception_handler(StaleDataError, _stale_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.include_router(api_router())
    mount_web(app)
    return app
