"""Answering in an assistant conversation: the user's message and the assistant's reply, stored together.

Nothing is written until the reply is known, so a provider failure leaves the conversation as it was.
The provider is called with no database transaction open. Assistant questions are private to their owner,
so they are not recorded in the model's hit history (which its trainers read).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from erpai.ai_models.models import AIModel
from erpai.ai_models.service import get_model
from erpai.answering.grounding import retrieve
from erpai.answering.schemas import AnswerResult, Source
from erpai.answering.service import (
    chat_client,
    chat_model_for,
    close_client,
    error_event,
    load_active_build,
)
from erpai.assistant.models import AssistantConversation, AssistantMessage
from erpai.assistant.page_data import PageData, render_page_data
from erpai.assistant.preferences import effective_instructions, preference_of
from erpai.assistant.prompt import PromptParts, assistant_messages, bounded_history
from erpai.assistant.schemas import AssistantReply, MessageRead, ToolCallRead
from erpai.assistant.service import add_message, get_conversation
from erpai.assistant.tools import AssistantTool, ToolContext, available_tools, run_tool
from erpai.compilations.models import Compilation
from erpai.compilations.snapshot import system_message_chain
from erpai.errors import InvalidInput
from erpai.permissions.service import require_use_model
from erpai.providers import ProviderClient
from erpai.providers.base import ChatMessage, ChatOutcome
from erpai.settings.service import get_int_setting
from erpai.users.models import User

NO_CHAT_NOTE = (
    "I can only give answers from the company's curated knowledge here: writing free answers needs a chat "
    "provider, and model '{model}' has none."
)
DEFAULT_FALLBACK = "I don't know the answer to that."
Event = tuple[str, dict[str, Any]]


@dataclass
class _Plan:
    conversation: AssistantConversation
    actor: User
    model: AIModel
    question: str
    result: AnswerResult
    matches: list[Source]
    build_kind: str | None = None
    client: ProviderClient | None = None
    messages: list[ChatMessage] = field(default_factory=list)
    tools: list[AssistantTool] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    debug: bool = False
    diagnostics: bool = False
    max_rounds: int = 4


def _validated(text: str) -> str:
    question = text.strip()
    if not question:
        raise InvalidInput("a message needs some text", field="content")
    return question


def _plan(session: Session, *, actor: User, conversation_id: int, text: str) -> _Plan:
    conversation = get_conversation(session, conversation_id=conversation_id, user_id=actor.id)
    require_use_model(session, user=actor, model_id=conversation.model_id)
    question = _validated(text)
    model = get_model(session, model_id=conversation.model_id)
    build = load_active_build(session, model=model)
    result, matches = AnswerResult(answer=None, confidence=0.0, answered=False), list[Source]()
    if build is not None:
        result, matches = retrieve(build[1], question)
        result.compilation_id = build[0]
    prefs = preference_of(session, user_id=actor.id)
    plan = _Plan(conversation, actor, model, question, result, matches, debug=prefs.debug)
    plan.diagnostics = prefs.diagnostics
    plan.build_kind = _build_kind(session, result.compilation_id)
    if result.answered and model.prefer_curated_answer:
        return plan  # the company's own wording, and no provider cost
    plan.client = chat_client(session, model)
    if plan.client is None:
        plan.notes.append(NO_CHAT_NOTE.format(model=model.name))
        return plan
    result.chat_model = chat_model_for(session, result.compilation_id, plan.client)
    plan.messages = assistant_messages(
        _parts(session, plan, build[1].system_messages if build else None), question
    )
    plan.tools = available_tools() if plan.client.has("tools") else []
    plan.max_rounds = get_int_setting(session, key="ai.assistant.max_tool_rounds")
    return plan


def _build_kind(session: Session, compilation_id: int | None) -> str | None:
    row = session.get(Compilation, compilation_id) if compilation_id is not None else None
    return row.kind if row is not None else None


def _parts(session: Session, plan: _Plan, chain: list[str] | None) -> PromptParts:
    conversation = plan.conversation
    page = PageData(json.loads(conversation.page_context_json)) if conversation.page_context_json else None
    form_kind = page.form_kind if page is not None else "record"
    instructions, _ = effective_instructions(session, user_id=plan.actor.id, form_kind=form_kind)
    page_text = None
    if page is not None:
        budget = get_int_setting(session, key="ai.assistant.page_data_token_budget")
        page_text, left_out = render_page_data(page, token_budget=budget)
        if left_out:
            plan.notes.append(f"{left_out} object(s) of the page data were left out to fit the token budget.")
    earlier = session.scalars(
        select(AssistantMessage)
        .where(AssistantMessage.conversation_id == conversation.id)
        .order_by(AssistantMessage.id)
    ).all()
    budget = get_int_setting(session, key="ai.assistant.history_token_budget")
    history = bounded_history(earlier, token_budget=budget)
    if history.note:
        plan.notes.append(history.note.strip("[]"))
    plan.result.generated, plan.result.sources = True, plan.matches
    return PromptParts(
        system_messages=chain if chain is not None else system_message_chain(session, model=plan.model),
        instructions=instructions,
        form_kind=form_kind,
        matches=plan.matches,
        page_text=page_text,
        history=history,
    )


def _without_chat(plan: _Plan) -> str:
    """The retrieval answer, else the model's fallback text; without a chat provider, said plainly."""
    result = plan.result
    if result.answered and result.answer:
        return result.answer
    fallback = (plan.model.fallback_answer or "").strip() or DEFAULT_FALLBACK
    return f"{fallback}\n\n{plan.notes[0]}" if plan.notes else fallback


