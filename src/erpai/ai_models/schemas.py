from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from erpai.answering.operating_point import DEFAULT_OPERATING_POINT, normalise_operating_point
from erpai.common import Count, Id, Name, Notes, ORMModel, Text, UTCDateTime
from erpai.limits import EXTERNAL_ID_MAX, FALLBACK_ANSWER_MAX, SYSTEM_MESSAGE_MAX

OperatingPoint = Annotated[str, Text(max_length=32)]
SystemMessage = Annotated[str, Text(max_length=SYSTEM_MESSAGE_MAX)]
FallbackAnswer = Annotated[str, Text(max_length=FALLBACK_ANSWER_MAX)]
ExternalId = Annotated[str, Text(max_length=EXTERNAL_ID_MAX)]

OPERATING_POINT_HELP = (
    "How readily the model answers: 'reject_more', 'balanced' (the build's calibrated threshold) or "
    "'answer_more', or an explicit confidence threshold between 0 and 1."
)


class ModelCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    build_assistant: bool = True
    is_default: bool = False
    auto_update_to_latest_build: bool = True
    system_message: SystemMessage | None = None
    notes: Notes | None = None
    parent_model_id: Id | None = None
    provider_id: Id | None = None
    virtual_user_id: Id | None = None
    quality_gate_enabled: bool = True
    quality_gate_margin: float = Field(
        default=0.02,
        ge=0.0,
        le=1.0,
        description="Allowed drop of the validation score before a build is held back.",
    )
    fallback_answer: FallbackAnswer | None = None
    prefer_curated_answer: bool = True
    operating_point: OperatingPoint = Field(default=DEFAULT_OPERATING_POINT, description=OPERATING_POINT_HELP)
    external_id: ExternalId | None = None
    external_system: ExternalId | None = None

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

    name: Name | None = None
    build_assistant: bool | None = None
    is_default: bool | None = None
    auto_update_to_latest_build: bool | None = None
    system_message: SystemMessage | None = None
    notes: Notes | None = None
    parent_model_id: Id | None = None
    provider_id: Id | None = None
    virtual_user_id: Id | None = None
    quality_gate_enabled: bool | None = None
    quality_gate_margin: float | None = Field(default=None, ge=0.0, le=1.0)
    fallback_answer: FallbackAnswer | None = None
    prefer_curated_answer: bool | None = None
    operating_point: OperatingPoint | None = Field(default=None, description=OPERATING_POINT_HELP)
    external_id: ExternalId | None = None
    external_system: ExternalId | None = None
    object_version: Count | None = Field(
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
    aggregate_last_update_time_utc: UTCDateTime | None


class HierarchyNode(BaseModel):
    id: int
    name: str
    parent_model_id: int | None
    depth: int = Field(description="0 for the model itself, 1 for its children, …")


class ModelHierarchy(BaseModel):
    model_id: int
    nodes: list[HierarchyNode]
