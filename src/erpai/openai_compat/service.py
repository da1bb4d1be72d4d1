"""Chat completions answered by erpai models through the answering service (curated first, grounded
generation when the provider can chat, the model's fallback otherwise), recorded with channel ``openai``."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from erpai.ai_models.models import AIModel
from erpai.answering.schemas import DEFAULT_FALLBACK_ANSWER, AnswerResult, ContextMessage
from erpai.answering.service import answer_question, stream_answer
from erpai.errors import InvalidInput
from erpai.model_access.service import resolve_model, usable_models
from erpai.openai_compat.schemas import (
    AssistantMessage,
    ChatCompletion,
    ChatCompletionRequest,
    Choice,
    ModelList,
    ModelObject,
    Usage,
)
from erpai.providers.finetune_data import count_tokens, message_tokens
from erpai.users.models import User

CHANNEL = "openai"
Chunk = dict[str, Any]


def list_models(session: Session, *, user: User) -> ModelList:
    return ModelList(
        data=[
            ModelObject(id=slug, created=_created(model), name=model.name, erpai_model_id=model.id)
            for slug, model in usable_models(session, user=user)
        ]
    )


def _created(model: AIModel) -> int:
    stamp = model.aggregate_last_update_time_utc
    return int(stamp.timestamp()) if stamp else 0


@dataclass(frozen=True)
class Question:
    """A chat request reduced to what the answering service takes."""

    slug: str
    model_id: int
    fallback: str
    question: str
    context: list[ContextMessage]
    prompt_tokens: int


def parse_request(session: Session, *, user: User, data: ChatCompletionRequest) -> Question:
    """The last message is the question (it must be the user's); earlier user and assistant messages are
    the conversation so far. The client's system messages are left out: the model's own system message
    chain rules."""
    slug, model = resolve_model(session, user=user, ref=data.model)
    *earlier, last = data.messages
    question = last.text().strip()
    if last.role != "user" or not question:
        raise InvalidInput("the last message must be a non-empty user message", field="messages")
    context = [
        ContextMessage(role=m.role, name=m.name, content=m.text())
        for m in earlier
        if m.role in ("user", "assistant") and m.text().strip()
    ]
    prompt = [{"role": m.role, "content": m.text()} for m in data.messages]
    return Question(
        slug=slug,
        model_id=model.id,
        fallback=model.fallback_answer or DEFAULT_FALLBACK_ANSWER,
        question=question,
        context=context,
        prompt_tokens=message_tokens(prompt),
    )


def _provenance(result: AnswerResult) -> dict[str, Any]:
    return {
        "hit_id": result.hit_id,
        "compilation_id": result.compilation_id,
        "answered": result.answered,
        "confidence": result.confidence,
        "generated": result.generated,
        "chat_model": result.chat_model,
        "sources": [s.model_dump(mode="json") for s in result.sources],
    }


def _usage(question: Question, text: str) -> Usage:
    completion = count_tokens(text)
    return Usage(
        prompt_tokens=question.prompt_tokens,
        completion_tokens=completion,
        total_tokens=question.prompt_tokens + completion,
    )


def _completion_id() -> str:
    return f"chatcmpl-{uuid.uuid4().hex}"


def complete(session: Session, *, user: User, question: Question) -> ChatCompletion:
    result = answer_question(
        session,
        model_id=question.model_id,
        question=question.question,
        context=question.context,
        channel=CHANNEL,
        user_id=user.id,
    )
    text = result.answer if result.answered and result.answer else question.fallback
    return ChatCompletion(
        id=_completion_id(),
        created=int(time.time()),
        model=question.slug,
        choices=[Choice(message=AssistantMessage(content=text))],
        usage=_usage(question, text),
        system_fingerprint=f"erpai-build-{result.compilation_id}" if result.compilation_id else None,
        erpai=_provenance(result),
    )


def stream_chunks(
    session: Session, *, user: User, question: Question, include_usage: bool
) -> Iterator[Chunk]:
    """``chat.completion.chunk`` objects: the role first, the text as it is written, then the finish
    (and the usage when asked). A failure midway becomes an ``{"error": ...}`` object. Bad input and a
    provider that fails before the first token raise before the first chunk."""
    events = stream_answer(
        session,
        model_id=question.model_id,
        question=question.question,
        context=question.context,
        channel=CHANNEL,
        user_id=user.id,
    )
    return _chunks(events, question, include_usage)


def _chunks(
    events: Iterator[tuple[str, dict[str, Any]]], question: Question, include_usage: bool
) -> Iterator[Chunk]:
    base = {"id": _completion_id(), "object": "chat.completion.chunk", "created": int(time.time())}
    base["model"] = question.slug

    def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> Chunk:
        choice = {"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}
        return {**base, "choices": [choice], **extra}

    written: list[str] = []
    for name, data in events:
        if name == "source":
            yield chunk({"role": "assistant", "content": ""})
        elif name == "delta":
            written.append(data["text"])
            yield chunk({"content": data["text"]})
        elif name == "error":
            yield {
                "error": {
                    "message": data["detail"],
                    "type": "server_error",
                    "param": data["field"],
                    "code": data["code"],
                }
            }
            return
        elif name == "done":
            result = AnswerResult.model_validate(data)
            if not (result.answered and result.answer):
                written = [question.fallback]
                yield chunk({"content": question.fallback})
            yield chunk({}, "stop", erpai=_provenance(result))
    if include_usage:
        yield {**base, "choices": [], "usage": _usage(question, "".join(written)).model_dump()}
