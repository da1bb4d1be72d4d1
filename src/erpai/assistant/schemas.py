from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from erpai.assistant.models import AssistantMessage
from erpai.common import Count, Id, Notes, ORMModel, Text, UTCDateTime
from erpai.limits import NAME_MAX

Title = Annotated[str, Text(min_length=1, max_length=NAME_MAX)]

MessageRole = Literal["user", "assistant", "system"]


class ConversationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model_id: Id | None = Field(
        default=None, description="Default: the caller's assigned model, else the default model."
    )
    title: Title | None = Field(default=None, description="Default: the first message.")


class ConversationUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Title | None = None
    notes: Notes | None = None
    object_version: Count | None = Field(
        default=None, description="If sent, must match the stored version (else 409)."
    )

    @field_validator("title")
    @classmethod
    def _title_not_null(cls, value: str | None) -> str:
        # Only runs when title is sent: a conversation always has a title.
        if value is None or not value.strip():
            raise ValueError("cannot be empty")
        return value.strip()


class ConversationRead(ORMModel):
    id: int
    user_id: int
    model_id: int
    title: str
    is_active: bool
    notes: str | None
    creation_time_utc: UTCDateTime
    object_version: int


class MessageRead(BaseModel):
    id: int
    conversation_id: int
    role: str
    content: str
    sources: Any = Field(default=None, description="What the answer was grounded on (assistant messages).")
    creation_time_utc: UTCDateTime

    @classmethod
    def from_row(cls, row: AssistantMessage) -> MessageRead:
        return cls(
            id=row.id,
            conversation_id=row.conversation_id,
            role=row.role,
            content=row.content,
            sources=json.loads(row.sources_json) if row.sources_json else None,
            creation_time_utc=row.creation_time_utc,
        )