def _call(plan: _Plan, session: Session) -> ChatOutcome:
    assert plan.client is not None
    context = ToolContext(session, plan.actor, plan.model.id, plan.conversation.id)
    return plan.client.chat_with_tools(
        plan.messages,
        tools=[tool.spec for tool in plan.tools],
        run_tool=lambda name, arguments: run_tool(context, name, arguments),
        model=plan.result.chat_model,
        max_rounds=plan.max_rounds,
    )


def post_message(session: Session, *, actor: User, conversation_id: int, text: str) -> AssistantReply:
    """Stores the user's message and the assistant's reply (one commit, after the provider answered)."""
    plan = _plan(session, actor=actor, conversation_id=conversation_id, text=text)
    outcome, started = ChatOutcome(text=_without_chat(plan)), time.monotonic()
    if plan.client is not None:
        session.commit()  # ends the read transaction: no database lock is held during the provider call
        try:
            outcome = _call(plan, session)
        finally:
            close_client(plan.client)
    return _store(session, plan, outcome, latency=time.monotonic() - started)


def stream_message(session: Session, *, actor: User, conversation_id: int, text: str) -> Iterator[Event]:
    """Like :func:`post_message`, as events: ``source``, ``delta``…, then ``done`` (the reply) or ``error``.

    With tools the model's calls run first and the final text comes as one delta.
    """
    plan = _plan(session, actor=actor, conversation_id=conversation_id, text=text)
    if plan.client is None:
        return _events(session, plan, iter([_without_chat(plan)]), None)
    session.commit()
    if plan.tools:
        return _events(session, plan, iter(()), lambda: _call(plan, session))
    try:
        deltas = plan.client.chat_stream(plan.messages, model=plan.result.chat_model)
    except BaseException:
        close_client(plan.client)
        raise
    return _events(session, plan, deltas, None)


def _events(session: Session, plan: _Plan, deltas: Iterator[str], call: Any) -> Iterator[Event]:
    yield "source", {"sources": [s.model_dump(mode="json") for s in plan.matches], "notes": plan.notes}
    started, parts = time.monotonic(), list[str]()
    try:
        outcome: ChatOutcome | None = call() if call is not None else None
        for piece in [outcome.text] if outcome is not None else deltas:
            parts.append(piece)
            yield "delta", {"text": piece}
        final = outcome or ChatOutcome(text="".join(parts))
        reply = _store(session, plan, final, latency=time.monotonic() - started)
    except Exception as exc:
        session.rollback()
        yield error_event(exc, model_id=plan.model.id)
        return
    finally:
        close_client(plan.client)
        session.close()  # the stream outlives the request's session scope
    yield "done", reply.model_dump(mode="json")


def _store(session: Session, plan: _Plan, outcome: ChatOutcome, *, latency: float) -> AssistantReply:
    owner = plan.actor.id
    conversation = get_conversation(session, conversation_id=plan.conversation.id, user_id=owner)
    text = outcome.text.strip()
    answered = bool(text) if plan.client is not None else plan.result.answered
    if not text:
        text = (plan.model.fallback_answer or "").strip() or DEFAULT_FALLBACK
    question = add_message(
        session, conversation_id=conversation.id, user_id=owner, role="user", content=plan.question
    )
    sources = [s.model_dump(mode="json") for s in (plan.matches if plan.client else plan.result.sources)]
    calls = [ToolCallRead(name=c.name, arguments=c.arguments, result=c.result) for c in outcome.tool_calls]
    debug = _debug(plan, outcome) if plan.debug else None
    diagnostics = _diagnostics(plan, outcome, latency) if plan.diagnostics else None
    reply = add_message(
        session,
        conversation_id=conversation.id,
        user_id=owner,
        role="assistant",
        content=text,
        sources_json=json.dumps(sources) if sources else None,
    )
    reply.debug_json = json.dumps(debug) if debug is not None else None
    reply.diagnostics_json = json.dumps(diagnostics) if diagnostics is not None else None
    session.commit()
    return AssistantReply(
        conversation_id=conversation.id,
        title=conversation.title,
        user_message=MessageRead.from_row(question),
        message=MessageRead.from_row(reply),
        answered=answered,
        generated=plan.client is not None,
        chat_model=plan.result.chat_model if plan.client else None,
        compilation_id=plan.result.compilation_id,
        sources=plan.matches if plan.client else plan.result.sources,
        tool_calls=calls,
        notes=plan.notes,
        debug=debug,
        diagnostics=diagnostics,
    )


def _debug(plan: _Plan, outcome: ChatOutcome) -> dict[str, Any]:
    if plan.client is None:
        return {"request": None, "response": None, "retrieval": plan.result.model_dump(mode="json")}
    tools = [{"name": t.name, "description": t.description, "parameters": t.parameters} for t in plan.tools]
    request = {"model": plan.result.chat_model, "messages": plan.messages, "tools": tools}
    return {"request": request, "response": outcome.raw or {"streamed_text": outcome.text}}


def _diagnostics(plan: _Plan, outcome: ChatOutcome, latency: float) -> dict[str, Any]:
    return {
        "latency_ms": round(latency * 1000, 1),
        "usage": outcome.usage or None,
        "compilation_id": plan.result.compilation_id,
        "build_kind": plan.build_kind,
        "chat_model": plan.result.chat_model if plan.client else None,
        "tool_calls": len(outcome.tool_calls),
    }
