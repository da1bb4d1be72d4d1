from __future__ import annotations

from pydantic import BaseModel, computed_field

from erpai.common import ORMModel, UTCDateTime


class NotificationRead(ORMModel):
    id: int
    user_id: int
    notification_class: str
    title: str
    message: str
    data_object_type: str | None
    data_object_id: int | None
    creation_time_utc: UTCDateTime
    read_time_utc: UTCDateTime | None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def is_read(self) -> bool:
        return self.read_time_utc is not None


class MarkedRead(BaseModel):
    marked: int
