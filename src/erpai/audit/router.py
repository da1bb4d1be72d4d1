from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from erpai.audit import service
from erpai.audit.schemas import AuditEntryRead
from erpai.auth import AdminUser, SessionDep
from erpai.common import Id, Page, PageParams, Search, page_params
from erpai.routing import SessionReleasingRoute

router = APIRouter(route_class=SessionReleasingRoute, prefix="/audit", tags=["audit"])


@router.get("", response_model=Page[AuditEntryRead])
def list_entries(
    session: SessionDep,
    _: AdminUser,
    params: Annotated[PageParams, Depends(page_params)],
    entity: Search | None = Query(default=None, description="e.g. model, user"),
    entity_id: Id | None = Query(default=None),
    user_id: Id | None = Query(default=None, description="Who made the change."),
) -> Page[AuditEntryRead]:
    rows, total = service.list_entries(
        session, params=params, entity=entity, entity_id=entity_id, user_id=user_id
    )
    return Page(items=[AuditEntryRead.from_row(r) for r in rows], total=total, **params.model_dump())
