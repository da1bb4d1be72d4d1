from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from erpai.db import Base, utcnow


class IngestProposal(Base):
    """A purchase invoice read from a file, waiting for the user's review (the original file is kept)."""

    __tablename__ = "ingest_proposals"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_by_user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_time_utc: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default="proposed")
    filename: Mapped[str | None] = mapped_column(String(256))
    media_type: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int]
    file_data: Mapped[bytes] = mapped_column(LargeBinary)
    read_path: Mapped[str] = mapped_column(String(16))
    proposal_json: Mapped[str] = mapped_column(Text)  # fields, flags, validations, notes, missing capability
