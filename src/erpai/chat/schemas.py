from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from erpai.common import ORMModel

RoleName = Literal["member", "admin", "observer"]


class GroupCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=256)
    notes: str | None = None
    member_ids: list[int] = Field(
        default_factory=list, description="Users added as members; the creator is admin."
    )


class GroupRead(ORMModel):
    id: int
    name: str
    notes: str | None
    created_by_user_id: int | None
    creation_time_utc: datetime
    last_interaction_time_utc: datetime | None


class MemberAdd(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_id: int
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
    join_time_utc: datetime


class CommentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=20_000, description="Mention people as @login or {@user:ID}.")
    reply_to_comment_id: int | None = None


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
    creation_time_utc: datetime


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

    comment_ids: list[int] = Field(min_length=1, max_length=1000)
    model_id: int | None = Field(
        default=None, description="Needed when the selection holds several arbiters."
    )


class TrainResult(BaseModel):
    training_conversation_id: int
    model_id: int
    message_count: int
    preference_pair_count: int
