"""The model page's Training conversations tab and one conversation: messages, origin, correction pairs."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import Response

from erpai.ai_models.service import get_model
from erpai.common import PageParams
from erpai.errors import DomainError
from erpai.routing import SessionReleasingRoute
from erpai.training.schemas import MessageIn, MessageUpdate
from erpai.training.service import (
    add_message,
    create_conversation,
    delete_message,
    get_conversation,
    list_conversations,
    list_preference_pairs,
    message_counts,
    update_message,
)
from erpai.web.deps import Web, WebDep
from erpai.web.forms import form_values, read_form
from erpai.web.render import page, parse_form, redirect

router = APIRouter(route_class=SessionReleasingRoute)
PAGE = 50
MESSAGE_FIELDS = ("role", "name", "content")


@router.get("/models/{model_id}/conversations")
def conversations_tab(model_id: int, web: WebDep, offset: int = Query(default=0, ge=0)) -> Response:
    model = get_model(web.session, model_id=model_id)
    rows, total = list_conversations(
        web.session, params=PageParams(limit=PAGE, offset=offset), actor=web.user, model_id=model_id
    )
    counts = message_counts(web.session, conversation_ids=[r.id for r in rows])
    context = {
        "model": model, "tab": "conversations", "rows": rows, "total": total, "offset": offset,
        "limit": PAGE, "counts": counts,
    }  # fmt: skip
    return page(web, "training/tab.html", context)


@router.post("/models/{model_id}/conversations")
def new_conversation(model_id: int, web: WebDep) -> Response:
    get_model(web.session, model_id=model_id)
    conversation = create_conversation(web.session, model_id=model_id, messages=[], actor=web.user)
    return redirect(web, f"/conversations/{conversation.id}")


def _conversation_page(web: Web, conversation_id: int, extra: dict[str, Any]) -> Response:
    conversation = get_conversation(web.session, conversation_id=conversation_id)
    context = {
        "conversation": conversation,
        "model": get_model(web.session, model_id=conversation.model_id),
        "tab": "conversations",
        "pairs": list_preference_pairs(web.session, conversation_id=conversation_id),
        "new": {"role": "user", "name": "", "content": ""},
        **extra,
    }
    return page(web, "training/conversation.html", context, status_code=extra.get("status", 200))


@router.get("/conversations/{conversation_id}")
def conversation_page(conversation_id: int, web: WebDep) -> Response:
    return _conversation_page(web, conversation_id, {})


@router.post("/conversations/{conversation_id}/messages")
async def add_message_submit(conversation_id: int, web: WebDep) -> Response:
    values = form_values(await read_form(web.request), nullable=("name",), only=MESSAGE_FIELDS)
    try:
        data = parse_form(MessageIn, values)
        add_message(web.session, conversation_id=conversation_id, data=data, actor=web.user)
    except DomainError as exc:
        web.session.rollback()
        extra = {"new": values, "error": exc.message, "error_field": exc.field, "status": exc.status_code}
        return _conversation_page(web, conversation_id, extra)
    return redirect(web, f"/conversations/{conversation_id}")


@router.post("/conversations/{conversation_id}/messages/{message_id}")
async def save_message(conversation_id: int, message_id: int, web: WebDep) -> Response:
    values = form_values(await read_form(web.request), nullable=("name",), only=MESSAGE_FIELDS)
    try:
        data = parse_form(MessageUpdate, values)
        update_message(
            web.session, conversation_id=conversation_id, message_id=message_id, data=data, actor=web.user
        )
    except DomainError as exc:
        web.session.rollback()
        extra = {"error": exc.message, "error_field": None, "status": exc.status_code}
        return _conversation_page(web, conversation_id, extra)
    return redirect(web, f"/conversations/{conversation_id}")


@router.post("/conversations/{conversation_id}/messages/{message_id}/delete")
def delete_message_submit(conversation_id: int, message_id: int, web: WebDep) -> Response:
    delete_message(web.session, conversation_id=conversation_id, message_id=message_id, actor=web.user)
    return redirect(web, f"/conversations/{conversation_id}")
