"""The personal assistant in the web UI: its own page (conversations, "New conversation", "Ask me anything…",
additional instructions, debug switches) and the side panel on record pages ("Get page data").

Everything goes through the assistant's services, so privacy (someone else's conversation is 404) and the
use right on the model are the API's.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from erpai.ai_models.service import list_models
from erpai.assistant import preferences, replies, service
from erpai.assistant.models import AssistantConversation
from erpai.assistant.ratings import rate_reply
from erpai.assistant.schemas import ConversationCreate, MessageRead
from erpai.common import PageParams
from erpai.errors import DomainError, NotFound
from erpai.feedback.schemas import FeedbackIn
from erpai.routing import SessionReleasingRoute
from erpai.web.deps import Web, WebDep
from erpai.web.forms import form_values, read_form
from erpai.web.render import is_htmx, optional_int, page, parse_form, rated, redirect

router = APIRouter(route_class=SessionReleasingRoute)
ALL = PageParams(limit=500, offset=0)
PANEL = "assistant/_panel_body.html"
PANEL_ACTIONS = ("new", "context", "ask", "debug")


def _messages(web: Web, conversation_id: int) -> list[MessageRead]:
    rows, _ = service.list_messages(
        web.session, conversation_id=conversation_id, user_id=web.user.id, params=ALL
    )
    return [MessageRead.from_row(r) for r in rows]


def _assistant_page(web: Web, conversation_id: int | None, extra: dict[str, Any]) -> Response:
    conversations, _ = service.list_conversations(web.session, user_id=web.user.id, params=ALL)
    current = (
        service.get_conversation(web.session, conversation_id=conversation_id, user_id=web.user.id)
        if conversation_id is not None
        else None
    )
    models, _ = list_models(web.session, params=ALL)
    context = {
        "conversations": conversations,
        "current": current,
        "messages": _messages(web, current.id) if current else [],
        "models": [(m.id, m.name) for m in models],
        "instructions": preferences.list_instructions(web.session, user_id=web.user.id),
        "prefs": preferences.preference_of(web.session, user_id=web.user.id),
        **extra,
    }
    return page(web, "assistant/page.html", context, status_code=extra.get("status", 200))


@router.get("/assistant")
def assistant_page(web: WebDep) -> Response:
    return _assistant_page(web, None, {})


@router.get("/assistant/{conversation_id}")
def conversation_page(conversation_id: int, web: WebDep) -> Response:
    return _assistant_page(web, conversation_id, {})


@router.post("/assistant/new")
async def new_conversation(web: WebDep) -> Response:
    values = form_values(await read_form(web.request), ints=("model_id",), only=("model_id",))
    try:
        created = service.create_conversation(
            web.session, actor=web.user, data=ConversationCreate(model_id=values.get("model_id"))
        )
    except DomainError as exc:
        web.session.rollback()
        return _assistant_page(web, None, {"error": exc.message, "status": exc.status_code})
    return redirect(web, f"/assistant/{created.id}")


@router.post("/assistant/{conversation_id}/ask")
async def ask(conversation_id: int, web: WebDep) -> Response:
    text = form_values(await read_form(web.request), only=("content",)).get("content", "")
    try:
        await run_in_threadpool(
            lambda: replies.post_message(
                web.session, actor=web.user, conversation_id=conversation_id, text=text
            )
        )
    except DomainError as exc:
        web.session.rollback()
        return _assistant_page(web, conversation_id, {"error": exc.message, "status": exc.status_code})
    return redirect(web, f"/assistant/{conversation_id}")


@router.post("/assistant/{conversation_id}/messages/{message_id}/feedback")
async def rate_reply_submit(conversation_id: int, message_id: int, web: WebDep) -> Response:
    """Thumbs up / down on a reply: shares that question and reply with the model's trainers."""
    values = form_values(await read_form(web.request), nullable=("reason",), only=("rating", "reason"))
    data = parse_form(FeedbackIn, values)
    rating = rate_reply(
        web.session, conversation_id=conversation_id, message_id=message_id, data=data, actor=web.user
    )
    if is_htmx(web.request):
        return rated(rating.feedback)
    return redirect(web, f"/assistant/{conversation_id}")


@router.post("/assistant/settings")
async def save_settings(web: WebDep) -> Response:
    """Additional instructions per form kind (blank: back to the default) and the debug switches."""
    values = form_values(await read_form(web.request))
    for kind in preferences.FORM_KINDS:
        preferences.set_instructions(
            web.session, user_id=web.user.id, form_kind=kind, instructions=values.get(f"instructions_{kind}")
        )
    preferences.set_switches(
        web.session,
        user_id=web.user.id,
        debug=values.get("debug") == "true",
        diagnostics=values.get("diagnostics") == "true",
    )
    return redirect(web, "/assistant?saved=1")


# -- the side panel (htmx fragments) --------------------------------------------------------------------


def _active_id(web: Web, *, create: bool) -> int | None:
    """The user's newest active conversation; with ``create``, a new one with their model when none."""
    found = web.session.scalar(
        select(AssistantConversation.id)
        .where(AssistantConversation.user_id == web.user.id, AssistantConversation.is_active.is_(True))
        .order_by(AssistantConversation.id.desc())
        .limit(1)
    )
    if found is not None or not create:
        return found
    return service.create_conversation(web.session, actor=web.user, data=ConversationCreate()).id


def _panel(web: Web, conversation_id: int | None, extra: dict[str, Any] | None = None) -> Response:
    current = (
        service.get_conversation(web.session, conversation_id=conversation_id, user_id=web.user.id)
        if conversation_id is not None
        else None
    )
    context = {
        "current": current,
        "messages": _messages(web, current.id)[-12:] if current else [],
        "prefs": preferences.preference_of(web.session, user_id=web.user.id),
        **(extra or {}),
    }
    return page(web, PANEL, context)


@router.get("/assistant-panel")
def panel(web: WebDep) -> Response:
    return _panel(web, _active_id(web, create=False))


@router.post("/assistant-panel/{action}")
async def panel_action(action: str, web: WebDep) -> Response:
    """``new`` (New conversation), ``context`` (Get page data), ``ask``, ``debug`` (switch)."""
    if action not in PANEL_ACTIONS:
        raise NotFound(f"no assistant panel action '{action}'", field="action")
    values = form_values(await read_form(web.request))
    try:
        if action == "new":
            created = service.create_conversation(web.session, actor=web.user, data=ConversationCreate())
            return _panel(web, created.id)
        if action == "debug":
            prefs = preferences.preference_of(web.session, user_id=web.user.id)
            preferences.set_switches(web.session, user_id=web.user.id, debug=not prefs.debug)
            return _panel(web, _active_id(web, create=False))
        conversation_id = optional_int(values.get("conversation_id")) or _active_id(web, create=True)
        assert conversation_id is not None
        if action == "context":
            raw = str(values.get("page_data") or "").encode()
            service.upload_page_data(
                web.session, conversation_id=conversation_id, user_id=web.user.id, raw=raw
            )
        elif action == "ask":
            text = str(values.get("content") or "")
            await run_in_threadpool(
                lambda: replies.post_message(
                    web.session, actor=web.user, conversation_id=conversation_id, text=text
                )
            )
        return _panel(web, conversation_id)
    except DomainError as exc:
        web.session.rollback()
        return _panel(web, _active_id(web, create=False), {"error": exc.message})
