"""Retries: exponential back-off with jitter, ``Retry-After``, bounded attempts and an overall deadline.

The SDK's own retries are switched off (``max_retries=0``) so that this module alone decides, and so that the
deadline covers every attempt and every pause.
"""

from __future__ import annotations

import logging
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TypeVar

import httpx2
import openai

from erpai.providers.base import ErrorCode, ProviderError
from erpai.security import mask_secret

log = logging.getLogger("erpai.providers")
T = TypeVar("T")
_KEY_LIKE = re.compile(r"\b(sk|key|api)[-_][A-Za-z0-9_\-]{6,}", re.IGNORECASE)
_RETRYABLE_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504})
_DETAIL_LIMIT = 300


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 3
    timeout_seconds: float = 60.0
    deadline_seconds: float = 180.0
    backoff_base_seconds: float = 0.5
    backoff_max_seconds: float = 8.0
    retry_after_cap_seconds: float = 30.0

    def backoff(self, attempt: int) -> float:
        """Equal jitter: half fixed, half random, so parallel callers spread out."""
        ceiling = min(self.backoff_max_seconds, self.backoff_base_seconds * 2.0 ** (attempt - 1))
        return ceiling / 2 + random.uniform(0, ceiling / 2)


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delta seconds or an HTTP date); None if absent or bad."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _retry_after(exc: BaseException) -> float | None:
    response = getattr(exc, "response", None)
    if response is None:
        return None
    millis = response.headers.get("retry-after-ms")
    if millis:
        try:
            return max(0.0, float(millis) / 1000)
        except ValueError:
            pass
    return parse_retry_after(response.headers.get("retry-after"))


def _error_code(body: object) -> str | None:
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and isinstance(inner.get("code"), str):
            return str(inner["code"])
    return None


def is_retryable(exc: BaseException, *, idempotent: bool) -> bool:
    if isinstance(exc, openai.APITimeoutError):
        return idempotent  # the server may have acted on a POST that timed out: do not do it twice
    if isinstance(exc, openai.APIConnectionError):
        return True
    if isinstance(exc, openai.APIStatusError):
        if exc.status_code == 429 and _error_code(exc.body) == "insufficient_quota":
            return False
        return exc.status_code in _RETRYABLE_STATUS
    return False


class Redactor:
    """Removes the API key (and anything shaped like a key) from text bound for messages and logs."""

    def __init__(self, secret: str | None) -> None:
        self._secret = secret or ""

    def __call__(self, text: str) -> str:
        if self._secret and len(self._secret) >= 4:
            text = text.replace(self._secret, mask_secret(self._secret))
        return _KEY_LIKE.sub(lambda m: mask_secret(m.group(0)), text)


def _detail(exc: BaseException) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])[:_DETAIL_LIMIT]
    message = getattr(exc, "message", None) or str(exc)
    return str(message)[:_DETAIL_LIMIT]


_SUMMARY: dict[ErrorCode, str] = {
    "auth": "the API key was rejected; check or replace the provider's key",
    "permission": "the account is not allowed to do this (for fine-tuning: it may be closed to the account)",
    "not_found": "the endpoint or resource was not found; check base_url and the names used",
    "rate_limited": "the provider keeps refusing with 'too many requests' or the quota is used up",
    "unavailable": "the provider cannot be reached or keeps failing",
    "timeout": "the provider did not answer in time",
    "bad_request": "the provider rejected the request",
    "model_not_available": "the model is not available to this account for this operation",
    "misconfigured": "the request could not be sent: the API key or organization holds characters that "
    "cannot go into an HTTP header; set them again on the provider",
}


def classify(exc: BaseException) -> tuple[ErrorCode, int | None]:
    if isinstance(exc, openai.APITimeoutError):
        return "timeout", None
    if isinstance(exc, openai.APIConnectionError):
        return "unavailable", None
    if not isinstance(exc, openai.APIStatusError):
        return "unavailable", None
    status, upstream_code = exc.status_code, _error_code(exc.body)
    if upstream_code in ("model_not_available", "model_not_found"):
        return "model_not_available", status
    by_status: dict[int, ErrorCode] = {401: "auth", 403: "permission", 404: "not_found", 429: "rate_limited"}
    if status in by_status:
        return by_status[status], status
    return ("unavailable" if status >= 500 else "bad_request"), status


def is_header_problem(exc: BaseException) -> bool:
    """The request was never sent because a header value (key, organization) cannot be encoded:
    non-ASCII text fails while the SDK builds the request, control characters when h11 writes it."""
    seen: BaseException | None = exc
    for _ in range(8):  # the chain is short: SDK error <- httpx <- httpcore <- h11
        if seen is None:
            return False
        if isinstance(seen, UnicodeEncodeError | httpx2.LocalProtocolError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def header_error(*, provider: str, operation: str) -> ProviderError:
    """Never carries the underlying message: it quotes the header, key included."""
    message = f"provider '{provider}' {operation}: {_SUMMARY['misconfigured']}"
    return ProviderError(message, code="misconfigured")


def to_provider_error(
    exc: BaseException, *, provider: str, operation: str, redact: Redactor
) -> ProviderError:
    code, status = classify(exc)
    http = f"HTTP {status}" if status else type(exc).__name__
    detail = redact(_detail(exc))
    message = f"provider '{provider}' {operation}: {_SUMMARY[code]} ({http}: {detail})"
    return ProviderError(message, code=code, upstream_status=status)


@dataclass
class Retrier:
    """Runs one provider call under a :class:`RetryPolicy`; ``sleep``/``clock`` are injectable for tests."""

    policy: RetryPolicy
    provider: str
    redact: Redactor
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic

    def run(self, operation: str, call: Callable[[float], T], *, idempotent: bool = True) -> T:
        """``call(timeout)`` is tried until it succeeds, fails for good, or attempts/deadline run out."""
        deadline = self.clock() + self.policy.deadline_seconds
        attempt = 0
        while True:
            attempt += 1
            remaining = deadline - self.clock()
            try:
                return call(max(0.05, min(self.policy.timeout_seconds, remaining)))
            except UnicodeEncodeError:
                raise header_error(provider=self.provider, operation=operation) from None
            except openai.OpenAIError as exc:
                if is_header_problem(exc):
                    raise header_error(provider=self.provider, operation=operation) from None
                error = to_provider_error(
                    exc, provider=self.provider, operation=operation, redact=self.redact
                )
                pause = self._pause(exc, attempt, deadline, idempotent=idempotent)
                if pause is None:
                    raise error from None
                log.info(
                    "provider %s %s: %s (attempt %d/%d), retrying in %.2fs",
                    self.provider,
                    operation,
                    error.code,
                    attempt,
                    self.policy.max_attempts,
                    pause,
                )
                self.sleep(pause)

    def _pause(self, exc: BaseException, attempt: int, deadline: float, *, idempotent: bool) -> float | None:
        """Seconds to wait before the next attempt, or None to give up."""
        if attempt >= self.policy.max_attempts or not is_retryable(exc, idempotent=idempotent):
            return None
        hinted = _retry_after(exc)
        pause = (
            min(hinted, self.policy.retry_after_cap_seconds)
            if hinted is not None
            else self.policy.backoff(attempt)
        )
        if self.clock() + pause >= deadline:
            return None
        return pause
