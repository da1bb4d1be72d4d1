"""Shared API pieces: paging, the bounded input types every schema uses, UTC times, the error body."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Generic, TypeVar

import annotated_types
from fastapi import Query
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from erpai.config import get_settings
from erpai.limits import MAX_INT, NAME_MAX, NOTES_MAX, SEARCH_MAX

T = TypeVar("T")


def check_text(value: str) -> str:
    """Text the database can store: no NUL character, no lone surrogate (invalid Unicode)."""
    if "\x00" in value:
        raise ValueError("must not contain NUL (\\u0000) characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text (it holds a lone surrogate)") from None
    return value


@dataclass(frozen=True)
class Text(annotated_types.GroupedMetadata):
    """``Annotated[str, Text(max_length=N)]``: bounded (documented as maxLength) and storable text."""

    max_length: int
    min_length: int | None = None
    pattern: str | None = None

    def __iter__(self) -> Iterator[object]:
        yield StringConstraints(min_length=self.min_length, max_length=self.max_length, pattern=self.pattern)
        yield AfterValidator(check_text)


Name = Annotated[str, Text(min_length=1, max_length=NAME_MAX)]
Notes = Annotated[str, Text(max_length=NOTES_MAX)]
Search = Annotated[str, Text(max_length=SEARCH_MAX)]  # a list filter

# Ids and counters: every integer column is INTEGER, so larger values are refused before any query.
Id = Annotated[int, annotated_types.Ge(1), annotated_types.Le(MAX_INT)]
Count = Annotated[int, annotated_types.Ge(0), annotated_types.Le(MAX_INT)]


def as_utc(value: datetime) -> datetime:
    """Stored times are naive UTC; a response always carries the offset."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


UTCDateTime = Annotated[datetime, AfterValidator(as_utc)]


class ORMModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


class PageParams(BaseModel):
    limit: int
    offset: int


def page_params(
    limit: int = Query(default=50, ge=1, le=500, description="Page size"),
    offset: int = Query(default=0, ge=0, le=MAX_INT, description="Rows to skip"),
) -> PageParams:
    return PageParams(limit=min(limit, get_settings().max_page_size), offset=offset)


def fetch_page(session: Session, stmt: Select[Any], params: PageParams) -> tuple[list[Any], int]:
    """Runs ``stmt`` for one page and counts all its rows."""
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    rows = list(session.scalars(stmt.limit(params.limit).offset(params.offset)))
    return rows, int(total)


class ErrorItem(BaseModel):
    """One problem: where (``loc``: ``["body", "question"]``, ``["line", 3, "answer"]``), what, which kind."""

    loc: list[str | int]
    msg: str
    type: str
    line: int | None = Field(default=None, description="For a file import: the line of the bad row.")


class ErrorBody(BaseModel):
    """Every 4xx and 5xx response of the API."""

    detail: str = Field(description="What went wrong, for a person.")
    field: str | None = Field(default=None, description="The input at fault (e.g. 'question', 'body').")
    errors: list[ErrorItem] | None = Field(default=None, description="Every problem, when there are several.")


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` entries that document these status codes with the error body."""
    return {code: {"model": ErrorBody, "description": ERROR_DESCRIPTIONS[code]} for code in codes}


ERROR_DESCRIPTIONS = {
    400: "The request body cannot be read (not UTF-8, a broken multipart form)",
    401: "Missing, unknown, revoked or expired token",
    403: "Not allowed for this user",
    404: "Not found",
    409: "Conflicts with the current state (duplicate, running compile, changed by someone else)",
    422: "Invalid input: `field` names it, `errors` lists every problem",
    429: "Too many failed authentications from this address: wait `Retry-After` seconds",
    500: "Unexpected server error (logged)",
    502: "The AI provider failed",
    503: "The AI provider is unavailable or rate-limited",
    504: "The AI provider timed out",
}
