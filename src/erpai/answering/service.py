"""Answering a question with a model's active build (curated first, else a grounded chat answer), recorded in
the hit history; also as a stream of events."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from erpai.ai_models.models import AIModel
from erpai.ai_models.service import get_model
from erpai.answering.grounding import chat_messages, retrieve
from erpai.answering.operating_point import threshold_for
from erpai.answering.schemas import DEFAULT_FALLBACK_ANSWER, AnswerResult, ContextMessage, Source
from erpai.compilations.artifact import BuildArtifact, build_cache
from erpai.compilations.models import BuildKind, Compilation, CompilationArtifact, ModelHit
from erpai.compilations.provider_embedder import resolve_embedder
from erpai.db import read_transactions
from erpai.errors import DomainError, InvalidInput
from erpai.limits import QUESTION_MAX
from erpai.permissions.service import require_use_model
from erpai.providers import ProviderClient, ProviderError, get_provider
from erpai.providers.base import ChatMessage
from erpai.providers.models import Provider
from erpai.users.models import User

__all__ = [
    "MAX_QUESTION_CHARS",
    "answer_question",
    "ask",
    "ask_streaming",
    "load_active_build",
    "retrieve",
    "stream_answer",
]

log = logging.getLogger("erpai.answering")
MAX_QUESTION_CHARS = QUESTION_MAX
Event = tuple[str, dict[str, Any]]


def load_active_build(session: Session, *, model: AIModel) -> tuple[int, BuildArtifact] | None:
    """The model's active build; read from the row each time, so a newly activated build is used at once."""
    compilation_id = model.conversational_compilation_id
    if compilation_id is None:
        return None
    digest = session.scalar(
        select(CompilationArtifact.sha256).where(CompilationArtifact.compilation_id == compilation_id)
    )
    if digest is None:
        return None
    artifact = build_cache.get(digest)
    if artifact is None:
        row = session.get(CompilationArtifact, compilation_id)
        assert row is not None
        artifact = BuildArtifact.from_bytes(row.content)
        build_cache.put(digest, artifact, size=len(row.content))
    return compilation_id, artifact


def _validated(question: str) -> str:
    text = question.strip()
    if not text:
        raise InvalidInput("question must not be empty", field="question")
    if len(text) > MAX_QUESTION_CHARS:
        raise InvalidInput(f"question is longer than {MAX_QUESTION_CHARS} characters", field="question")
    return text


@dataclass
class _Plan:
    """What answering a question takes: the curated result, and the chat call when a provider writes it."""

    model_id: int
    question: str
    result: AnswerResult
    client: ProviderClient | None = None
    messages: list[ChatMessage] = field(default_factory=list)

    @property
    def generates(self) -> bool:
        return self.client is not None


def chat_client(session: Session, model: AIModel) -> ProviderClient | None:
    row = session.get(Provider, model.provider_id) if model.provider_id is not None else None
    if row is None:
        return None
    client = get_provider(row)
    if client.has("chat"):
        return client
    close_client(client)
    return None


def close_client(client: ProviderClient | None) -> None:
    close = getattr(client, "close", None)
    if callable(close):
        close()


def chat_model_for(session: Session, compilation_id: int | None, client: ProviderClient) -> str:
    """A fine-tune build answers with its fine-tuned model; anything else with the provider's base model."""
    if compilation_id is not None:
        row = session.get(Compilation, compilation_id)
        if row is not None and row.kind == BuildKind.FINE_TUNE.value and row.compiled_model_name:
            return row.compiled_model_name
    return client.base_model


def _plan(
    session: Session,
    *,
    model_id: int,
    question: str,
    context: Sequence[ContextMessage],
    actor: User | None = None,
) -> _Plan:
    """``actor``: who asks, checked for the use right (404 / 403 before a 422 on the question) in the read
    transaction that loads the build."""
    from erpai.compilations.snapshot import system_message_chain

    text = _validated(question) if actor is None else question
    # Reads only (no SQLite write lock), and over before the question is embedded.
    with read_transactions(session):
        model = get_model(session, model_id=model_id)
        if actor is not None:
            require_use_model(session, user=actor, model_id=model_id)  # finds ``model`` in the session
            text = _validated(question)
        build = load_active_build(session, model=model)
        embedder = resolve_embedder(session, build[1].embedder) if build else None
    result, matches = AnswerResult(answer=None, confidence=0.0, answered=False), list[Source]()
    if build is not None and embedder is not None:
        threshold = threshold_for(model.operating_point, build[1].head.threshold)
        result, matches = retrieve(build[1], text, threshold=threshold, embedder=embedder)
        result.compilation_id = build[0]
    else:
        result.reason = "no_build"
    if not result.answered and result.reason is None:
        result.reason = "below_threshold"
    result.fallback_answer = model.fallback_answer or DEFAULT_FALLBACK_ANSWER
    plan = _Plan(model_id=model.id, question=text, result=result)
    if result.answered and model.prefer_curated_answer:
        return plan  # the company's own wording, and no provider cost
    with read_transactions(session):
        client = chat_client(session, model)
        if client is None:
            return plan
        chain = build[1].system_messages if build else system_message_chain(session, model=model)
        result.chat_model = chat_model_for(session, result.compilation_id, client)
    plan.client = client
    plan.messages = chat_messages(system_messages=chain, matches=matches, context=context, question=text)
    result.generated, result.sources = True, matches
    return plan


