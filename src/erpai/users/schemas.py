from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from erpai.common import Id, ORMModel, Text, UTCDateTime
from erpai.limits import EMAIL_MAX, LOGIN_MAX, PERSON_NAME_MAX, TOKEN_NAME_MAX

PersonName = Annotated[str, Text(min_length=1, max_length=PERSON_NAME_MAX)]
Email = Annotated[str, Text(max_length=EMAIL_MAX)]

UserTypeName = Literal["internal", "virtual"]
LanguageCode = Annotated[
    str,
    Text(min_length=2, max_length=16, pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$"),
    Field(description='A language code such as "en", "de", "bg" or "pt-BR".'),
]


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
    working_language: LanguageCode | None = None


class MeUpdate(BaseModel):
    """What every user changes about themselves."""

    model_config = ConfigDict(extra="forbid")

    working_language: LanguageCode | None = Field(
        default=None, description="AI-written texts for you (to-do titles) are in this language."
    )


class UserRead(ORMModel):
    id: int
    login: str
    name: str
    email: str | None
    user_type: str
    is_admin: bool
    is_active: bool
    model_id: int | None
    working_language: str | None
    creation_time_utc: UTCDateTime


class TokenCreate(BaseModel):
    """Without ``expires_in_days`` or ``expires_time_utc`` the system setting ``auth.token_expiry_days``
    decides (0: never). ``expires_in_days: 0`` asks for a token that never expires."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Text(min_length=1, max_length=TOKEN_NAME_MAX)] = "default"
    expires_in_days: int | None = Field(default=None, ge=0, le=3650, description="0: never expires.")
    expires_time_utc: datetime | None = Field(
        default=None, description="An explicit expiry (UTC when no offset is given); must be in the future."
    )


class TokenRead(ORMModel):
    id: int
    user_id: int
    name: str
    token_prefix: str
    creation_time_utc: UTCDateTime
    last_used_time_utc: UTCDateTime | None = Field(description="Recorded at most once a minute.")
    revoked_time_utc: UTCDateTime | None
    expires_time_utc: UTCDateTime | None = Field(description="None: never expires.")


class TokenCreated(TokenRead):
    token: str = Field(description="Shown once; only its hash is stored.")
