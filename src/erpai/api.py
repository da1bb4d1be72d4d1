"""The FastAPI application: routers of every domain under /api/v1, errors as JSON."""

from __future__ import annotations

import logging

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from erpai import __version__
from erpai.errors import DomainError
from erpai.users.router import router as users_router

log = logging.getLogger("erpai.api")


def _domain_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
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
    body = {"detail": f"{field or 'input'}: {first['msg']}", "field": field or None, "errors": _plain(errors)}
    return JSONResponse(body, status_code=422)


def _plain(errors: object) -> object:
    import json

    return json.loads(json.dumps(errors, default=str))


def api_router() -> APIRouter:
    router = APIRouter(prefix="/api/v1")

    @router.get("/health", tags=["health"])
    def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    router.include_router(users_router)
    return router


def create_app() -> FastAPI:
    app = FastAPI(title="erpai", version=__version__, docs_url="/docs")
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(IntegrityError, _integrity_error)
    app.add_exception_handler(StaleDataError, _stale_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.include_router(api_router())
    return app
