from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from erpai.common import ORMModel
from erpai.training.models import Origin, ParticipantRole

RoleName = Literal["user", "assistant", "system"]
OriginName = Literal["user_entered", "chat", "calendar", "case", "todo"]

ROLE_CODES: dict[str, str] = {
    "user": ParticipantRole.USER.value,
    "assistant": ParticipantRole.ASSISTANT.value,
    "system": ParticipantRole.SYSTEM.value,
}
ROLE_NAMES = {code: name for name, code in ROLE_CODES.items()}
ORIGIN_CODES: dict[str, str] = {
    "user_entered": Origin.USER_ENTERED.value,
    "chat": Origin.CHAT.value,
    "calendar": Origin.CALENDAR.value,
    "case": Origin.CASE.value,
    "todo": Origin.TODO.value,
}
ORIGIN_NAMES = {code: name for name, code in ORIGIN_CODES.items()}
NAME_MAX = 64


def clean_content(value: str) -> str:
    text = value.strip()
    if not text:
        raise ValueError("the message content must not be empty")
    return text


def clean_name(value: str | None) -> str | None:
    text = (value or "").strip()
    if len(text) > NAME_MAX:
        raise ValueError(f"the participant name must be at most {NAME_MAX} characters (got {len(text)})")
    return text or None


def naive_utc(value: datetime | None) -> datetime | None:
    """Stored times are naive UTC; an aware time is converted, a naive one is taken as UTC."""
    if value is None or value.tzinfo is None:
        return value
    return value.astimezone(UTC).replace(tzinfo=None)


Content = Annotated[str, AfterValidator(clean_content)]
ParticipantName = Annotated[str | None, AfterValidator(clean_name)]
MessageTime = Annotated[datetime | None, AfterValidator(naive_utc)]


class MessageIn(BaseModel):
    """One message; the service numbers it (MessageNo = max + 1) and stamps the time when not given."""

    model_config = ConfigDict(extra="forbid")

    role: RoleName = "user"
    name: ParticipantName = None
    content: Content
    message_time_utc: MessageTime = None


class MessageUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: RoleName | None = None
    name: ParticipantName = None
    content: Content | None = None
    message_time_utc: MessageTime = None

    @field_validator("role", "content", "message_time_utc", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("may not be null")
        return value


class MessageRead(ORMModel):
    id: int
    conversation_id: int = Field(validation_alias="training_conversation_id")
    message_no: int
    role: RoleName = Field(validation_alias="participant_role")
    name: str | None = Field(validation_alias="participant_name")
    content: str = Field(validation_alias="contents")
    message_time_utc: datetime

    @field_validator("role", mode="before")
    @classmethod
    def _role_name(cls, value: Any) -> Any:
        return ROLE_NAMES.get(value, value)


class ConversationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model_id: int
    notes: str | None = None
    messages: list[MessageIn] = Field(default_factory=list)


class ConversationUpdate(BaseModel):
    """PATCH; send ``object_version`` to refuse the change (409) if someone else changed it first."""

    model_config = ConfigDict(extra="forbid")

    model_id: int | None = None
    notes: str | None = None
    object_version: int | None = None

    @field_validator("model_id", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("may not be null")
        return value


class ConversationSummary(ORMModel):
    id: int
    model_id: int
    origin: OriginName
    origin_object_type: str | None
    origin_object_id: int | None
    creation_time_utc: datetime
    last_update_time_utc: datetime
    created_by_user_id: int | None
    notes: str | None
    object_version: int
    message_count: int = 0

    @field_validator("origin", mode="before")
    @classmethod
    def _origin_name(cls, value: Any) -> Any:
        return ORIGIN_NAMES.get(value, value)


class ConversationRead(ConversationSummary):
    messages: list[MessageRead]

    @model_validator(mode="after")
    def _count(self) -> ConversationRead:
        self.message_count = len(self.messages)
        return self
