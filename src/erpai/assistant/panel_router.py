"""The assistant panel: answering in a conversation, page data, additional instructions, debug switches.

Everything here is the caller's own; someone else's conversation reads as missing (404), admins included.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from erpai.assistant import preferences, replies, service
from erpai.assistant.preferences import FormKind
from erpai.assistant.schemas import (
    AssistantAsk,
    AssistantReply,
    InstructionsRead,
    InstructionsUpdate,
    PageDataRead,
    PreferencesRead,
    PreferencesUpdate,
)
from erpai.auth import CurrentUser, SessionDep
from erpai.common import Id
from erpai.routing import SessionReleasingRoute

router = APIRouter(route_class=SessionReleasingRoute, prefix="/assistant", tags=["assistant"])
CONVERSATION = "/conversations/{conversation_id}"
STREAM_DOC = (
    "With stream=true (body or query) the reply comes as text/event-stream: `source` (grounding matches and "
    'notes), `delta` events ({"text": ...}), then `done` with the AssistantReply, or `error`.'
)


def _sse(events: Iterator[tuple[str, dict[str, Any]]]) -> Iterator[bytes]:
    for name, data in events:
        yield f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


@router.post(
    CONVERSATION + "/messages",
    response_model=AssistantReply,
    status_code=status.HTTP_201_CREATED,
    description=STREAM_DOC,
    responses={201: {"content": {"text/event-stream": {}}}},
)
def post_message(
    conversation_id: Id,
    data: AssistantAsk,
    session: SessionDep,
    user: CurrentUser,
    stream: bool = Query(default=False, description="Answer as server-sent events."),
) -> Any:
    if not (stream or data.stream):
        return replies.post_message(session, actor=user, conversation_id=conversation_id, text=data.content)
    events = replies.stream_message(session, actor=user, conversation_id=conversation_id, text=data.content)
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(_sse(events), status_code=201, media_type="text/event-stream", headers=headers)


@router.post(CONVERSATION + "/context", response_model=PageDataRead)
async def upload_page_data(
    conversation_id: Id, request: Request, session: SessionDep, user: CurrentUser
) -> PageDataRead:
    """Page data: one record (a JSON object) or a navigator page {title, description, objects: [...]}."""
    raw = await request.body()
    return await run_in_threadpool(
        lambda: service.upload_page_data(session, conversation_id=conversation_id, user_id=user.id, raw=raw)
    )


def _instructions(form_kind: str, value: tuple[str, bool]) -> InstructionsRead:
    return InstructionsRead(form_kind=form_kind, instructions=value[0], is_default=value[1])


@router.get("/instructions", response_model=list[InstructionsRead])
def list_instructions(session: SessionDep, user: CurrentUser) -> list[InstructionsRead]:
    found = preferences.list_instructions(session, user_id=user.id)
    return [_instructions(kind, value) for kind, value in found.items()]


@router.put("/instructions/{form_kind}", response_model=InstructionsRead)
def set_instructions(
    form_kind: FormKind, data: InstructionsUpdate, session: SessionDep, user: CurrentUser
) -> InstructionsRead:
    value = preferences.set_instructions(
        session, user_id=user.id, form_kind=form_kind, instructions=data.instructions
    )
    return _instructions(form_kind, value)


@router.delete("/instructions/{form_kind}", response_model=InstructionsRead)
def clear_instructions(form_kind: FormKind, session: SessionDep, user: CurrentUser) -> InstructionsRead:
    """Back to the system setting's default."""
    value = preferences.set_instructions(session, user_id=user.id, form_kind=form_kind, instructions=None)
    return _instructions(form_kind, value)


@router.get("/preferences", response_model=PreferencesRead)
def read_preferences(session: SessionDep, user: CurrentUser) -> PreferencesRead:
    return PreferencesRead.model_validate(preferences.preference_of(session, user_id=user.id))


@router.patch("/preferences", response_model=PreferencesRead)
def update_preferences(data: PreferencesUpdate, session: SessionDep, user: CurrentUser) -> PreferencesRead:
    """Debug (exact prompt and raw response with each reply) and diagnostics (tokens, latency, build)."""
    row = preferences.set_switches(session, user_id=user.id, debug=data.debug, diagnostics=data.diagnostics)
    return PreferencesRead.model_validate(row)
