"""Audit trail helper: called inside a use case's transaction; it only adds, never commits."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.orm import Session

from erpai.audit.models import AuditEntry


def record_change(
    session: Session,
    *,
    user_id: int | None,
    entity: str,
    entity_id: int,
    action: str,
    changes: dict[str, Any] | None = None,
) -> None:
    session.add(
        AuditEntry(
            user_id=user_id,
            entity=entity,
            entity_id=entity_id,
            action=action,
            changes_json=json.dumps(changes, default=str) if changes else None,
        )
    )
