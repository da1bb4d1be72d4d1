from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from erpai.db import AggregateRoot, Base, utcnow


class AssistantConversation(AggregateRoot, Base):
    """A private conversation between a user and a model (domain.md §1.9)."""

    __tablename__ = "assistant_conversations"
    __table_args__ = (
        # At most one active conversation per (user, model); the service deactivates the old one first.
        Index(
            "uq_assistant_conversations_one_active",
            "user_id",
            "model_id",
            unique=True,
            sqlite_where=text("is_active = 1"),
            postgresql_where=text("is_active"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("ai_models.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(256))
    is_active: Mapped[bool] = mapped_column(default=False)
    creation_time_utc: Mapped[datetime] = mapped_column(default=utcnow)
    page_context_json: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)


class AssistantMessage(Base):
    """The reference leaves message storage open; erpai keeps them in its own table."""

    __tablename__ = "assistant_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("assistant_conversations.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(16))
    content: Mapped[str] = mapped_column(Text)
    sources_json: Mapped[str | None] = mapped_column(Text)
    # Only when the owner switched debug / diagnostics on: the exact prompt and raw response; tokens, latency.
    debug_json: Mapped[str | None] = mapped_column(Text)
    diagnostics_json: Mapped[str | None] = mapped_column(Text)
    creation_time_utc: Mapped[datetime] = mapped_column(default=utcnow)
    # Set once the owner rates this reply: the question and reply are then shared as a hit (ratings.py).
    hit_id: Mapped[int | None] = mapped_column(ForeignKey("model_hits.id", ondelete="SET NULL"))


class AssistantPreference(Base):
    """A user's own assistant settings: additional instructions per form kind (None: the system setting),
    and the debug and diagnostics switches (off by default)."""

    __tablename__ = "assistant_preferences"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    record_instructions: Mapped[str | None] = mapped_column(Text)
    navigator_instructions: Mapped[str | None] = mapped_column(Text)
    debug: Mapped[bool] = mapped_column(default=False)
    diagnostics: Mapped[bool] = mapped_column(default=False)
    update_time_utc: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
