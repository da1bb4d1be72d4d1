from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from erpai.audit.models import AuditEntry
from erpai.common import UTCDateTime


class AuditEntryRead(BaseModel):
    id: int
    user_id: int | None
    entity: str
    entity_id: int
    action: str
    changes: dict[str, Any] | None
    time_utc: UTCDateTime

    @classmethod
    def from_row(cls, row: AuditEntry) -> AuditEntryRead:
        return cls(
            id=row.id,
            user_id=row.user_id,
            entity=row.entity,
            entity_id=row.entity_id,
            action=row.action,
            changes=json.loads(row.changes_json) if row.changes_json else None,
            time_utc=row.time_utc,
        )
