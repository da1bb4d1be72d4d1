from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from erpai.db import AggregateRoot, Base, utcnow


class Origin(StrEnum):
    USER_ENTERED = "USR"
    CHAT = "CHT"
    CALENDAR = "CAL"
    CASE = "CAS"
    TODO = "TOD"


class ParticipantRole(StrEnum):
    SYSTEM = "S"
    USER = "U"
    ASSISTANT = "A"


# A chat's system event line ("Bob joined") as Train AI stores it: role User, this name (domain.md §2.8).
SYSTEM_PARTICIPANT = "System User"


class TrainingConversation(AggregateRoot, Base):
    """One dialogue used as training data (domain.md §1.5)."""

    __tablename__ = "training_conversations"

    id: Mapped[int] = mapped_column(primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("ai_models.id", ondelete="CASCADE"), index=True)
    origin: Mapped[str] = mapped_column(String(3), default=Origin.USER_ENTERED.value)
    # OriginDataObject of the reference: the kind and id of the object it came from (e.g. a chat group).
    origin_object_type: Mapped[str | None] = mapped_column(String(64))
    origin_object_id: Mapped[int | None]
    creation_time_utc: Mapped[datetime] = mapped_column(default=utcnow)
    last_update_time_utc: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    notes: Mapped[str | None] = mapped_column(Text)

    messages: Mapped[list[TrainingConversationMessage]] = relationship(
        back_populates="conversation",
        order_by="TrainingConversationMessage.message_no",
        cascade="all, delete-orphan",
    )


class TrainingConversationMessage(Base):
    __tablename__ = "training_conversation_messages"
    __table_args__ = (UniqueConstraint("training_conversation_id", "message_no"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    training_conversation_id: Mapped[int] = mapped_column(
        ForeignKey("training_conversations.id", ondelete="CASCADE")
    )
    message_no: Mapped[int]
    participant_role: Mapped[str] = mapped_column(String(1), default=ParticipantRole.USER.value)
    participant_name: Mapped[str | None] = mapped_column(String(64))
    contents: Mapped[str] = mapped_column(Text)
    message_time_utc: Mapped[datetime] = mapped_column(default=utcnow)

    conversation: Mapped[TrainingConversation] = relationship(back_populates="messages")


class PreferencePair(Base):
    """A rejected AI answer and the person's correction, for preference (DPO) training."""

    __tablename__ = "training_preference_pairs"

    id: Mapped[int] = mapped_column(primary_key=True)
    training_conversation_id: Mapped[int] = mapped_column(
        ForeignKey("training_conversations.id", ondelete="CASCADE"), index=True
    )
    prompt: Mapped[str] = mapped_column(Text)
    rejected_answer: Mapped[str] = mapped_column(Text)
    corrected_answer: Mapped[str] = mapped_column(Text)
