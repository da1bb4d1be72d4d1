"""An arbiter's answer to one comment: claim the task once, ask the model, reply as its virtual user."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from erpai.ai_models.models import AIModel
from erpai.answering.schemas import DEFAULT_FALLBACK_ANSWER, AnswerResult, ContextMessage
from erpai.chat import mentions
from erpai.chat.comments import add_comment, user_names
from erpai.chat.models import ArbiterTask, ChatComment, ChatMember, MemberRole
from erpai.compilations.models import Compilation
from erpai.db import read_transactions, utcnow
from erpai.errors import DomainError
from erpai.jobs.workers import worker_identity
from erpai.settings.service import get_int_setting

log = logging.getLogger("erpai.chat.arbiter")
LOCK_RETRIES = 8


def process_arbiter_task(session: Session, *, arbiter_task_id: int) -> ChatComment | None:
    """Answers one task; a second delivery of the same task finds it claimed and does nothing."""
    attempt = _claim(session, arbiter_task_id=arbiter_task_id)
    if attempt is None:
        return None
    with read_transactions(session):
        target = _target(session, arbiter_task_id=arbiter_task_id)
    if target is None:
        return _finish(session, task_id=arbiter_task_id, attempt=attempt, status="skipped", reply=None)
    comment_id, group_id, model_id, speaker_id = target
    # The hit, the reply and the task's completion are written in one transaction: the answering (slow)
    # holds no lock, and a busy SQLite sees one writer per answer instead of three.
    text, hit_id = compose_answer(session, model_id=model_id, comment_id=comment_id, commit=False)
    reply = add_comment(
        session, group_id=group_id, user_id=speaker_id, text=text, reply_to=comment_id, hit_id=hit_id
    )
    return _finish(session, task_id=arbiter_task_id, attempt=attempt, status="done", reply=reply)


def _target(session: Session, *, arbiter_task_id: int) -> tuple[int, int, int, int] | None:
    """(comment, group, model, virtual user) of the task, or None when the arbiter may no longer speak."""
    task = session.get(ArbiterTask, arbiter_task_id)
    assert task is not None  # just claimed
    comment = session.get(ChatComment, task.comment_id)
    model = session.get(AIModel, task.model_id)
    if comment is None or model is None or model.virtual_user_id is None:
        return None
    if not _may_speak(session, model=model, group_id=comment.group_id):
        return None
    return comment.id, comment.group_id, model.id, model.virtual_user_id


def _claim(session: Session, *, arbiter_task_id: int) -> int | None:
    """Atomically pending -> running; the attempt number of this claim, or None when not pending."""
    stmt = (
        update(ArbiterTask)
        .where(ArbiterTask.id == arbiter_task_id, ArbiterTask.status == "pending")
        .values(
            status="running",
            attempts=ArbiterTask.attempts + 1,
            claim_time_utc=utcnow(),
            worker_id=worker_identity(),
        )
        .returning(ArbiterTask.attempts)
    )
    attempt = session.execute(stmt, execution_options={"synchronize_session": False}).scalar_one_or_none()
    session.commit()
    return attempt


def _may_speak(session: Session, *, model: AIModel, group_id: int) -> bool:
    """The virtual user must still be a (non-observer) member when the job runs."""
    if model.virtual_user_id is None:
        return False
    role = session.scalar(
        select(ChatMember.role).where(
            ChatMember.group_id == group_id, ChatMember.user_id == model.virtual_user_id
        )
    )
    return role is not None and role != MemberRole.OBSERVER.value


def _finish(
    session: Session, *, task_id: int, attempt: int, status: str, reply: ChatComment | None
) -> ChatComment | None:
    """Completes the task with its reply in one transaction, only while this claim is still the task's.

    A worker presumed dead whose task was handed on (``recover_arbiter_tasks``) gets nothing written.
    """
    values = {
        "status": status,
        "reply_comment_id": reply.id if reply else None,
        "completion_time_utc": utcnow(),
    }
    stmt = (
        update(ArbiterTask)
        .where(ArbiterTask.id == task_id, ArbiterTask.status == "running", ArbiterTask.attempts == attempt)
        .values(**values)
    )
    result = cast(CursorResult[Any], session.execute(stmt, execution_options={"synchronize_session": False}))
    if result.rowcount != 1:
        session.rollback()
        log.warning(
            "arbiter task %s (attempt %s) was handed to another worker; reply dropped", task_id, attempt
        )
        return None
    session.commit()
    return reply


def compose_answer(
    session: Session, *, model_id: int, comment_id: int, commit: bool = True
) -> tuple[str, int | None]:
    """The reply text and its hit; a model that cannot answer says why in a plain sentence, never silence.

    ``commit=False``: the hit is only flushed, in a writing transaction the caller goes on with."""
    from erpai.answering.service import answer_question

    with read_transactions(session):
        model = session.get(AIModel, model_id)
        comment = session.get(ChatComment, comment_id)
        assert model is not None and comment is not None
        name, vuser = model.name, model.virtual_user_id
        question, context = _prompt(session, comment=comment, arbiter_user_id=vuser)
        user_id = comment.user_id
    try:
        result = _ask_with_retry(
            lambda: answer_question(
                session,
                model_id=model_id,
                question=question,
                context=context,
                channel="chat",
                user_id=user_id,
                commit=commit,
            ),
            session,
        )
    except DomainError as exc:
        session.rollback()
        log.info("arbiter %s cannot answer comment %s: %s", name, comment_id, exc.message)
        return f"I can't answer right now: {exc.message}", None
    except Exception:
        session.rollback()
        log.exception("arbiter %s failed on comment %s", name, comment_id)
        unavailable = f"model {name} is unavailable right now. Please try again later."
        return f"I can't answer right now: {unavailable}", None
    return _reply_text(session, result, model_id=model_id, name=name), result.hit_id


def _reply_text(session: Session, result: AnswerResult, *, model_id: int, name: str) -> str:
    if result.answer and result.answer.strip():
        return result.answer.strip()
    if result.compilation_id is None and not _has_build(session, model_id=model_id):
        return f"I can't answer yet: model {name} has not been compiled."
    if result.fallback_answer:
        return result.fallback_answer
    fallback = session.scalar(select(AIModel.fallback_answer).where(AIModel.id == model_id))
    return fallback or DEFAULT_FALLBACK_ANSWER


def _ask_with_retry(ask: Callable[[], AnswerResult], session: Session) -> AnswerResult:
    """A busy database (SQLite's lock under load) is no reason to tell people the model is down: retry."""
    for attempt in range(LOCK_RETRIES):
        try:
            return ask()
        except OperationalError as exc:
            if "locked" not in str(exc) or attempt == LOCK_RETRIES - 1:
                raise
            session.rollback()
            time.sleep(0.1 * (attempt + 1))
    raise AssertionError("unreachable")


def _has_build(session: Session, *, model_id: int) -> bool:
    stmt = select(Compilation.id).where(Compilation.model_id == model_id, Compilation.is_successful.is_(True))
    return session.scalar(stmt.limit(1)) is not None


def _prompt(
    session: Session, *, comment: ChatComment, arbiter_user_id: int | None
) -> tuple[str, list[ContextMessage]]:
    """The question (the arbiter's own @-mention removed) and the comments before it, oldest first."""
    depth = get_int_setting(session, key="ai.chat.context_depth")
    earlier = list(
        session.scalars(
            select(ChatComment)
            .where(ChatComment.group_id == comment.group_id, ChatComment.id < comment.id)
            .order_by(ChatComment.id.desc())
            .limit(depth)
        )
    )[::-1]
    users = user_names(
        session, {c.user_id for c in [*earlier, comment]} | mentions.ids_in(c.text for c in earlier)
    )
    names = {user_id: user.name for user_id, user in users.items()}
    context = [
        ContextMessage(
            role="assistant" if c.user_id == arbiter_user_id else "user",
            name=users[c.user_id].name,
            content=mentions.render(c.text, names=names, prefix=""),
        )
        for c in earlier
    ]
    text = mentions.without(comment.text, arbiter_user_id) if arbiter_user_id is not None else comment.text
    question = " ".join(mentions.render(text, names=names | _names_of(session, text), prefix="").split())
    return question or comment.text, context


def _names_of(session: Session, text: str) -> dict[int, str]:
    return {
        user_id: user.name for user_id, user in user_names(session, set(mentions.mentioned_ids(text))).items()
    }
