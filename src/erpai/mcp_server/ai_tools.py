"""The MCP tools of the AI business tools: ``create_lead`` and ``create_todo``, run as the caller."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from erpai.errors import InvalidInput
from erpai.ingest import lead_save
from erpai.todos import service as todos
from erpai.todos.schemas import TodoFromComment, TodoFromNotification
from erpai.users.models import User


def create_lead(
    session: Session, *, user: User, text: str, save: bool, allow_duplicate: bool
) -> dict[str, Any]:
    """The lead proposed from ``text`` with its flags and duplicates; saved as proposed when ``save``."""
    proposal = lead_save.extract_lead(session, text=text, eml=None, actor=user)
    out: dict[str, Any] = {"proposal": proposal.model_dump(mode="json")}
    if save:
        data = lead_save.as_saved_lead(proposal.fields, source="text", allow_duplicate=allow_duplicate)
        out["saved"] = lead_save.save_lead(session, data=data, actor=user).model_dump(mode="json")
    return out


def create_todo(
    session: Session,
    *,
    user: User,
    comment_id: int | None,
    notification_id: int | None,
    title: str | None,
    linked_record: str | None,
) -> dict[str, Any]:
    """A to-do from a chat comment or one of the caller's notifications (exactly one of the two)."""
    if (comment_id is None) == (notification_id is None):
        raise InvalidInput("give exactly one of comment_id or notification_id", field="comment_id")
    if comment_id is not None:
        data = TodoFromComment(comment_id=comment_id, title=title, linked_record=linked_record)
        created = todos.create_todo_from_comment(session, data=data, actor=user)
    else:
        note = TodoFromNotification(
            notification_id=notification_id or 0, title=title, linked_record=linked_record
        )
        created = todos.create_todo_from_notification(session, data=note, actor=user)
    return created.model_dump(mode="json")
