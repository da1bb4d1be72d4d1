from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from erpai.db import Base, utcnow


class UserType(StrEnum):
    INTERNAL = "INT"
    VIRTUAL = "VIR"


class User(Base):
    """A person (internal) or a model's chat identity (virtual, cannot log in)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(254))
    email: Mapped[str | None] = mapped_column(String(254))
    user_type: Mapped[str] = mapped_column(String(3), default=UserType.INTERNAL.value)
    is_admin: Mapped[bool] = mapped_column(default=False)
    is_active: Mapped[bool] = mapped_column(default=True)
    # The user's personal-assistant model (Users.Model in the reference).
    model_id: Mapped[int | None] = mapped_column(
        ForeignKey("ai_models.id", ondelete="SET NULL", use_alter=True), index=True
    )
    # The language AI-written texts for this user are in (to-do titles), e.g. "de"; None: the first active
    # record language.
    working_language: Mapped[str | None] = mapped_column(String(16))
    creation_time_utc: Mapped[datetime] = mapped_column(default=utcnow)


class ApiToken(Base):
    """A bearer token; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(128), default="default")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    token_prefix: Mapped[str] = mapped_column(String(16))
    creation_time_utc: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_time_utc: Mapped[datetime | None]
    revoked_time_utc: Mapped[datetime | None]
    expires_time_utc: Mapped[datetime | None] = mapped_column(default=None)
