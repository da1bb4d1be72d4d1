from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from erpai.auth import CurrentUser, SessionDep
from erpai.common import Id, Page, PageParams, page_params
from erpai.notifications import service
from erpai.notifications.schemas import MarkedRead, NotificationRead
from erpai.routing import SessionReleasingRoute

router = APIRouter(route_class=SessionReleasingRoute, prefix="/notifications", tags=["notifications"])


@router.get("", response_model=Page[NotificationRead])
def list_notifications(
    session: SessionDep,
    user: CurrentUser,
    params: Annotated[PageParams, Depends(page_params)],
    unread: bool | None = Query(default=None, description="true: unread only; false: read only."),
) -> Page[NotificationRead]:
    rows, total = service.list_notifications(session, user_id=user.id, params=params, unread=unread)
    return Page(items=[NotificationRead.model_validate(r) for r in rows], total=total, **params.model_dump())


@router.post("/read-all", response_model=MarkedRead)
def mark_all_read(session: SessionDep, user: CurrentUser) -> MarkedRead:
    return MarkedRead(marked=service.mark_all_read(session, user_id=user.id))


@router.post("/{notification_id}/read", response_model=NotificationRead)
def mark_read(notification_id: Id, session: SessionDep, user: CurrentUser) -> NotificationRead:
    return NotificationRead.model_validate(
        service.mark_read(session, notification_id=notification_id, user_id=user.id)
    )
