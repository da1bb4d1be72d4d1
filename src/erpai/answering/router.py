from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from erpai.answering.schemas import AnswerResult, ContextMessage
from erpai.answering.service import Event, ask, ask_streaming
from erpai.auth import CurrentUser, SessionDep
from erpai.common import Id, Text, error_responses
from erpai.limits import CONTEXT_MESSAGES_MAX, QUESTION_MAX
from erpai.routing import SessionReleasingRoute

router = APIRouter(route_class=SessionReleasingRoute, tags=["ask"])

STREAM_DOC = (
    "With stream=true (in the body or the query) the answer comes as text/event-stream: one `source` event "
    '(the matches that ground it), `delta` events ({"text": ...}), then `done` with the AnswerResult, '
    'or `error` ({"detail", "field", "code"}) when it fails midway.'
)


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: Annotated[str, Text(min_length=1, max_length=QUESTION_MAX)]
    context: list[ContextMessage] | None = Field(default=None, max_length=CONTEXT_MESSAGES_MAX)
    stream: bool = Field(default=False, description="Answer as server-sent events.")


def _sse(events: Iterator[Event]) -> Iterator[bytes]:
    for name, data in events:
        yield f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


@router.post(
    "/models/{model_id}/ask",
    response_model=AnswerResult,
    description=STREAM_DOC,
    responses={200: {"content": {"text/event-stream": {}}}, **error_responses(502, 503, 504)},
)
def ask_model(
    model_id: Id,
    data: AskRequest,
    session: SessionDep,
    user: CurrentUser,
    stream: bool = Query(default=False, description="Answer as server-sent events."),
) -> Any:
    arguments: dict[str, Any] = {
        "model_id": model_id,
        "question": data.question,
        "context": data.context,
        "channel": "api",
        "actor": user,
    }
    if not (stream or data.stream):
        return ask(session, **arguments)
    events = ask_streaming(session, **arguments)
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(_sse(events), media_type="text/event-stream", headers=headers)