def _finish(
    session: Session, plan: _Plan, answer: str, *, channel: str, user_id: int | None, commit: bool = True
) -> AnswerResult:
    """Records the hit in a transaction of its own (committed, or only flushed for the caller to go on
    writing in it when ``commit`` is false) and returns the final result."""
    session.commit()
    result = plan.result
    if plan.generates:
        result.answer = answer.strip() or None
        result.answered = result.answer is not None
        result.reason = None if result.answered else "empty_generation"
    if result.answered:
        result.fallback_answer = None
    hit = ModelHit(
        model_id=plan.model_id,
        compilation_id=result.compilation_id,
        user_id=user_id,
        channel=channel,
        question=plan.question,
        answer=result.answer,
        answered=result.answered,
        score=result.confidence,
        source_type=result.source_type,
        source_id=result.source_id,
        from_memory=result.from_memory,
    )
    session.add(hit)
    if commit:
        session.commit()
    else:
        session.flush()
    result.hit_id = hit.id
    return result


def answer_question(
    session: Session,
    *,
    model_id: int,
    question: str,
    context: list[ContextMessage] | None = None,
    channel: str = "api",
    user_id: int | None = None,
    commit: bool = True,
) -> AnswerResult:
    """Answers with the model's active build and records a hit-history row (``commit=False``: flushed in a
    writing transaction the caller goes on with and commits, as the arbiter does with its reply).

    Curated first: a confident build answers with the Q&A's own wording (when the model prefers curated
    answers). Otherwise a provider that can chat writes the answer, grounded on the build's best matches;
    with no build it answers from its base model and the system message chain. A model that can neither
    returns answered=False and answer=None. A provider failure raises :class:`ProviderError`.
    """
    plan = _plan(session, model_id=model_id, question=question, context=context or [])
    return _answer(session, plan, channel=channel, user_id=user_id, commit=commit)


def _answer(session: Session, plan: _Plan, *, channel: str, user_id: int | None, commit: bool = True
            ) -> AnswerResult:
    answer = plan.result.answer or ""
    if plan.client is not None:
        session.commit()  # ends the read transaction: no database lock is held during the provider call
        try:
            answer = plan.client.chat(plan.messages, model=plan.result.chat_model)
        finally:
            close_client(plan.client)
    return _finish(session, plan, answer, channel=channel, user_id=user_id, commit=commit)


def ask(
    session: Session,
    *,
    actor: User,
    model_id: int,
    question: str,
    context: list[ContextMessage] | None = None,
    channel: str = "api",
) -> AnswerResult:
    """A person asks (API, CLI): needs the use right on the model (403), then as :func:`answer_question`.
    The right is checked in the read transaction that loads the build (one transaction, one model read)."""
    plan = _plan(session, model_id=model_id, question=question, context=context or [], actor=actor)
    return _answer(session, plan, channel=channel, user_id=actor.id)


def ask_streaming(
    session: Session,
    *,
    actor: User,
    model_id: int,
    question: str,
    context: list[ContextMessage] | None = None,
    channel: str = "api",
) -> Iterator[Event]:
    """Like :func:`ask`, as the events of :func:`stream_answer` (the use right checked in the read transaction
    that loads the build, as :func:`ask` does)."""
    plan = _plan(session, model_id=model_id, question=question, context=context or [], actor=actor)
    return _stream(session, plan, channel=channel, user_id=actor.id)


def stream_answer(
    session: Session,
    *,
    model_id: int,
    question: str,
    context: list[ContextMessage] | None = None,
    channel: str = "api",
    user_id: int | None = None,
) -> Iterator[Event]:
    """Like :func:`answer_question`, as events: ``source``, ``delta``…, then ``done`` (or ``error``).

    Bad input and a provider that fails before the first token raise here, before any event; a failure
    after that becomes an ``error`` event. The hit is recorded when the stream completes.
    """
    plan = _plan(session, model_id=model_id, question=question, context=context or [])
    return _stream(session, plan, channel=channel, user_id=user_id)


def _stream(session: Session, plan: _Plan, *, channel: str, user_id: int | None) -> Iterator[Event]:
    deltas: Iterator[str] = iter([plan.result.answer] if plan.result.answer else [])
    if plan.client is not None:
        session.commit()  # no database lock is held while the provider streams
        try:
            deltas = plan.client.chat_stream(plan.messages, model=plan.result.chat_model)
        except BaseException:
            close_client(plan.client)
            raise
    return _events(session, plan, deltas, channel=channel, user_id=user_id)


def error_event(exc: Exception, *, model_id: int) -> Event:
    """The ``error`` event of a stream that failed midway (a domain error's message, else a generic one)."""
    if isinstance(exc, DomainError):
        code = exc.code if isinstance(exc, ProviderError) else None
        return "error", {"detail": exc.message, "field": exc.field, "code": code}
    log.exception("answer stream of model %s failed", model_id, exc_info=exc)
    return "error", {"detail": "the answer could not be completed; try again", "field": None, "code": None}


def _events(
    session: Session, plan: _Plan, deltas: Iterator[str], *, channel: str, user_id: int | None
) -> Iterator[Event]:
    result = plan.result
    yield (
        "source",
        {
            "sources": [s.model_dump(mode="json") for s in result.sources],
            "compilation_id": result.compilation_id,
            "generated": result.generated,
            "chat_model": result.chat_model,
        },
    )
    parts: list[str] = []
    try:
        for piece in deltas:
            parts.append(piece)
            yield "delta", {"text": piece}
        final = _finish(session, plan, "".join(parts), channel=channel, user_id=user_id)
    except Exception as exc:
        session.rollback()
        yield error_event(exc, model_id=plan.model_id)
        return
    finally:
        close_client(plan.client)
        session.close()  # the stream outlives the request's session scope, so it closes the session itself
    yield "done", final.model_dump(mode="json")
