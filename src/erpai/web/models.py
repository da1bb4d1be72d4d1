from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from erpai.db import Base, utcnow


class WebSession(Base):
    """A browser sign-in: the cookie holds a random id whose SHA-256 is stored here, never the API token.

    The session ends when it expires, when the user signs out, or when the API token it was opened
    with is revoked or its user deactivated (checked on every request)."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    api_token_id: Mapped[int] = mapped_column(ForeignKey("api_tokens.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    creation_time_utc: Mapped[datetime] = mapped_column(default=utcnow)
    expiry_time_utc: Mapped[datetime]
