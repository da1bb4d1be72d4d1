from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from erpai.db import Base, utcnow


class BusinessRule(Base):
    """entity + event (+ attribute) + optional condition -> ordered AI actions (domain.md §2.13)."""

    __tablename__ = "business_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(256), unique=True)
    entity: Mapped[str] = mapped_column(String(128), index=True)
    event: Mapped[str] = mapped_column(String(32))
    attribute: Mapped[str | None] = mapped_column(String(128))
    condition: Mapped[dict[str, object] | None] = mapped_column(JSON)
    actions: Mapped[list[dict[str, object]]] = mapped_column(JSON)
    fields: Mapped[list[str] | None] = mapped_column(JSON)  # a host ERP entity's fields
    enabled: Mapped[bool] = mapped_column(default=True)
    created_time_utc: Mapped[datetime] = mapped_column(default=utcnow)
    updated_time_utc: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class RuleRun(Base):
    """One action run: what was asked, what came back, and what it did."""

    __tablename__ = "rule_runs"
    __table_args__ = (Index("ix_rule_runs_rule_outcome", "rule_id", "outcome"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("business_rules.id", ondelete="SET NULL"))
    rule_name: Mapped[str] = mapped_column(String(256))
    action_index: Mapped[int]
    action: Mapped[str] = mapped_column(String(16))
    entity: Mapped[str] = mapped_column(String(128))
    record_id: Mapped[str | None] = mapped_column(String(128))
    prompt: Mapped[str] = mapped_column(Text)
    answer: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(16), index=True)
    detail: Mapped[str | None] = mapped_column(Text)
    latency_ms: Mapped[float]
    model: Mapped[str | None] = mapped_column(String(256))
    tokens: Mapped[int | None]
    cached: Mapped[bool] = mapped_column(default=False)
    created_time_utc: Mapped[datetime] = mapped_column(default=utcnow, index=True)
