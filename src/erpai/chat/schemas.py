from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from erpai.common import Id, Name, Notes, ORMModel, Text, UTCDateTime
from erpai.limits import IDS_PER_REQUEST_MAX, MESSAGE_MAX

RoleName = Literal["member", "admin", "observer"]


class GroupCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    notes: Notes | None = None
    member_ids: list[Id] = Field(
        default_factory=list,
        max_length=IDS_PER_REQUEST_MAX,
        description="Users added as members; the creator is admin.",
    )


class GroupRead(ORMModel):
    id: int
    name: str
    notes: str | None
    created_by_user_id: int | None
    creation_time_utc: UTCDateTime
    last_interaction_time_utc: UTCDateTime | None


class MemberAdd(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_id: Id
    role: RoleName = "member"


class MemberUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: RoleName


class MemberRead(BaseModel):
    user_id: int
    login: str
    name: str
    role: RoleName
    is_virtual: bool
    model_id: int | None = Field(description="The model this virtual user speaks for (an arbiter).")
    join_time_utc: UTCDateTime


class CommentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: Annotated[str, Text(min_length=1, max_length=MESSAGE_MAX)] = Field(
        description="Mention people as @login or {@user:ID}."
    )
    reply_to_comment_id: Id | None = None


class CommentRead(BaseModel):
    id: int
    group_id: int
    user_id: int
    author_name: str
    author_login: str
    author_is_virtual: bool
    text: str = Field(description="Mentions rendered as @Name.")
    raw_text: str = Field(description="As stored, mentions as {@user:ID}.")
    mentioned_user_ids: list[int]
    reply_to_comment_id: int | None
    is_system: bool
    creation_time_utc: UTCDateTime
    hit_id: int | None = Field(
        default=None,
        description="An arbiter's reply: its answer in the hit history (rate it at /hits/{id}/feedback).",
    )


class CommentPage(BaseModel):
    items: list[CommentRead] = Field(description="Oldest first.")
    has_more: bool = Field(description="More comments lie beyond this page in the paging direction.")


class ArbiterTaskRead(ORMModel):
    id: int
    comment_id: int
    model_id: int
    status: str
    reply_comment_id: int | None


class PostedComment(CommentRead):
    arbiter_tasks: list[ArbiterTaskRead] = Field(description="Answers owed by arbiters; replies follow.")


class TrainRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    comment_ids: list[Id] = Field(min_length=1, max_length=IDS_PER_REQUEST_MAX)
    model_id: Id | None = Field(default=None, description="Needed when the selection holds several arbiters.")


class TrainResult(BaseModel):
    training_conversation_id: int
    model_id: int
    message_count: int
    preference_pair_count: int
