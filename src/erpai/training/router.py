from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status
from starlette.concurrency import run_in_threadpool

from erpai.auth import CurrentUser, SessionDep
from erpai.common import Id, Page, PageParams, page_params
from erpai.qas.io import decode_text
from erpai.qas.router import IMPORT_RESPONSES, read_upload
from erpai.qas.schemas import ImportResult
from erpai.routing import SessionReleasingRoute
from erpai.training import service
from erpai.training.models import TrainingConversation
from erpai.training.schemas import (
    ORIGIN_CODES,
    ConversationCreate,
    ConversationRead,
    ConversationSummary,
    ConversationUpdate,
    MessageIn,
    MessageRead,
    MessageUpdate,
    OriginName,
)

router = APIRouter(route_class=SessionReleasingRoute, tags=["training conversations"])
BASE = "/training-conversations"


def _read(conversation: TrainingConversation) -> ConversationRead:
    return ConversationRead.model_validate(conversation)


@router.get(BASE, response_model=Page[ConversationSummary])
def list_conversations(
    session: SessionDep,
    user: CurrentUser,
    params: Annotated[PageParams, Depends(page_params)],
    model_id: Id | None = Query(default=None),
    origin: OriginName | None = Query(default=None),
) -> Page[ConversationSummary]:
    """What the caller may read: their trained models' conversations, their groups' Train AI ones."""
    rows, total = service.list_conversations(
        session,
        params=params,
        actor=user,
        model_id=model_id,
        origin=ORIGIN_CODES[origin] if origin else None,
    )
    counts = service.message_counts(session, conversation_ids=[r.id for r in rows])
    items = [
        ConversationSummary.model_validate(r).model_copy(update={"message_count": counts.get(r.id, 0)})
        for r in rows
    ]
    return Page(items=items, total=total, **params.model_dump())


@router.post(BASE, response_model=ConversationRead, status_code=status.HTTP_201_CREATED)
def create_conversation(data: ConversationCreate, session: SessionDep, user: CurrentUser) -> ConversationRead:
    """Creates a user-entered (origin ``user_entered``) conversation, optionally with its messages."""
    conversation = service.create_conversation(
        session, model_id=data.model_id, messages=data.messages, notes=data.notes, actor=user
    )
    return _read(conversation)


@router.post(
    "/models/{model_id}/training-conversations/import",
    response_model=ImportResult,
    responses=IMPORT_RESPONSES,
)
async def import_conversations(
    model_id: Id, request: Request, session: SessionDep, user: CurrentUser
) -> ImportResult:
    """Imports a JSONL file (body or multipart field `file`), one conversation per line: all or none."""
    data, _, _ = await read_upload(request)
    imported = await run_in_threadpool(
        lambda: service.import_conversations(
            session, model_id=model_id, content=decode_text(data), actor=user
        )
    )
    return ImportResult(imported=imported)


@router.get(BASE + "/{conversation_id}", response_model=ConversationRead)
def read_conversation(conversation_id: Id, session: SessionDep, user: CurrentUser) -> ConversationRead:
    return _read(service.read_conversation(session, conversation_id=conversation_id, actor=user))


@router.patch(BASE + "/{conversation_id}", response_model=ConversationRead)
def update_conversation(
    conversation_id: Id, data: ConversationUpdate, session: SessionDep, user: CurrentUser
) -> ConversationRead:
    return _read(service.update_conversation(session, conversation_id=conversation_id, data=data, actor=user))


@router.delete(BASE + "/{conversation_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_conversation(conversation_id: Id, session: SessionDep, user: CurrentUser) -> Response:
    service.delete_conversation(session, conversation_id=conversation_id, actor=user)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(BASE + "/{conversation_id}/messages", response_model=list[MessageRead])
def list_messages(conversation_id: Id, session: SessionDep, user: CurrentUser) -> list[MessageRead]:
    messages = service.list_messages(session, conversation_id=conversation_id, actor=user)
    return [MessageRead.model_validate(m) for m in messages]


@router.post(BASE + "/{conversation_id}/messages", response_model=MessageRead, status_code=201)
def add_message(conversation_id: Id, data: MessageIn, session: SessionDep, user: CurrentUser) -> MessageRead:
    message = service.add_message(session, conversation_id=conversation_id, data=data, actor=user)
    return MessageRead.model_validate(message)


@router.patch(BASE + "/{conversation_id}/messages/{message_id}", response_model=MessageRead)
def update_message(
    conversation_id: Id, message_id: Id, data: MessageUpdate, session: SessionDep, user: CurrentUser
) -> MessageRead:
    message = service.update_message(
        session, conversation_id=conversation_id, message_id=message_id, data=data, actor=user
    )
    return MessageRead.model_validate(message)


@router.delete(BASE + "/{conversation_id}/messages/{message_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_message(conversation_id: Id, message_id: Id, session: SessionDep, user: CurrentUser) -> Response:
    service.delete_message(session, conversation_id=conversation_id, message_id=message_id, actor=user)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
