from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from erpai.common import Id, Text
from erpai.limits import NAME_MAX

Title = Annotated[
    str,
    Text(min_length=1, max_length=NAME_MAX),
    Field(description="Your own title; without it the AI writes one in your working language."),
]
LinkedRecord = Annotated[
    str,
    Text(max_length=128, pattern=r"^[a-z_]{1,64}:[0-9]{1,10}$"),
    Field(description='The record the to-do is about, "kind:id", e.g. "leads:12".'),
]


class TodoFromComment(BaseModel):
    model_config = ConfigDict(extra="forbid")

    comment_id: Id
    title: Title | None = None
    linked_record: LinkedRecord | None = None


class TodoFromNotification(BaseModel):
    model_config = ConfigDict(extra="forbid")

    notification_id: Id = Field(description="One of your notifications: its subject is the context.")
    title: Title | None = None
    linked_record: LinkedRecord | None = Field(
        default=None, description='"kind:id"; default: the notification\'s object, when it is a record.'
    )
    group_id: Id | None = Field(
        default=None,
        description="A chat group of yours to link: it gets the system line, its members a note.",
    )


class TodoCreated(BaseModel):
    todo: dict[str, Any] = Field(description="The new to-do as `GET /records/todos/{id}` returns it.")
    title_source: Literal["ai", "manual"]
    language: str = Field(description="The working language the AI wrote the title in.")
    system_comment_id: int | None = Field(description="The system line posted in the linked group.")
    notified_user_ids: list[int] = Field(description="Group members told about the new to-do.")
    warnings: list[str] = Field(default_factory=list, description="AIWARNING messages of business rules.")
