from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from erpai.db import AggregateRoot, Base, utcnow


class MemberRole(StrEnum):
    MEMBER = "M"
    ADMIN = "A"
    OBSERVER = "O"


class ChatGroup(AggregateRoot, Base):
    __tablename__ = "chat_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(256))
    notes: Mapped[str | None] = mapped_column(Text)
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    creation_time_utc: Mapped[datetime] = mapped_column(default=utcnow)
    last_interaction_time_utc: Mapped[datetime | None]


class ChatMember(Base):
    __tablename__ = "chat_members"
    __table_args__ = (UniqueConstraint("group_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("chat_groups.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(1), default=MemberRole.MEMBER.value)
    join_time_utc: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_time_utc: Mapped[datetime | None]
    history_visible_since_time_utc: Mapped[datetime | None]


class ChatComment(Base):
    __tablename__ = "chat_comments"
    __table_args__ = (Index("ix_chat_comments_group_id_id", "group_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("chat_groups.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    # Mentions are stored as stable tokens "{@user:ID}"; the display name is rendered on read.
    text: Mapped[str] = mapped_column(Text)
    reply_to_comment_id: Mapped[int | None] = mapped_column(
        ForeignKey("chat_comments.id", ondelete="SET NULL")
    )
    is_system: Mapped[bool] = mapped_column(default=False)
    creation_time_utc: Mapped[datetime] = mapped_column(default=utcnow)
    # An arbiter's reply: the hit-history row of its answer, which members rate (thumbs up / down).
    hit_id: Mapped[int | None] = mapped_column(ForeignKey("model_hits.id", ondelete="SET NULL"), index=True)


class ArbiterTask(Base):
    """One arbiter answer owed for one comment; the unique pair makes every mention answered exactly once."""

    __tablename__ = "chat_arbiter_tasks"
    __table_args__ = (UniqueConstraint("comment_id", "model_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("chat_comments.id", ondelete="CASCADE"))
    model_id: Mapped[int] = mapped_column(ForeignKey("ai_models.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    reply_comment_id: Mapped[int | None] = mapped_column(ForeignKey("chat_comments.id", ondelete="SET NULL"))
    creation_time_utc: Mapped[datetime] = mapped_column(default=utcnow)
    # Each claim bumps ``attempts``; only the holder of the latest claim may post the reply, so a worker
    # that was presumed dead (and its task handed to another) cannot answer a second time.
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    claim_time_utc: Mapped[datetime | None]
    worker_id: Mapped[str | None] = mapped_column(String(128))  # host:pid of the claim
    completion_time_utc: Mapped[datetime | None]
