from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from erpai.common import ORMModel, UTCDateTime


class CompileRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["retrieval", "fine_tune"] = "retrieval"


class CompileProgress(BaseModel):
    stage: str = Field(description="snapshot, embedding, training, evaluating, fine_tune, finishing, done")
    percent: int = Field(ge=0, le=100, description="Of the whole build")


class CompilationRead(ORMModel):
    id: int
    model_id: int
    user_id: int
    kind: str
    status: str = Field(description="N new, R running, C completed, D deleted")
    is_successful: bool
    start_time_utc: UTCDateTime
    completion_time_utc: UTCDateTime | None
    compiled_model_name: str | None
    validation_score: float | None
    error_message: str | None
    build_log: str | None
    progress: CompileProgress | None = Field(default=None, description="Live while running; kept after")
    progress_log: str | None = Field(default=None, description="The stages so far, with elapsed seconds")
    object_version: int


class AssetRead(ORMModel):
    id: int
    asset_key: str
    value: str | None


class HitRead(ORMModel):
    id: int
    model_id: int
    compilation_id: int | None
    user_id: int | None
    channel: str
    question: str
    answer: str | None
    answered: bool
    score: float
    source_type: str | None
    source_id: int | None
    from_memory: bool = False
    time_utc: UTCDateTime
    feedback: str | None = None
    feedback_reason: str | None = None
