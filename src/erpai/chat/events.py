"""The server-sent-events stream of a group: polls the database with short-lived sessions."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractContextManager

import anyio
from fastapi import Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from erpai.chat.comments import comments_after
from erpai.chat.schemas import CommentRead
from erpai.chat.service import get_membership
from erpai.db import session_factory
from erpai.limits import MAX_INT

SessionOpener = Callable[[], AbstractContextManager[Session]]
POLL_SECONDS = 0.5
KEEPALIVE_SECONDS = 15.0
BATCH = 100


def parse_event_id(value: str | None) -> int | None:
    """A Last-Event-ID sent back by the browser: a comment id, or None when it is anything else.

    Browsers resend whatever id they last saw, so a bad value resumes from ``after_id`` (or now)
    instead of failing the reconnect."""
    text = (value or "").strip()
    if not text.isascii() or not text.isdigit() or len(text) > 10:
        return None
    number = int(text)
    return number if number <= MAX_INT else None


def stream_sessions() -> SessionOpener:
    """FastAPI dependency: how the stream opens a session per poll (tests override it)."""
    return session_factory()


def _poll(opener: SessionOpener, *, group_id: int, user_id: int, after_id: int) -> list[CommentRead] | None:
    """New comments, or None once the user is no longer a member."""
    with opener() as session:
        if get_membership(session, group_id=group_id, user_id=user_id) is None:
            return None
        return comments_after(session, group_id=group_id, after_id=after_id, limit=BATCH)


def format_event(comment: CommentRead) -> str:
    return f"id: {comment.id}\nevent: comment\ndata: {comment.model_dump_json()}\n\n"


async def comment_events(
    request: Request,
    opener: SessionOpener,
    *,
    group_id: int,
    user_id: int,
    after_id: int,
    timeout: float | None,
) -> AsyncIterator[str]:
    deadline = None if timeout is None else time.monotonic() + timeout
    last_sent = time.monotonic()
    yield "retry: 2000\n\n"
    while deadline is None or time.monotonic() < deadline:
        if await request.is_disconnected():
            return
        batch = await run_in_threadpool(_poll, opener, group_id=group_id, user_id=user_id, after_id=after_id)
        if batch is None:
            yield "event: end\ndata: you are no longer a member of this group\n\n"
            return
        for comment in batch:
            after_id = comment.id
            yield format_event(comment)
        if batch:
            last_sent = time.monotonic()
        if len(batch) == BATCH:
            continue  # more may wait behind a full batch
        if time.monotonic() - last_sent > KEEPALIVE_SECONDS:
            last_sent = time.monotonic()
            yield ": keepalive\n\n"
        await anyio.sleep(POLL_SECONDS)
