"""Domain errors raised by services and mapped to HTTP status codes and CLI exits."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status_code = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def error_items(self) -> list[dict[str, Any]] | None:
        """The ``errors`` list of the error body (loc, msg, type), when there are several problems."""
        return None


class NotFound(DomainError):
    status_code = 404


class Conflict(DomainError):
    """A rule of the domain is broken: cycle, duplicate, second default, compile already running."""

    status_code = 409


class InvalidInput(DomainError):
    status_code = 422


class Forbidden(DomainError):
    status_code = 403


class Unauthorized(DomainError):
    status_code = 401


class MissingCapability(DomainError):
    """A feature needs a provider capability (chat, embeddings, fine_tune) the provider lacks."""

    status_code = 422


class TooManyRequests(DomainError):
    """Answered 429 with a ``Retry-After`` header (whole seconds)."""

    status_code = 429

    def __init__(self, message: str, *, retry_after_seconds: float) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(max(1, int(self.retry_after_seconds + 0.999)))}
