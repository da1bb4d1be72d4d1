from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from erpai.answering.schemas import Source
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
    debug: Any = Field(default=None, description="With debug on: the exact prompt and the raw response.")
    diagnostics: Any = Field(default=None, description="With diagnostics on: tokens, latency, build.")
    creation_time_utc: UTCDateTime
    hit_id: int | None = Field(default=None, description="Set once the owner rated this reply.")

    @classmethod
    def from_row(cls, row: AssistantMessage) -> MessageRead:
        return cls(
            id=row.id,
            conversation_id=row.conversation_id,
            role=row.role,
            content=row.content,
            sources=json.loads(row.sources_json) if row.sources_json else None,
            debug=json.loads(row.debug_json) if row.debug_json else None,
            diagnostics=json.loads(row.diagnostics_json) if row.diagnostics_json else None,
            creation_time_utc=row.creation_time_utc,
            hit_id=row.hit_id,
        )


class AssistantAsk(BaseModel):
    model_config = ConfigDict(extra="forbid")

    content: str = Field(min_length=1, max_length=8000, description="The user's message.")
    stream: bool = Field(default=False, description="Answer as server-sent events.")


class ToolCallRead(BaseModel):
    name: str
    arguments: str
    result: str


class AssistantReply(BaseModel):
    conversation_id: int
    title: str
    user_message: MessageRead
    message: MessageRead
    answered: bool = Field(description="False when the assistant could not answer (fallback text).")
    generated: bool = Field(description="True when a chat provider wrote the reply.")
    chat_model: str | None = None
    compilation_id: int | None = None
    sources: list[Source] = Field(default_factory=list)
    tool_calls: list[ToolCallRead] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list, description="What the reply could not do, and why.")
    debug: Any = None
    diagnostics: Any = None


class PageDataRead(BaseModel):
    conversation_id: int
    title: str
    form_kind: str
    objects: int | None = Field(description="How many objects a navigator page holds (None for a record).")
    left_out: int = Field(description="Objects that do not fit the page-data token budget.")
    message: MessageRead


class InstructionsRead(BaseModel):
    form_kind: str
    instructions: str
    is_default: bool = Field(description="True when the system setting applies (you set none).")


class InstructionsUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    instructions: str | None = Field(
        default=None, max_length=8000, description="Empty or null: back to the default."
    )


class PreferencesRead(ORMModel):
    debug: bool
    diagnostics: bool


class PreferencesUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    debug: bool | None = None
    diagnostics: bool | None = None
