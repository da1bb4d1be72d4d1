from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from erpai.assistant.models import AssistantMessage
from erpai.common import ORMModel

MessageRole = Literal["user", "assistant", "system"]


class ConversationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model_id: int | None = Field(
        default=None, description="Default: the caller's assigned model, else the default model."
    )
    title: str | None = Field(
        default=None, min_length=1, max_length=256, description="Default: the first message."
    )


class ConversationUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, min_length=1, max_length=256)
    notes: str | None = None
    object_version: int | None = Field(
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
    creation_time_utc: datetime
    object_version: int


class MessageRead(BaseModel):
    id: int
    conversation_id: int
    role: str
    content: str
    sources: Any = Field(default=None, description="What the answer was grounded on (assistant messages).")
    creation_time_utc: datetime

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
