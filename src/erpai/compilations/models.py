from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from erpai.db import AggregateRoot, Base, utcnow


class CompilationStatus(StrEnum):
    NEW = "N"
    RUNNING = "R"
    COMPLETED = "C"
    DELETED = "D"


class BuildKind(StrEnum):
    RETRIEVAL = "retrieval"
    FINE_TUNE = "fine_tune"
    # An assistant model's build: its system message chain, the instructions and a retrieval index.
    ASSISTANT = "assistant"


class Compilation(AggregateRoot, Base):
    """A versioned build of a model; read-only through the API (domain.md §1.7)."""

    __tablename__ = "compilations"
    __table_args__ = (
        # One compile per model at a time.
        Index(
            "uq_compilations_one_running",
            "model_id",
            unique=True,
            sqlite_where=text("status IN ('N', 'R')"),
            postgresql_where=text("status IN ('N', 'R')"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("ai_models.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    kind: Mapped[str] = mapped_column(String(16), default=BuildKind.RETRIEVAL.value)
    start_time_utc: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    completion_time_utc: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(1), default=CompilationStatus.NEW.value)
    is_successful: Mapped[bool] = mapped_column(default=False)
    compiled_model_name: Mapped[str | None] = mapped_column(String(256))
    build_log: Mapped[str | None] = mapped_column(Text)
    error_message: Mapped[str | None] = mapped_column(Text)
    validation_score: Mapped[float | None]
    worker_id: Mapped[str | None] = mapped_column(String(128))
    heartbeat_time_utc: Mapped[datetime | None]
    # Live progress while the build runs (written by compilations.progress, kept afterwards).
    progress_stage: Mapped[str | None] = mapped_column(String(32))
    progress_percent: Mapped[int | None]
    progress_log: Mapped[str | None] = mapped_column(Text)

    assets: Mapped[list[CompilationAsset]] = relationship(
        back_populates="compilation", cascade="all, delete-orphan", order_by="CompilationAsset.id"
    )


    @property
    def progress(self) -> dict[str, object] | None:
        if self.progress_stage is None:
            return None
        return {"stage": self.progress_stage, "percent": self.progress_percent or 0}


class CompilationAsset(Base):
    __tablename__ = "compilation_assets"

    id: Mapped[int] = mapped_column(primary_key=True)
    compilation_id: Mapped[int] = mapped_column(ForeignKey("compilations.id", ondelete="CASCADE"), index=True)
    asset_key: Mapped[str] = mapped_column(String(128))
    value: Mapped[str | None] = mapped_column(Text)

    compilation: Mapped[Compilation] = relationship(back_populates="assets")


class CompilationArtifact(Base):
    """The runnable build itself, kept in the database so every API process and worker shares it."""

    __tablename__ = "compilation_artifacts"

    compilation_id: Mapped[int] = mapped_column(
        ForeignKey("compilations.id", ondelete="CASCADE"), primary_key=True
    )
    # The digest before the content: SQLite reads a row's columns in order, so a digest stored after a
    # multi-megabyte blob costs a walk through the blob's overflow pages on every ask (about 1 ms).
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int]
    content: Mapped[bytes] = mapped_column(LargeBinary)


class EmbeddingCacheEntry(Base):
    """Embeddings by (embedder, text), so a recompile embeds only what changed."""

    __tablename__ = "embedding_cache"

    embedder: Mapped[str] = mapped_column(String(64), primary_key=True)
    text_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    vector: Mapped[bytes] = mapped_column(LargeBinary)


class ModelHit(Base):
    """Hit history: every question asked of a model, with score and source."""

    __tablename__ = "model_hits"

    id: Mapped[int] = mapped_column(primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("ai_models.id", ondelete="CASCADE"), index=True)
    compilation_id: Mapped[int | None] = mapped_column(ForeignKey("compilations.id", ondelete="SET NULL"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    channel: Mapped[str] = mapped_column(String(16), default="api")
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str | None] = mapped_column(Text)
    answered: Mapped[bool] = mapped_column(default=False)
    score: Mapped[float] = mapped_column(default=0.0)
    source_type: Mapped[str | None] = mapped_column(String(32))
    source_id: Mapped[int | None]
    # The answer came from the build's memory: a correction of this very question (AnswerResult.from_memory).
    from_memory: Mapped[bool] = mapped_column(default=False)
    time_utc: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # Thumbs up / down on the answer (feedback/service.py): by the user who asked or a trainer.
    feedback: Mapped[str | None] = mapped_column(String(8))
    feedback_reason: Mapped[str | None] = mapped_column(Text)
    feedback_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    feedback_time_utc: Mapped[datetime | None]
    # Set when a trainer resolved it from the review inbox (into a Q&A, or dismissed).
    reviewed_time_utc: Mapped[datetime | None]
