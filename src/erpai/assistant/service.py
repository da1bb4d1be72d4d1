"""Assistant conversations: private to their owner, one active conversation per user and model."""

from __future__ import annotations

import json
import re
from typing import get_args

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from erpai.ai_models.models import AIModel
from erpai.ai_models.service import find_default_model
from erpai.assistant.models import AssistantConversation, AssistantMessage
from erpai.assistant.page_data import parse_page_data, render_page_data
from erpai.assistant.schemas import (
    ConversationCreate,
    ConversationUpdate,
    MessageRead,
    MessageRole,
    PageDataRead,
)
from erpai.common import PageParams, fetch_page
from erpai.errors import Conflict, InvalidInput, NotFound
from erpai.permissions.service import require_use_model
from erpai.settings.service import get_int_setting
from erpai.users.models import User

PLACEHOLDER_TITLE = "New conversation"
TITLE_LENGTH = 60
ROLES = get_args(MessageRole)


def get_conversation(session: Session, *, conversation_id: int, user_id: int) -> AssistantConversation:
    """The caller's own conversation; anyone else's reads as missing, so ids leak nothing."""
    conversation = session.get(AssistantConversation, conversation_id)
    if conversation is None or conversation.user_id != user_id:
        raise NotFound(f"conversation {conversation_id} does not exist", field="conversation_id")
    return conversation


def resolve_model(session: Session, *, user_id: int, model_id: int | None) -> AIModel:
    """The given model, else the user's assigned model, else the default model."""
    if model_id is not None:
        model = session.get(AIModel, model_id)
        if model is None:
            raise InvalidInput(f"model {model_id} does not exist", field="model_id")
        return model
    user = session.get(User, user_id)
    if user is not None and user.model_id is not None:
        assigned = session.get(AIModel, user.model_id)
        if assigned is not None:
            return assigned
    default = find_default_model(session)
    if default is None:
        raise InvalidInput(
            "no model is assigned to you and no default model exists: pass model_id, "
            "or ask an admin to assign you a model or mark one as default",
            field="model_id",
        )
    return default


def list_conversations(
    session: Session,
    *,
    user_id: int,
    params: PageParams,
    model_id: int | None = None,
    is_active: bool | None = None,
) -> tuple[list[AssistantConversation], int]:
    stmt = (
        select(AssistantConversation)
        .where(AssistantConversation.user_id == user_id)
        .order_by(AssistantConversation.id.desc())
    )
    if model_id is not None:
        stmt = stmt.where(AssistantConversation.model_id == model_id)
    if is_active is not None:
        stmt = stmt.where(AssistantConversation.is_active.is_(is_active))
    return fetch_page(session, stmt, params)


def create_conversation(session: Session, *, actor: User, data: ConversationCreate) -> AssistantConversation:
    """'New conversation': the user's active one for that model is deactivated, the new one is active.

    Picking a model needs the use right on it (403).
    """
    user_id = actor.id
    model = resolve_model(session, user_id=user_id, model_id=data.model_id)
    require_use_model(session, user=actor, model_id=model.id)
    current = select(AssistantConversation).where(
        AssistantConversation.user_id == user_id,
        AssistantConversation.model_id == model.id,
        AssistantConversation.is_active.is_(True),
    )
    for old in session.scalars(current):
        old.is_active = False
    # Flushed first, so the one-active index never sees two rows.
    session.flush()
    conversation = AssistantConversation(
        user_id=user_id, model_id=model.id, title=data.title or PLACEHOLDER_TITLE, is_active=True
    )
    session.add(conversation)
    _commit(session)
    return conversation


