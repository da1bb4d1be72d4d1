from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from erpai.common import Count, Id, Name, Notes, ORMModel, Text, UTCDateTime
from erpai.limits import EXTERNAL_ID_MAX, FALLBACK_ANSWER_MAX, SYSTEM_MESSAGE_MAX

SystemMessage = Annotated[str, Text(max_length=SYSTEM_MESSAGE_MAX)]
FallbackAnswer = Annotated[str, Text(max_length=FALLBACK_ANSWER_MAX)]
ExternalId = Annotated[str, Text(max_length=EXTERNAL_ID_MAX)]


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
    external_id: ExternalId | None = None
    external_system: ExternalId | None = None


# Columns that are NOT NULL: a PATCH may leave them out but may not send null for them.
REQUIRED_ON_UPDATE = (
    "name",
    "build_assistant",
    "is_default",
    "auto_update_to_latest_build",
    "quality_gate_enabled",
    "quality_gate_margin",
    "prefer_curated_answer",
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
