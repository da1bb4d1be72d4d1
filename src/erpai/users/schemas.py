from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from erpai.common import Id, ORMModel, Text, UTCDateTime
from erpai.limits import EMAIL_MAX, LOGIN_MAX, PERSON_NAME_MAX, TOKEN_NAME_MAX

PersonName = Annotated[str, Text(min_length=1, max_length=PERSON_NAME_MAX)]
Email = Annotated[str, Text(max_length=EMAIL_MAX)]

UserTypeName = Literal["internal", "virtual"]


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    login: Annotated[str, Text(min_length=1, max_length=LOGIN_MAX, pattern=r"^[A-Za-z0-9_.@-]+$")]
    name: PersonName
    email: Email | None = None
    user_type: UserTypeName = "internal"
    is_admin: bool = False


class UserUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: PersonName | None = None
    email: Email | None = None
    is_admin: bool | None = None
    is_active: bool | None = None
    model_id: Id | None = None


class UserRead(ORMModel):
    id: int
    login: str
    name: str
    email: str | None
    user_type: str
    is_admin: bool
    is_active: bool
    model_id: int | None
    creation_time_utc: UTCDateTime


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Text(min_length=1, max_length=TOKEN_NAME_MAX)] = "default"


class TokenRead(ORMModel):
    id: int
    user_id: int
    name: str
    token_prefix: str
    creation_time_utc: UTCDateTime
    last_used_time_utc: UTCDateTime | None
    revoked_time_utc: UTCDateTime | None


class TokenCreated(TokenRead):
    token: str = Field(description="Shown once; only its hash is stored.")
