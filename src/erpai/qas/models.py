from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from erpai.db import Base, utcnow


class QAType(StrEnum):
    TRAINING = "T"
    VALIDATION = "V"


class ModelQA(Base):
    """A question and its desired answer; an empty answer marks an out-of-scope example (domain.md §1.4)."""

    __tablename__ = "model_qas"
    __table_args__ = (Index("ix_model_qas_model_type_active", "model_id", "qa_type", "is_active"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("ai_models.id", ondelete="CASCADE"))
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text, default="")
    qa_type: Mapped[str] = mapped_column(String(1), default=QAType.TRAINING.value)
    section: Mapped[str] = mapped_column(String(128), default="General")
    is_active: Mapped[bool] = mapped_column(default=True)
    creation_time_utc: Mapped[datetime] = mapped_column(default=utcnow)
    # The reference spells it "DeactivatonTimeUtc"; erpai uses the correct spelling.
    deactivation_time_utc: Mapped[datetime | None]
    added_by_user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    notes: Mapped[str | None] = mapped_column(Text)
    # A validation Q&A made from a person's correction (review inbox or Train AI): a build that answers
    # it otherwise is held back by the quality gate.
    is_regression: Mapped[bool] = mapped_column(default=False)
