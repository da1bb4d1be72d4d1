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
    # Set once, by the confirm that created the draft invoice (status "confirmed").
    purchase_invoice_id: Mapped[int | None] = mapped_column(
        ForeignKey("purchase_invoices.id", ondelete="SET NULL")
    )
    confirmed_time_utc: Mapped[datetime | None]


class StoredFile(Base):
    """An original document attached to a record (an ingested invoice's PDF or photo); at most the
    ingest size limit (20 MiB)."""

    __tablename__ = "stored_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_time_utc: Mapped[datetime] = mapped_column(default=utcnow)
    filename: Mapped[str | None] = mapped_column(String(256))
    media_type: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
