from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from erpai.common import UTCDateTime

SettingType = Literal["int", "float", "bool", "str"]
SettingValue = int | float | bool | str


class SettingWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    value: Any = Field(description="A JSON value of the setting's type, within its bounds.")


class SettingRead(BaseModel):
    key: str
    value: SettingValue
    default: SettingValue
    type: SettingType
    description: str
    minimum: float | None
    maximum: float | None
    is_default: bool = Field(description="True while the setting was never set (or was reset).")
    updated_by_user_id: int | None
    updated_time_utc: UTCDateTime | None