def update_conversation(
    session: Session, *, conversation_id: int, user_id: int, data: ConversationUpdate
) -> AssistantConversation:
    conversation = get_conversation(session, conversation_id=conversation_id, user_id=user_id)
    if data.object_version is not None and data.object_version != conversation.object_version:
        raise Conflict(
            f"conversation {conversation_id} is at version {conversation.object_version}, "
            f"not {data.object_version}; reload it",
            field="object_version",
        )
    for key, value in data.model_dump(exclude_unset=True, exclude={"object_version"}).items():
        setattr(conversation, key, value)
    session.commit()
    return conversation


def delete_conversation(session: Session, *, conversation_id: int, user_id: int) -> None:
    conversation = get_conversation(session, conversation_id=conversation_id, user_id=user_id)
    session.delete(conversation)
    session.commit()


def list_messages(
    session: Session, *, conversation_id: int, user_id: int, params: PageParams
) -> tuple[list[AssistantMessage], int]:
    get_conversation(session, conversation_id=conversation_id, user_id=user_id)
    stmt = (
        select(AssistantMessage)
        .where(AssistantMessage.conversation_id == conversation_id)
        .order_by(AssistantMessage.id)
    )
    return fetch_page(session, stmt, params)


def add_message(
    session: Session,
    *,
    conversation_id: int,
    user_id: int,
    role: str,
    content: str,
    sources_json: str | None = None,
) -> AssistantMessage:
    """Appends a message (flushes, does not commit); the first user message names an untitled conversation."""
    conversation = get_conversation(session, conversation_id=conversation_id, user_id=user_id)
    if role not in ROLES:
        raise InvalidInput(f"role must be one of {', '.join(ROLES)}, not '{role}'", field="role")
    if not content.strip():
        raise InvalidInput("a message needs some text", field="content")
    if role == "user" and conversation.title == PLACEHOLDER_TITLE:
        conversation.title = derive_title(content)
    message = AssistantMessage(
        conversation_id=conversation.id, role=role, content=content, sources_json=sources_json
    )
    session.add(message)
    session.flush()
    return message


def derive_title(text: str, limit: int = TITLE_LENGTH) -> str:
    """The first ``limit`` characters of the text, cut at a word boundary, with an ellipsis when cut."""
    flat = re.sub(r"\s+", " ", text).strip()
    if len(flat) <= limit:
        return flat or PLACEHOLDER_TITLE
    cut = flat[: limit + 1].rsplit(" ", 1)[0] if " " in flat[: limit + 1] else ""
    # A single very long word (or a boundary very early) falls back to a hard cut.
    if len(cut) < limit // 2:
        cut = flat[:limit]
    return cut.rstrip(" ,.;:-") + "…"


def _commit(session: Session) -> None:
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise Conflict(
            "another conversation was started at the same moment; reload and retry", field="model_id"
        ) from exc


def upload_page_data(session: Session, *, conversation_id: int, user_id: int, raw: bytes) -> PageDataRead:
    """Stores the page the user looks at with the conversation and confirms it with an assistant message."""
    conversation = get_conversation(session, conversation_id=conversation_id, user_id=user_id)
    page = parse_page_data(raw, max_bytes=get_int_setting(session, key="ai.assistant.page_data_max_bytes"))
    budget = get_int_setting(session, key="ai.assistant.page_data_token_budget")
    _, left_out = render_page_data(page, token_budget=budget)
    objects = page.document.get("objects")
    confirmation = f"Context data uploaded for: {page.title}"
    if left_out and isinstance(objects, list):
        confirmation += (
            f" ({left_out} of {len(objects)} objects do not fit my page-data budget and are left out; "
            f"I see the first {len(objects) - left_out})"
        )
    conversation.page_context_json = json.dumps(page.document, ensure_ascii=False)
    message = add_message(
        session, conversation_id=conversation.id, user_id=user_id, role="assistant", content=confirmation
    )
    session.commit()
    return PageDataRead(
        conversation_id=conversation.id,
        title=page.title,
        form_kind=page.form_kind,
        objects=len(objects) if isinstance(objects, list) else None,
        left_out=left_out,
        message=MessageRead.from_row(message),
    )
