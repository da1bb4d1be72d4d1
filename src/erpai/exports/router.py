from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi.responses import PlainTextResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from erpai.auth import CurrentUser, SessionDep
from erpai.common import Id
from erpai.db import SessionOpener, stream_sessions
from erpai.exports import bundle, service
from erpai.exports.schemas import (
    BuildMetrics,
    HitFilters,
    HitFormat,
    ModelImportResult,
    TrainingFormat,
    TrainingKind,
)
from erpai.feedback.schemas import Rating
from erpai.qas.io import CONTENT_TYPES, decode_text
from erpai.qas.router import IMPORT_RESPONSES, read_upload
from erpai.routing import SessionReleasingRoute

router = APIRouter(route_class=SessionReleasingRoute, tags=["export and import"])
JSONL = CONTENT_TYPES["jsonl"]


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"'}


@router.get("/models/{model_id}/export/training", response_class=Response)
def export_training(
    model_id: Id,
    session: SessionDep,
    user: CurrentUser,
    format: TrainingFormat = Query(default="openai"),
    kind: TrainingKind = Query(
        default="sft", description="sft: the training file; dpo: the preference pairs"
    ),
) -> Response:
    """The exact fine-tune JSONL a fine-tune build of this model would upload now (trainers)."""
    data = service.training_file(session, user=user, model_id=model_id, kind=kind)
    return Response(data, media_type=JSONL, headers=_attachment(f"model-{model_id}-{format}-{kind}.jsonl"))


@router.get("/models/{model_id}/training-conversations/export", response_class=StreamingResponse)
def export_conversations(model_id: Id, session: SessionDep, user: CurrentUser) -> StreamingResponse:
    """The model's training conversations as JSONL, importable back (trainers)."""
    lines = service.conversation_lines(session, user=user, model_id=model_id)
    return StreamingResponse(
        lines, media_type=JSONL, headers=_attachment(f"model-{model_id}-conversations.jsonl")
    )


@router.get("/hits/export", response_class=StreamingResponse)
def export_hits(
    session: SessionDep,
    user: CurrentUser,
    opener: Annotated[SessionOpener, Depends(stream_sessions)],
    model_id: Id | None = Query(default=None),
    channel: str | None = Query(default=None, max_length=16),
    answered: bool | None = Query(default=None),
    feedback: Rating | None = Query(default=None),
    since: datetime | None = Query(default=None),
    until: datetime | None = Query(default=None),
    format: HitFormat = Query(default="csv"),
) -> StreamingResponse:
    """The hit history, streamed, with filters (admins)."""
    filters = HitFilters(
        model_id=model_id, channel=channel, answered=answered, feedback=feedback, since=since, until=until
    )
    chunks = service.hit_chunks(session, user=user, filters=filters, fmt=format, opener=opener)
    return StreamingResponse(chunks, media_type=CONTENT_TYPES[format], headers=_attachment(f"hits.{format}"))


@router.get(
    "/compilations/{compilation_id}/log",
    response_class=Response,  # errors stay JSON in the spec; the log itself is text/plain
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
)
def read_build_log(compilation_id: Id, session: SessionDep, user: CurrentUser) -> PlainTextResponse:
    """A build's log as plain text (trainers of its model)."""
    return PlainTextResponse(service.build_log(session, user=user, compilation_id=compilation_id))


@router.get("/compilations/{compilation_id}/metrics", response_model=BuildMetrics)
def read_build_metrics(compilation_id: Id, session: SessionDep, user: CurrentUser) -> BuildMetrics:
    """A build's metrics (accuracy, out-of-scope rejection, counts, timings, calibration) as JSON."""
    return service.build_metrics(session, user=user, compilation_id=compilation_id)


@router.get("/models/{model_id}/export", response_class=StreamingResponse)
def export_model(model_id: Id, session: SessionDep, user: CurrentUser) -> StreamingResponse:
    """The whole model (settings, Q&As, conversations) as one JSONL file (admins)."""
    lines = bundle.export_model(session, user=user, model_id=model_id)
    return StreamingResponse(lines, media_type=JSONL, headers=_attachment(f"model-{model_id}.erpai.jsonl"))


@router.post(
    "/models/import",
    response_model=ModelImportResult,
    status_code=status.HTTP_201_CREATED,
    responses=IMPORT_RESPONSES,
)
async def import_model(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    name: str | None = Query(default=None, max_length=256, description="Import under this name"),
) -> ModelImportResult:
    """Creates a model from an exported file (the body, or the multipart field `file`): all or nothing."""
    data, _, _ = await read_upload(request)
    lines = decode_text(data).splitlines()
    return await run_in_threadpool(lambda: bundle.import_model(session, user=user, lines=lines, name=name))
