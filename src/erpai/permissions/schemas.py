from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from erpai.common import Id, ORMModel, UTCDateTime

RightName = Literal["train", "use"]


class GrantCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_id: Id
    right: RightName


class GrantRead(ORMModel):
    id: int
    model_id: int
    user_id: int
    user_login: str
    right: RightName
    granted_by_user_id: int | None
    creation_time_utc: UTCDateTime
