from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from erpai.db import Base, utcnow


class Right(StrEnum):
    TRAIN = "train"
    USE = "use"


class ModelGrant(Base):
    """A right on one model given to one user by an admin (train implies use)."""

    __tablename__ = "model_grants"
    __table_args__ = (
        UniqueConstraint("model_id", "user_id", "right", name="uq_model_grants_model_user_right"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("ai_models.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    right: Mapped[str] = mapped_column(String(8))
    granted_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    creation_time_utc: Mapped[datetime] = mapped_column(default=utcnow)
