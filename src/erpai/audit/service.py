"""Audit trail helper: called inside a use case's transaction; it only adds, never commits."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from erpai.audit.models import AuditEntry
from erpai.common import PageParams, fetch_page


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


def list_entries(
    session: Session,
    *,
    params: PageParams,
    entity: str | None = None,
    entity_id: int | None = None,
    user_id: int | None = None,
) -> tuple[list[AuditEntry], int]:
    """Newest first."""
    stmt = select(AuditEntry).order_by(AuditEntry.id.desc())
    if entity:
        stmt = stmt.where(AuditEntry.entity == entity)
    if entity_id is not None:
        stmt = stmt.where(AuditEntry.entity_id == entity_id)
    if user_id is not None:
        stmt = stmt.where(AuditEntry.user_id == user_id)
    return fetch_page(session, stmt, params)
