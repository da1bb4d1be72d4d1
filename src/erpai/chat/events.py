"""The server-sent-events stream of a group: polls the database with short-lived sessions.

The stream ends when the user leaves the group or its token stops being valid (revoked, expired, user
deactivated), and after ``chat.stream_max_seconds`` with a ``reconnect`` event."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import anyio
from fastapi import Request
from starlette.concurrency import run_in_threadpool

from erpai.chat.comments import comments_after
from erpai.chat.schemas import CommentRead
from erpai.chat.service import get_membership
from erpai.db import SessionOpener
from erpai.errors import Forbidden, Unauthorized
from erpai.limits import MAX_INT
from erpai.users.service import check_token

POLL_SECONDS = 0.5
KEEPALIVE_SECONDS = 15.0
# The token (revoked? expired? user deactivated?) is checked again this often, and before each batch.
AUTH_RECHECK_SECONDS = 5.0
RECONNECT_MILLIS = 1000
BATCH = 100


@dataclass(frozen=True)
class StreamLimits:
    """``timeout``: the client's own limit (the stream just ends); ``max_seconds``: the server's
    (``chat.stream_max_seconds``), after which a ``reconnect`` event tells the client to resume."""

    timeout: float | None
    max_seconds: float

    @property
    def lifetime(self) -> float:
        return self.max_seconds if self.timeout is None else min(self.timeout, self.max_seconds)

    @property
    def ends_with_reconnect(self) -> bool:
        return self.timeout is None or self.timeout >= self.max_seconds


def parse_event_id(value: str | None) -> int | None:
    """A Last-Event-ID sent back by the browser: a comment id, or None when it is anything else.

    Browsers resend whatever id they last saw, so a bad value resumes from ``after_id`` (or now)
    instead of failing the reconnect."""
    text = (value or "").strip()
    if not text.isascii() or not text.isdigit() or len(text) > 10:
        return None
    number = int(text)
    return number if number <= MAX_INT else None



def _poll(
    opener: SessionOpener, *, group_id: int, user_id: int, token_id: int, after_id: int, recheck: bool
) -> tuple[list[CommentRead], str | None]:
    """New comments, or why the stream must end: the user left the group, or the token is no longer
    valid (checked when ``recheck`` is due and always before comments go out)."""
    with opener() as session:
        if get_membership(session, group_id=group_id, user_id=user_id) is None:
            return [], "you are no longer a member of this group"
        batch = comments_after(session, group_id=group_id, after_id=after_id, limit=BATCH)
        if recheck or batch:
            try:
                check_token(session, token_id=token_id)
            except (Unauthorized, Forbidden) as exc:
                return [], exc.message
        return batch, None


def format_event(comment: CommentRead) -> str:
    return f"id: {comment.id}\nevent: comment\ndata: {comment.model_dump_json()}\n\n"


def reconnect_event(last_id: int) -> str:
    """Sets the client's last event id (even when nothing was sent) and its retry delay, so an
    EventSource reconnects at once and resumes after ``last_id``."""
    data = json.dumps({"reason": "the stream reached its maximum lifetime", "last_event_id": last_id})
    return f"retry: {RECONNECT_MILLIS}\nid: {last_id}\nevent: reconnect\ndata: {data}\n\n"


async def comment_events(
    request: Request,
    opener: SessionOpener,
    *,
    group_id: int,
    user_id: int,
    token_id: int,
    after_id: int,
    limits: StreamLimits,
    formatter: Callable[[CommentRead], str] = format_event,
) -> AsyncIterator[str]:
    """``formatter`` turns a comment into its event (the web page's stream sends rendered HTML)."""
    started = time.monotonic()
    deadline = started + limits.lifetime
    last_sent = last_auth = started
    yield "retry: 2000\n\n"
    while time.monotonic() < deadline:
        if await request.is_disconnected():
            return
        recheck = time.monotonic() - last_auth >= AUTH_RECHECK_SECONDS
        batch, ended = await run_in_threadpool(
            _poll,
            opener,
            group_id=group_id,
            user_id=user_id,
            token_id=token_id,
            after_id=after_id,
            recheck=recheck,
        )
        if recheck or batch:
            last_auth = time.monotonic()
        if ended is not None:
            yield f"event: end\ndata: {ended}\n\n"
            return
        for comment in batch:
            after_id = comment.id
            yield formatter(comment)
        if batch:
            last_sent = time.monotonic()
        if len(batch) == BATCH:
            continue  # more may wait behind a full batch
        if time.monotonic() - last_sent > KEEPALIVE_SECONDS:
            last_sent = time.monotonic()
            yield ": keepalive\n\n"
        await anyio.sleep(min(POLL_SECONDS, max(0.0, deadline - time.monotonic())))
    if limits.ends_with_reconnect:
        yield reconnect_event(after_id)
