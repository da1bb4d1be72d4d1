from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from erpai.common import UTCDateTime
from erpai.training.schemas import naive_utc

TrainingFormat = Literal["openai"]
TrainingKind = Literal["sft", "dpo"]
HitFormat = Literal["csv", "jsonl"]


class HitFilters(BaseModel):
    """Hit-history export filters; times are UTC (an aware time is converted)."""

    model_config = ConfigDict(extra="forbid")

    model_id: int | None = None
    channel: str | None = Field(default=None, max_length=16, description="api, cli, chat, openai, mcp...")
    answered: bool | None = None
    feedback: Literal["up", "down"] | None = Field(default=None, description="Only thumbs up / down")
    since: datetime | None = Field(default=None, description="From this time on (inclusive)")
    until: datetime | None = Field(default=None, description="Before this time (exclusive)")

    def window(self) -> tuple[datetime | None, datetime | None]:
        return naive_utc(self.since), naive_utc(self.until)


class BuildMetrics(BaseModel):
    compilation_id: int
    model_id: int
    kind: str
    status: str
    is_successful: bool
    start_time_utc: UTCDateTime
    completion_time_utc: UTCDateTime | None
    validation_score: float | None
    compiled_model_name: str | None
    active: bool
    metrics: dict[str, object] = Field(default_factory=dict)
    calibration: dict[str, object] | list[object] | None = None
    assets: dict[str, str | None] = Field(default_factory=dict)


class ModelImportResult(BaseModel):
    model_id: int
    name: str
    qas: int
    conversations: int
    preference_pairs: int
    warnings: list[str] = Field(default_factory=list)
