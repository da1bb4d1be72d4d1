from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from erpai.answering.operating_point import DEFAULT_OPERATING_POINT, normalise_operating_point
from erpai.common import ORMModel

OPERATING_POINT_HELP = (
    "How readily the model answers: 'reject_more', 'balanced' (the build's calibrated threshold) or "
    "'answer_more', or an explicit confidence threshold between 0 and 1."
)


class ModelCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=256)
    build_assistant: bool = True
    is_default: bool = False
    auto_update_to_latest_build: bool = True
    system_message: str | None = None
    notes: str | None = None
    parent_model_id: int | None = None
    provider_id: int | None = None
    virtual_user_id: int | None = None
    quality_gate_enabled: bool = True
    quality_gate_margin: float = Field(
        default=0.02,
        ge=0.0,
        le=1.0,
        description="Allowed drop of the validation score before a build is held back.",
    )
    fallback_answer: str | None = None
    prefer_curated_answer: bool = True
    operating_point: str = Field(default=DEFAULT_OPERATING_POINT, description=OPERATING_POINT_HELP)
    external_id: str | None = Field(default=None, max_length=256)
    external_system: str | None = Field(default=None, max_length=256)

    @field_validator("operating_point")
    @classmethod
    def _operating_point(cls, value: str) -> str:
        return normalise_operating_point(value)


# Columns that are NOT NULL: a PATCH may leave them out but may not send null for them.
REQUIRED_ON_UPDATE = (
    "name",
    "build_assistant",
    "is_default",
    "auto_update_to_latest_build",
    "quality_gate_enabled",
    "quality_gate_margin",
    "prefer_curated_answer",
    "operating_point",
)


class ModelUpdate(BaseModel):
    """Only the fields sent are changed; null clears a nullable field (e.g. the parent)."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=256)
    build_assistant: bool | None = None
    is_default: bool | None = None
    auto_update_to_latest_build: bool | None = None
    system_message: str | None = None
    notes: str | None = None
    parent_model_id: int | None = None
    provider_id: int | None = None
    virtual_user_id: int | None = None
    quality_gate_enabled: bool | None = None
    quality_gate_margin: float | None = Field(default=None, ge=0.0, le=1.0)
    fallback_answer: str | None = None
    prefer_curated_answer: bool | None = None
    operating_point: str | None = Field(default=None, description=OPERATING_POINT_HELP)
    external_id: str | None = Field(default=None, max_length=256)
    external_system: str | None = Field(default=None, max_length=256)
    object_version: int | None = Field(
        default=None, description="If sent, must match the stored version (else 409)."
    )

    @field_validator(*REQUIRED_ON_UPDATE)
    @classmethod
    def _not_null(cls, value: object) -> object:
        # Runs only for fields actually sent (defaults are not validated), so None here is an explicit null.
        if value is None:
            raise ValueError("cannot be null")
        return value

    @field_validator("operating_point")
    @classmethod
    def _operating_point(cls, value: str | None) -> str | None:
        return None if value is None else normalise_operating_point(value)

    def changes(self) -> dict[str, object]:
        return self.model_dump(exclude_unset=True, exclude={"object_version"})


class ModelRead(ORMModel):
    id: int
    name: str
    build_assistant: bool
    is_default: bool
    auto_update_to_latest_build: bool
    system_message: str | None
    notes: str | None
    conversational_compilation_id: int | None
    parent_model_id: int | None
    provider_id: int | None
    virtual_user_id: int | None
    quality_gate_enabled: bool
    quality_gate_margin: float
    fallback_answer: str | None
    prefer_curated_answer: bool
    operating_point: str
    external_id: str | None
    external_system: str | None
    object_version: int
    aggregate_last_update_time_utc: datetime | None


class HierarchyNode(BaseModel):
    id: int
    name: str
    parent_model_id: int | None
    depth: int = Field(description="0 for the model itself, 1 for its children, …")


class ModelHierarchy(BaseModel):
    model_id: int
    nodes: list[HierarchyNode]
