from __future__ import annotations

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from erpai.db import AggregateRoot, Base


class AIModel(AggregateRoot, Base):
    """A company assistant: system message + Q&As + training conversations (domain.md §1.3)."""

    __tablename__ = "ai_models"
    __table_args__ = (
        # One default model at a time, enforced by the database as well as by the service.
        Index(
            "uq_ai_models_one_default",
            "is_default",
            unique=True,
            sqlite_where=text("is_default = 1"),
            postgresql_where=text("is_default"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(256), unique=True)
    build_assistant: Mapped[bool] = mapped_column(default=True)
    is_default: Mapped[bool] = mapped_column(default=False)
    auto_update_to_latest_build: Mapped[bool] = mapped_column(default=True)
    system_message: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    conversational_compilation_id: Mapped[int | None] = mapped_column(
        ForeignKey("compilations.id", ondelete="SET NULL", use_alter=True)
    )
    parent_model_id: Mapped[int | None] = mapped_column(
        ForeignKey("ai_models.id", ondelete="SET NULL"), index=True
    )
    provider_id: Mapped[int | None] = mapped_column(
        ForeignKey("providers.id", ondelete="RESTRICT"), index=True
    )
    virtual_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), unique=True
    )
    # erpai additions (decisions.md): quality gate and answering behaviour.
    quality_gate_enabled: Mapped[bool] = mapped_column(default=True)
    quality_gate_margin: Mapped[float] = mapped_column(default=0.02)
    fallback_answer: Mapped[str | None] = mapped_column(Text)
    prefer_curated_answer: Mapped[bool] = mapped_column(default=True)
    # reject_more / balanced / answer_more, or a confidence threshold (erpai.answering.operating_point)
    operating_point: Mapped[str] = mapped_column(String(32), default="balanced")
