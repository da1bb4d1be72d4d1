"""To-do use cases: from a chat comment or from a notification.

Permissions: a comment's to-do is made by a member of its group who may write there (observers only read);
a notification's to-do only by the notification's own user; a linked group must be one the caller writes
in. The caller is owner and assignee. With a linked group, the same transaction posts the system line
"Task '…' was assigned to the group" and notifies the group's other people. The AI call comes before any
write, so a provider failure (missing capability, timeout) leaves nothing half-written.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from erpai.chat.comments import add_comment, to_read
from erpai.chat.models import ChatComment, ChatGroup, ChatMember
from erpai.chat.service import get_group, require_writer
from erpai.errors import InvalidInput, NotFound
from erpai.notifications.models import Notification
from erpai.notifications.service import notify
from erpai.records.kinds import KINDS
from erpai.records.models import Todo
from erpai.records.service import RecordWrites
from erpai.todos.schemas import TodoCreated, TodoFromComment, TodoFromNotification
from erpai.todos.titles import chat_client, working_language, write_title
from erpai.users.models import User, UserType

NOTIFICATION_CLASS = "NT_TODO_ASSIGNED"


def create_todo_from_comment(session: Session, *, data: TodoFromComment, actor: User) -> TodoCreated:
    comment = session.get(ChatComment, data.comment_id)
    if comment is None:
        raise NotFound(f"comment {data.comment_id} does not exist", field="comment_id")
    require_writer(session, group_id=comment.group_id, user=actor)
    group = get_group(session, group_id=comment.group_id)
    text = to_read(session, [comment])[0].text
    return _create(
        session,
        actor=actor,
        manual_title=data.title,
        text=text,
        context=f"a comment in the chat group '{group.name}'",
        linked_record=_checked_record(session, data.linked_record),
        group=group,
    )


def create_todo_from_notification(
    session: Session, *, data: TodoFromNotification, actor: User
) -> TodoCreated:
    notification = session.get(Notification, data.notification_id)
    if notification is None or notification.user_id != actor.id:
        raise NotFound(f"notification {data.notification_id} does not exist", field="notification_id")
    group = None
    if data.group_id is not None:
        require_writer(session, group_id=data.group_id, user=actor)
        group = get_group(session, group_id=data.group_id)
    linked = data.linked_record or _object_of(notification)
    return _create(
        session,
        actor=actor,
        manual_title=data.title,
        text=notification.message,
        context=f"a notification with the subject '{notification.title}'",
        linked_record=_checked_record(session, linked),
        group=group,
    )


def _object_of(notification: Notification) -> str | None:
    kind, object_id = notification.data_object_type, notification.data_object_id
    return f"{kind}:{object_id}" if kind in KINDS and object_id is not None else None


def _checked_record(session: Session, ref: str | None) -> str | None:
    """``kind:id`` of an existing business record, or None."""
    if ref is None:
        return None
    kind, _, raw_id = ref.partition(":")
    spec = KINDS.get(kind)
    if spec is None:
        raise InvalidInput(f"linked_record: unknown record kind '{kind}'", field="linked_record")
    if not raw_id.isdigit() or session.get(spec.model, int(raw_id)) is None:
        raise NotFound(f"linked_record: {kind} record {raw_id} does not exist", field="linked_record")
    return ref


def _create(
    session: Session,
    *,
    actor: User,
    manual_title: str | None,
    text: str,
    context: str,
    linked_record: str | None,
    group: ChatGroup | None,
) -> TodoCreated:
    language = working_language(session, user=actor)
    title = manual_title.strip() if manual_title and manual_title.strip() else None
    manual = title is not None
    if title is None:
        client = chat_client(session)
        title = write_title(client, language=language, text=text, context=context)
    session.commit()  # end the read snapshot before writing (SQLite: a reader cannot become a writer)
    values = {
        "title": title,
        "description": f"From {context}:\n{text}",
        "assigned_user_id": actor.id,
        "owner_user_id": actor.id,
        "linked_record": linked_record,
        "linked_chat_group_id": group.id if group is not None else None,
        "state": "open",
    }
    writes = RecordWrites(session)  # saved as any record: its business rules fire first
    pending = writes.check(kind="todos", values=values)
    writes.write()
    todo: Todo = pending.written
    comment_id, notified = _tell_group(session, group=group, todo=todo, actor=actor) if group else (None, [])
    session.commit()
    return TodoCreated(
        todo=pending.record,
        title_source="manual" if manual else "ai",
        language=language,
        system_comment_id=comment_id,
        notified_user_ids=notified,
        warnings=[w.message for w in writes.warnings],
    )


def _tell_group(session: Session, *, group: ChatGroup, todo: Todo, actor: User) -> tuple[int, list[int]]:
    """The system line in the group and a notification to each of its people but the caller."""
    line = add_comment(
        session, group_id=group.id, user_id=actor.id, text=f"Task '{todo.title}' was assigned to the group",
        reply_to=None,
    )  # fmt: skip
    line.is_system = True
    members: Any = session.scalars(
        select(User)
        .join(ChatMember, ChatMember.user_id == User.id)
        .where(
            ChatMember.group_id == group.id,
            User.id != actor.id,
            User.is_active.is_(True),
            User.user_type == UserType.INTERNAL.value,
        )
        .order_by(User.id)
    )
    notified = []
    for member in members:
        notify(
            session,
            user_id=member.id,
            notification_class=NOTIFICATION_CLASS,
            title=f"Task '{todo.title}' in {group.name}",
            message=f"{actor.name} assigned the task '{todo.title}' to the group {group.name}.",
            data_object_type="todos",
            data_object_id=todo.id,
        )
        notified.append(member.id)
    return line.id, notified
