from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from erpai.db import Base, utcnow


class AuditEntry(Base):
    """Who changed what (decisions.md): one row per create / update / delete of an edited entity."""

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    entity: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[int]
    action: Mapped[str] = mapped_column(String(16))
    changes_json: Mapped[str | None] = mapped_column(Text)
    time_utc: Mapped[datetime] = mapped_column(default=utcnow, index=True)
