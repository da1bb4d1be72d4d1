"""Notifications to a user (e.g. NT_COMPILATION_COMPLETION when a compile they started ends)."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from erpai.common import PageParams, fetch_page
from erpai.db import utcnow
from erpai.errors import InvalidInput, NotFound
from erpai.notifications.models import Notification

TITLE_LENGTH = 256


def notify(
    session: Session,
    *,
    user_id: int,
    notification_class: str,
    title: str,
    message: str,
    data_object_type: str | None = None,
    data_object_id: int | None = None,
) -> Notification:
    """Adds a notification inside the caller's transaction (flushes, never commits)."""
    if not notification_class.strip():
        raise InvalidInput("a notification needs a class", field="notification_class")
    notification = Notification(
        user_id=user_id,
        notification_class=notification_class,
        # The column is bounded; a long model name must not make the caller's transaction fail.
        title=title if len(title) <= TITLE_LENGTH else title[: TITLE_LENGTH - 1] + "…",
        message=message,
        data_object_type=data_object_type,
        data_object_id=data_object_id,
    )
    session.add(notification)
    session.flush()
    return notification


def list_notifications(
    session: Session, *, user_id: int, params: PageParams, unread: bool | None = None
) -> tuple[list[Notification], int]:
    stmt = select(Notification).where(Notification.user_id == user_id).order_by(Notification.id.desc())
    if unread is True:
        stmt = stmt.where(Notification.read_time_utc.is_(None))
    elif unread is False:
        stmt = stmt.where(Notification.read_time_utc.is_not(None))
    return fetch_page(session, stmt, params)


def mark_read(session: Session, *, notification_id: int, user_id: int) -> Notification:
    """Idempotent: the first read time is kept."""
    notification = session.get(Notification, notification_id)
    if notification is None or notification.user_id != user_id:
        raise NotFound(f"notification {notification_id} does not exist", field="notification_id")
    if notification.read_time_utc is None:
        notification.read_time_utc = utcnow()
        session.commit()
    return notification


def mark_all_read(session: Session, *, user_id: int) -> int:
    """Marks every unread notification of the user as read; returns how many."""
    result = session.execute(
        update(Notification)
        .where(Notification.user_id == user_id, Notification.read_time_utc.is_(None))
        .values(read_time_utc=utcnow())
        .execution_options(synchronize_session="fetch")
    )
    session.commit()
    return int(getattr(result, "rowcount", 0) or 0)
