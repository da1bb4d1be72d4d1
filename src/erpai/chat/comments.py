"""Comments: posting (with the arbiter tasks it owes), paging and reading with mentions rendered."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from erpai.ai_models.models import AIModel
from erpai.chat import mentions
from erpai.chat.models import ArbiterTask, ChatComment, ChatGroup, ChatMember, MemberRole
from erpai.chat.schemas import CommentCreate, CommentPage, CommentRead
from erpai.chat.service import require_reader, require_writer
from erpai.db import read_transactions, utcnow
from erpai.errors import InvalidInput
from erpai.users.models import User, UserType

log = logging.getLogger("erpai.chat")
ANSWER_JOB = "chat.answer_mention"


def post_comment(
    session: Session, *, group_id: int, data: CommentCreate, author: User
) -> tuple[ChatComment, list[ArbiterTask]]:
    """Saves the comment and, in the same transaction, one task per arbiter that owes an answer."""
    text = data.text.strip()
    if not text:
        raise InvalidInput("text: the comment is empty", field="text")
    # End the read snapshot that authentication opened and write first: SQLite cannot turn a reader
    # into a writer once another connection has committed (it fails at once with "database is locked").
    session.commit()
    try:
        touch_group(session, group_id=group_id)
        require_writer(session, group_id=group_id, user=author)
        _check_reply_target(session, group_id=group_id, reply_to=data.reply_to_comment_id)
        stored = _store_mentions(session, group_id=group_id, text=text)
        comment = ChatComment(
            group_id=group_id, user_id=author.id, text=stored, reply_to_comment_id=data.reply_to_comment_id
        )
        session.add(comment)
        session.flush()
        tasks = [
            ArbiterTask(comment_id=comment.id, model_id=m) for m in _owed_answers(session, comment, author)
        ]
        session.add_all(tasks)
        session.commit()
    except Exception:
        session.rollback()
        raise
    enqueue_answers([t.id for t in tasks])
    return comment, tasks


def add_comment(
    session: Session,
    *,
    group_id: int,
    user_id: int,
    text: str,
    reply_to: int | None,
    hit_id: int | None = None,
) -> ChatComment:
    """Adds a comment and touches the group; flushes only (the caller's transaction commits)."""
    comment = ChatComment(
        group_id=group_id, user_id=user_id, text=text, reply_to_comment_id=reply_to, hit_id=hit_id
    )
    session.add(comment)
    session.flush()
    touch_group(session, group_id=group_id)
    return comment


def touch_group(session: Session, *, group_id: int) -> None:
    # A bulk UPDATE skips the optimistic version check: concurrent posters must not conflict over this stamp.
    session.execute(
        update(ChatGroup).where(ChatGroup.id == group_id).values(last_interaction_time_utc=utcnow()),
        execution_options={"synchronize_session": False},
    )


def enqueue_answers(task_ids: Sequence[int]) -> None:
    from erpai.jobs.queue import enqueue

    for task_id in task_ids:
        try:
            enqueue(ANSWER_JOB, arbiter_task_id=task_id)
        except Exception:  # the task row stays pending; the comment itself is saved either way
            log.exception("could not enqueue arbiter task %s", task_id)


def _check_reply_target(session: Session, *, group_id: int, reply_to: int | None) -> None:
    if reply_to is None:
        return
    target_group = session.scalar(select(ChatComment.group_id).where(ChatComment.id == reply_to))
    if target_group != group_id:
        raise InvalidInput(
            f"reply_to_comment_id: comment {reply_to} is not in chat group {group_id}",
            field="reply_to_comment_id",
        )


def _store_mentions(session: Session, *, group_id: int, text: str) -> str:
    """Mentions as tokens; a token must name a member, an ``@word`` that is no member's login stays text."""
    members = select(ChatMember.user_id).where(ChatMember.group_id == group_id)
    outsiders = set(mentions.mentioned_ids(text)) - set(session.scalars(members))
    if outsiders:
        raise InvalidInput(
            f"text: mentioned users {sorted(outsiders)} are not members of this group", field="text"
        )
    candidates = mentions.candidate_logins(text)
    if not candidates:
        return text
    rows = session.execute(
        select(User.login, User.id).where(User.login.in_(candidates), User.id.in_(members))
    )
    return mentions.tokenize(text, logins=dict(rows.tuples().all()))


def arbiters_of_group(session: Session, *, group_id: int) -> dict[int, int]:
    """Virtual user id -> model id for the arbiters that may speak in the group (observers only read)."""
    stmt = (
        select(AIModel.virtual_user_id, AIModel.id)
        .join(ChatMember, ChatMember.user_id == AIModel.virtual_user_id)
        .where(ChatMember.group_id == group_id, ChatMember.role != MemberRole.OBSERVER.value)
    )
    return {
        int(user_id): model_id for user_id, model_id in session.execute(stmt).tuples() if user_id is not None
    }


def _owed_answers(session: Session, comment: ChatComment, author: User) -> list[int]:
    """Models that must answer: the mentioned arbiters, or all in a one-person chat; none for AI comments."""
    if author.user_type == UserType.VIRTUAL.value or comment.is_system:
        return []
    arbiters = arbiters_of_group(session, group_id=comment.group_id)
    if not arbiters:
        return []
    people = session.scalar(
        select(func.count())
        .select_from(ChatMember)
        .join(User, User.id == ChatMember.user_id)
        .where(ChatMember.group_id == comment.group_id, User.user_type != UserType.VIRTUAL.value)
    )
    if people == 1:
        return sorted(arbiters.values())
    mentioned = mentions.mentioned_ids(comment.text)
    return [arbiters[user_id] for user_id in mentioned if user_id in arbiters]


def list_comments(
    session: Session, *, group_id: int, user: User, before_id: int | None, after_id: int | None, limit: int
) -> CommentPage:
    """Oldest first. ``after_id`` pages forward; otherwise the newest ``limit`` (before ``before_id``)."""
    with read_transactions(session):  # no SQLite write lock for the chat's most frequent request
        require_reader(session, group_id=group_id, user=user)
        stmt = select(ChatComment).where(ChatComment.group_id == group_id)
        if before_id is not None:
            stmt = stmt.where(ChatComment.id < before_id)
        if after_id is not None:
            stmt = stmt.where(ChatComment.id > after_id).order_by(ChatComment.id)
            rows = list(session.scalars(stmt.limit(limit + 1)))
            return CommentPage(items=to_read(session, rows[:limit]), has_more=len(rows) > limit)
        rows = list(session.scalars(stmt.order_by(ChatComment.id.desc()).limit(limit + 1)))
        return CommentPage(items=to_read(session, list(reversed(rows[:limit]))), has_more=len(rows) > limit)


def comments_after(session: Session, *, group_id: int, after_id: int, limit: int = 100) -> list[CommentRead]:
    stmt = (
        select(ChatComment)
        .where(ChatComment.group_id == group_id, ChatComment.id > after_id)
        .order_by(ChatComment.id)
        .limit(limit)
    )
    return to_read(session, list(session.scalars(stmt)))


def comments_by_ids(session: Session, comment_ids: Sequence[int]) -> list[ChatComment]:
    if not comment_ids:
        return []
    return list(
        session.scalars(select(ChatComment).where(ChatComment.id.in_(comment_ids)).order_by(ChatComment.id))
    )


def latest_comment_id(session: Session, *, group_id: int) -> int:
    return session.scalar(select(func.max(ChatComment.id)).where(ChatComment.group_id == group_id)) or 0


def user_names(session: Session, user_ids: set[int]) -> dict[int, User]:
    if not user_ids:
        return {}
    return {u.id: u for u in session.scalars(select(User).where(User.id.in_(user_ids)))}


def to_read(session: Session, comments: Sequence[ChatComment]) -> list[CommentRead]:
    users = user_names(session, {c.user_id for c in comments} | mentions.ids_in(c.text for c in comments))
    names = {user_id: user.name for user_id, user in users.items()}
    return [_read(c, users[c.user_id], names) for c in comments]


def _read(comment: ChatComment, author: User, names: dict[int, str]) -> CommentRead:
    return CommentRead(
        id=comment.id,
        group_id=comment.group_id,
        user_id=comment.user_id,
        author_name=author.name,
        author_login=author.login,
        author_is_virtual=author.user_type == UserType.VIRTUAL.value,
        text=mentions.render(comment.text, names=names),
        raw_text=comment.text,
        mentioned_user_ids=mentions.mentioned_ids(comment.text),
        reply_to_comment_id=comment.reply_to_comment_id,
        is_system=comment.is_system,
        creation_time_utc=comment.creation_time_utc,
        hit_id=comment.hit_id,
    )


def may_rate_reply(session: Session, *, hit_id: int, user_id: int) -> bool:
    """Whether the user is a member of a group where an arbiter posted this answer (so may rate it)."""
    stmt = (
        select(ChatComment.id)
        .join(ChatMember, ChatMember.group_id == ChatComment.group_id)
        .where(ChatComment.hit_id == hit_id, ChatMember.user_id == user_id)
    )
    return session.scalar(stmt.limit(1)) is not None


def pending_answer_comment_ids(session: Session, *, group_id: int) -> list[int]:
    """Comments of the group whose arbiter answer is still owed (the chat shows "thinking…" for them)."""
    stmt = (
        select(ArbiterTask.comment_id)
        .join(ChatComment, ChatComment.id == ArbiterTask.comment_id)
        .where(ChatComment.group_id == group_id, ArbiterTask.status.in_(("pending", "running")))
        .distinct()
    )
    return sorted(session.scalars(stmt))
