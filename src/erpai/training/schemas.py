from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from erpai.common import Count, Id, Notes, ORMModel, Text, UTCDateTime
from erpai.limits import MESSAGE_MAX, MESSAGES_PER_REQUEST_MAX, PARTICIPANT_NAME_MAX
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


def clean_content(value: str) -> str:
    text = value.strip()
    if not text:
        raise ValueError("the message content must not be empty")
    return text


def clean_name(value: str | None) -> str | None:
    text = (value or "").strip()
    if len(text) > PARTICIPANT_NAME_MAX:
        limit = PARTICIPANT_NAME_MAX
        raise ValueError(f"the participant name must be at most {limit} characters (got {len(text)})")
    return text or None


def naive_utc(value: datetime | None) -> datetime | None:
    """Stored times are naive UTC; an aware time is converted, a naive one is taken as UTC."""
    if value is None or value.tzinfo is None:
        return value
    try:
        return value.astimezone(UTC).replace(tzinfo=None)
    except OverflowError:
        raise ValueError("the time is out of range once converted to UTC") from None


Content = Annotated[str, Text(max_length=MESSAGE_MAX), AfterValidator(clean_content)]
ParticipantName = Annotated[
    Annotated[str, Text(max_length=PARTICIPANT_NAME_MAX)] | None, AfterValidator(clean_name)
]
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
    message_time_utc: UTCDateTime

    @field_validator("role", mode="before")
    @classmethod
    def _role_name(cls, value: Any) -> Any:
        return ROLE_NAMES.get(value, value)


class ConversationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model_id: Id
    notes: Notes | None = None
    messages: list[MessageIn] = Field(default_factory=list, max_length=MESSAGES_PER_REQUEST_MAX)


class ConversationUpdate(BaseModel):
    """PATCH; send ``object_version`` to refuse the change (409) if someone else changed it first."""

    model_config = ConfigDict(extra="forbid")

    model_id: Id | None = None
    notes: Notes | None = None
    object_version: Count | None = None

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
    creation_time_utc: UTCDateTime
    last_update_time_utc: UTCDateTime
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
