from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from erpai.common import Id, Name, ORMModel, Text, UTCDateTime

Event = Literal["create", "update", "attribute_changed", "commit"]
ActionType = Literal["AISET", "AIVALIDATE", "AIWARNING"]
Short = Annotated[str, Text(min_length=1, max_length=128)]
Prompt = Annotated[str, Text(min_length=1, max_length=8000)]
Message = Annotated[str, Text(max_length=2000)]
Outcome = Literal["set", "passed", "failed", "warned", "timed_out", "error", "skipped"]


class Action(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: ActionType
    attribute: Short | None = Field(default=None, description="AISET: the field to set.")
    prompt: Prompt
    message: Message | None = Field(default=None, description="AIVALIDATE / AIWARNING text.")
    timeout_ms: int = Field(default=2000, ge=1, le=600_000)


class Condition(BaseModel):
    """The rule fires only when ``field`` ``op`` ``value`` holds on the record."""

    model_config = ConfigDict(extra="forbid")

    field: Short
    op: Literal["eq", "ne", "contains", "empty", "not_empty"] = "eq"
    value: Message | None = None


class RuleWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    entity: Short
    event: Event
    attribute: Short | None = None
    condition: Condition | None = None
    actions: list[Action] = Field(min_length=1, max_length=20)
    fields: list[Short] | None = Field(
        default=None, max_length=500, description="Only for a host ERP's own entity: its fields."
    )
    enabled: bool = True


class RuleUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    event: Event | None = None
    attribute: Short | None = None
    condition: Condition | None = None
    actions: list[Action] | None = Field(default=None, min_length=1, max_length=20)
    fields: list[Short] | None = Field(default=None, max_length=500)
    enabled: bool | None = None


class RuleRead(ORMModel):
    id: int
    name: str
    entity: str
    event: str
    attribute: str | None
    condition: dict[str, Any] | None
    actions: list[dict[str, Any]]
    fields: list[str] | None
    enabled: bool
    created_time_utc: UTCDateTime
    updated_time_utc: UTCDateTime


class RunRead(ORMModel):
    id: int
    rule_id: int | None
    rule_name: str
    action_index: int
    action: str
    entity: str
    record_id: str | None
    prompt: str
    answer: str | None
    outcome: str
    detail: str | None
    latency_ms: float
    model: str | None
    tokens: int | None
    cached: bool
    created_time_utc: UTCDateTime


class RuleMessage(BaseModel):
    rule_id: int | None
    rule: str
    action_index: int
    message: str
    reason: str | None = Field(
        default=None, description="Why the check did not pass (answer, timeout, error)."
    )


class EvaluateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    entity: Short
    event: Event
    changed: list[Short] = Field(
        default_factory=list, max_length=500, description="Fields that changed (attribute_changed)."
    )
    record: dict[str, Any]
    record_id: Short | None = None


class EvaluateResult(BaseModel):
    record: dict[str, Any]
    set: dict[str, str] = Field(default_factory=dict)
    errors: list[RuleMessage] = Field(default_factory=list)
    warnings: list[RuleMessage] = Field(default_factory=list)
    runs: list[dict[str, Any]] = Field(default_factory=list)


class TryRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    record_id: Id | None = None
    record: dict[str, Any] | None = None
