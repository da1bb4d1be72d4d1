"""The durable job queue of SQLite installs: one row per enqueued job (PostgreSQL uses procrastinate)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from erpai.db import Base, utcnow


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Job(Base):
    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_status_id", "status", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    kwargs_json: Mapped[str] = mapped_column(Text, default="{}")
    status: Mapped[str] = mapped_column(String(16), default=JobStatus.QUEUED.value)
    attempts: Mapped[int] = mapped_column(default=0)
    worker_id: Mapped[str | None] = mapped_column(String(256))
    heartbeat_time_utc: Mapped[datetime | None]
    enqueue_time_utc: Mapped[datetime] = mapped_column(default=utcnow)
    start_time_utc: Mapped[datetime | None]
    finish_time_utc: Mapped[datetime | None]
    error_message: Mapped[str | None] = mapped_column(Text)
