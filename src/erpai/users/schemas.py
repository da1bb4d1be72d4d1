from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from erpai.common import ORMModel

UserTypeName = Literal["internal", "virtual"]


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    login: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")
    name: str = Field(min_length=1, max_length=254)
    email: str | None = Field(default=None, max_length=254)
    user_type: UserTypeName = "internal"
    is_admin: bool = False


class UserUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=254)
    email: str | None = Field(default=None, max_length=254)
    is_admin: bool | None = None
    is_active: bool | None = None
    model_id: int | None = None


class UserRead(ORMModel):
    id: int
    login: str
    name: str
    email: str | None
    user_type: str
    is_admin: bool
    is_active: bool
    model_id: int | None
    creation_time_utc: datetime


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(default="default", min_length=1, max_length=128)


class TokenRead(ORMModel):
    id: int
    user_id: int
    name: str
    token_prefix: str
    creation_time_utc: datetime
    last_used_time_utc: datetime | None
    revoked_time_utc: datetime | None


class TokenCreated(TokenRead):
    token: str = Field(description="Shown once; only its hash is stored.")
