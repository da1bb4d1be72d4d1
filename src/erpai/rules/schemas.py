from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from erpai.common import ORMModel

Event = Literal["create", "update", "attribute_changed", "commit"]
ActionType = Literal["AISET", "AIVALIDATE", "AIWARNING"]
Outcome = Literal["set", "passed", "failed", "warned", "timed_out", "error", "skipped"]


class Action(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: ActionType
    attribute: str | None = Field(default=None, description="AISET: the field to set.")
    prompt: str = Field(min_length=1, max_length=8000)
    message: str | None = Field(default=None, max_length=2000, description="AIVALIDATE / AIWARNING text.")
    timeout_ms: int = Field(default=2000, ge=1, le=600_000)


class Condition(BaseModel):
    """The rule fires only when ``field`` ``op`` ``value`` holds on the record."""

    model_config = ConfigDict(extra="forbid")

    field: str
    op: Literal["eq", "ne", "contains", "empty", "not_empty"] = "eq"
    value: str | None = None


class RuleWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=256)
    entity: str = Field(min_length=1, max_length=128)
    event: Event
    attribute: str | None = None
    condition: Condition | None = None
    actions: list[Action] = Field(min_length=1, max_length=20)
    fields: list[str] | None = Field(
        default=None, description="Only for a host ERP's own entity: its fields."
    )
    enabled: bool = True


class RuleUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=256)
    event: Event | None = None
    attribute: str | None = None
    condition: Condition | None = None
    actions: list[Action] | None = Field(default=None, min_length=1, max_length=20)
    fields: list[str] | None = None
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
    created_time_utc: datetime
    updated_time_utc: datetime


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
    created_time_utc: datetime


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

    entity: str = Field(min_length=1, max_length=128)
    event: Event
    changed: list[str] = Field(default_factory=list, description="Fields that changed (attribute_changed).")
    record: dict[str, Any]
    record_id: str | None = Field(default=None, max_length=128)


class EvaluateResult(BaseModel):
    record: dict[str, Any]
    set: dict[str, str] = Field(default_factory=dict)
    errors: list[RuleMessage] = Field(default_factory=list)
    warnings: list[RuleMessage] = Field(default_factory=list)
    runs: list[dict[str, Any]] = Field(default_factory=list)


class TryRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    record_id: int | None = None
    record: dict[str, Any] | None = None
