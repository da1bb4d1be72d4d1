"""Errors in OpenAI's shape: ``{"error": {"message", "type", "param", "code"}}``, so SDKs raise the
matching exception (AuthenticationError, NotFoundError, PermissionDeniedError, BadRequestError...)."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException

from erpai.errors import DomainError, Forbidden, NotFound, Unauthorized
from erpai.openai_compat.schemas import ErrorDetail, ErrorResponse
from erpai.providers.base import ProviderError


def error_response(
    status: int, message: str, *, kind: str, param: str | None, code: str | None
) -> JSONResponse:
    body = ErrorResponse(error=ErrorDetail(message=message, type=kind, param=param, code=code))
    return JSONResponse(body.model_dump(), status_code=status)


def _domain_code(exc: DomainError) -> tuple[str, str | None]:
    if isinstance(exc, ProviderError):
        return "api_error", exc.code
    if isinstance(exc, Unauthorized):
        return "invalid_request_error", "invalid_api_key"
    if isinstance(exc, Forbidden):
        return "permission_error", "model_not_permitted" if exc.field == "model" else "forbidden"
    if isinstance(exc, NotFound):
        return "invalid_request_error", "model_not_found" if exc.field == "model" else "not_found"
    return "invalid_request_error", None


def domain_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    kind, code = _domain_code(exc)
    status = 400 if exc.status_code == 422 else exc.status_code
    return error_response(status, exc.message, kind=kind, param=exc.field, code=code)


def validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError | ValidationError)
    errors = exc.errors()
    first = errors[0] if errors else {"loc": (), "msg": "invalid request"}
    param = ".".join(str(p) for p in first["loc"] if p not in ("body", "query", "path")) or None
    return error_response(
        400, f"{param or 'request'}: {first['msg']}", kind="invalid_request_error", param=param, code=None
    )


def http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    code = "unknown_url" if exc.status_code == 404 else None
    return error_response(
        exc.status_code, str(exc.detail), kind="invalid_request_error", param=None, code=code
    )


def install_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, domain_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(ValidationError, validation_error)
    app.add_exception_handler(HTTPException, http_error)
