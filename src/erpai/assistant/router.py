from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from erpai.assistant import service
from erpai.assistant.ratings import rate_reply
from erpai.assistant.schemas import ConversationCreate, ConversationRead, ConversationUpdate, MessageRead
from erpai.auth import CurrentUser, SessionDep
from erpai.common import Id, Page, PageParams, page_params
from erpai.feedback.schemas import FeedbackIn, FeedbackRead
from erpai.routing import SessionReleasingRoute

router = APIRouter(route_class=SessionReleasingRoute, prefix="/assistant/conversations", tags=["assistant"])


@router.get("", response_model=Page[ConversationRead])
def list_conversations(
    session: SessionDep,
    user: CurrentUser,
    params: Annotated[PageParams, Depends(page_params)],
    model_id: Id | None = Query(default=None),
    is_active: bool | None = Query(default=None),
) -> Page[ConversationRead]:
    rows, total = service.list_conversations(
        session, user_id=user.id, params=params, model_id=model_id, is_active=is_active
    )
    return Page(items=[ConversationRead.model_validate(r) for r in rows], total=total, **params.model_dump())


@router.post("", response_model=ConversationRead, status_code=status.HTTP_201_CREATED)
def create_conversation(data: ConversationCreate, session: SessionDep, user: CurrentUser) -> ConversationRead:
    return ConversationRead.model_validate(service.create_conversation(session, actor=user, data=data))


@router.get("/{conversation_id}", response_model=ConversationRead)
def read_conversation(conversation_id: Id, session: SessionDep, user: CurrentUser) -> ConversationRead:
    conversation = service.get_conversation(session, conversation_id=conversation_id, user_id=user.id)
    return ConversationRead.model_validate(conversation)


@router.patch("/{conversation_id}", response_model=ConversationRead)
def update_conversation(
    conversation_id: Id, data: ConversationUpdate, session: SessionDep, user: CurrentUser
) -> ConversationRead:
    conversation = service.update_conversation(
        session, conversation_id=conversation_id, user_id=user.id, data=data
    )
    return ConversationRead.model_validate(conversation)


@router.delete("/{conversation_id}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
def delete_conversation(conversation_id: Id, session: SessionDep, user: CurrentUser) -> Response:
    service.delete_conversation(session, conversation_id=conversation_id, user_id=user.id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{conversation_id}/messages", response_model=Page[MessageRead])
def list_messages(
    conversation_id: Id,
    session: SessionDep,
    user: CurrentUser,
    params: Annotated[PageParams, Depends(page_params)],
) -> Page[MessageRead]:
    rows, total = service.list_messages(
        session, conversation_id=conversation_id, user_id=user.id, params=params
    )
    return Page(items=[MessageRead.from_row(r) for r in rows], total=total, **params.model_dump())


@router.post("/{conversation_id}/messages/{message_id}/feedback", response_model=FeedbackRead)
def rate_assistant_reply(
    conversation_id: Id, message_id: Id, data: FeedbackIn, session: SessionDep, user: CurrentUser
) -> FeedbackRead:
    """Thumbs up / down on one of your assistant's replies; it shares that question and reply with the
    model's trainers (their review inbox)."""
    return rate_reply(
        session, conversation_id=conversation_id, message_id=message_id, data=data, actor=user
    )
