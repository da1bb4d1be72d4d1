"""Training conversations and their messages (for the model's trainers, see erpai.permissions);
the training pairs the compiler snapshots."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from erpai.audit.service import record_change
from erpai.common import PageParams, fetch_page
from erpai.db import utcnow
from erpai.errors import Conflict, InvalidInput, NotFound
from erpai.limits import QUESTION_MAX
from erpai.permissions.service import (
    readable_conversations,
    require_edit_conversation,
    require_read_conversation,
    require_train_model,
)
from erpai.training.io import parse_conversations
from erpai.training.models import (
    SYSTEM_PARTICIPANT,
    Origin,
    ParticipantRole,
    PreferencePair,
    TrainingConversation,
    TrainingConversationMessage,
)
from erpai.training.schemas import ROLE_CODES, ConversationUpdate, MessageIn, MessageUpdate
from erpai.users.models import User

ENTITY = "training_conversation"
ORIGIN_CODES = {o.value for o in Origin}


def get_conversation(session: Session, *, conversation_id: int) -> TrainingConversation:
    conversation = session.get(TrainingConversation, conversation_id)
    if conversation is None:
        raise NotFound(f"training conversation {conversation_id} does not exist", field="conversation_id")
    return conversation


def read_conversation(session: Session, *, conversation_id: int, actor: User) -> TrainingConversation:
    """For the model's trainers and, when made from a chat, the group's members (else 403 / 404)."""
    conversation = get_conversation(session, conversation_id=conversation_id)
    require_read_conversation(session, user=actor, conversation=conversation)
    return conversation


def list_conversations(
    session: Session,
    *,
    params: PageParams,
    actor: User,
    model_id: int | None = None,
    origin: str | None = None,
) -> tuple[list[TrainingConversation], int]:
    """The conversations the actor may read; ``origin`` is a stored code (USR, CHT, ...)."""
    stmt = (
        select(TrainingConversation)
        .where(readable_conversations(actor))
        .order_by(TrainingConversation.id)
    )
    if model_id is not None:
        stmt = stmt.where(TrainingConversation.model_id == model_id)
    if origin is not None:
        stmt = stmt.where(TrainingConversation.origin == origin)
    return fetch_page(session, stmt, params)


def message_counts(session: Session, *, conversation_ids: Sequence[int]) -> dict[int, int]:
    conv = TrainingConversationMessage.training_conversation_id
    stmt = select(conv, func.count()).where(conv.in_(conversation_ids)).group_by(conv)
    return {cid: int(n) for cid, n in session.execute(stmt)}


def _new_message(number: int, data: MessageIn) -> TrainingConversationMessage:
    return TrainingConversationMessage(
        message_no=number,
        participant_role=ROLE_CODES[data.role],
        participant_name=data.name,
        contents=data.content,
        message_time_utc=data.message_time_utc or utcnow(),
    )


def add_conversation(
    session: Session,
    *,
    model_id: int,
    messages: Sequence[MessageIn],
    origin: str = Origin.USER_ENTERED.value,
    origin_object_type: str | None = None,
    origin_object_id: int | None = None,
    notes: str | None = None,
    actor: User,
) -> TrainingConversation:
    """Like create_conversation but only flushes, for use cases that write more in the same transaction.

    Needs the train right on the model (403).
    """
    require_train_model(session, user=actor, model_id=model_id)
    actor_id = actor.id
    if origin not in ORIGIN_CODES:
        allowed = ", ".join(sorted(ORIGIN_CODES))
        raise InvalidInput(f"origin must be one of {allowed} (got {origin!r})", field="origin")
    now = utcnow()
    conversation = TrainingConversation(
        model_id=model_id,
        origin=origin,
        origin_object_type=origin_object_type,
        origin_object_id=origin_object_id,
        creation_time_utc=now,
        last_update_time_utc=now,
        created_by_user_id=actor_id,
        notes=notes,
        messages=[_new_message(number, m) for number, m in enumerate(messages, start=1)],
    )
    session.add(conversation)
    session.flush()
    record_change(session, user_id=actor_id, entity=ENTITY, entity_id=conversation.id, action="create")
    return conversation


def create_conversation(
    session: Session,
    *,
    model_id: int,
    messages: Sequence[MessageIn],
    origin: str = Origin.USER_ENTERED.value,
    origin_object_type: str | None = None,
    origin_object_id: int | None = None,
    notes: str | None = None,
    actor: User,
) -> TrainingConversation:
    """Creates a conversation with its messages numbered 1..n; ``origin`` is a code (USR, CHT, ...).

    The API always passes USR; Train AI from a chat passes CHT with the group as the origin object.
    """
    conversation = add_conversation(
        session,
        model_id=model_id,
        messages=messages,
        origin=origin,
        origin_object_type=origin_object_type,
        origin_object_id=origin_object_id,
        notes=notes,
        actor=actor,
    )
    session.commit()
    return conversation


def _ensure_can_edit(session: Session, conversation: TrainingConversation, actor: User) -> None:
    require_edit_conversation(session, user=actor, conversation=conversation)


def _touch(conversation: TrainingConversation) -> None:
    # Any change to the aggregate (its messages included) moves LastUpdateTimeUtc and its object_version.
    conversation.last_update_time_utc = utcnow()


def update_conversation(
    session: Session, *, conversation_id: int, data: ConversationUpdate, actor: User
) -> TrainingConversation:
    conversation = get_conversation(session, conversation_id=conversation_id)
    _ensure_can_edit(session, conversation, actor)
    if data.object_version is not None and data.object_version != conversation.object_version:
        raise Conflict("the conversation was changed by someone else; reload it", field="object_version")
    changes = data.model_dump(exclude_unset=True, exclude={"object_version"})
    if "model_id" in changes:
        require_train_model(session, user=actor, model_id=changes["model_id"])
    for key, value in changes.items():
        setattr(conversation, key, value)
    _touch(conversation)
    record_change(
        session, user_id=actor.id, entity=ENTITY, entity_id=conversation.id, action="update", changes=changes
    )
    session.commit()
    return conversation


def delete_conversation(session: Session, *, conversation_id: int, actor: User) -> None:
    conversation = get_conversation(session, conversation_id=conversation_id)
    _ensure_can_edit(session, conversation, actor)
    session.delete(conversation)
    record_change(session, user_id=actor.id, entity=ENTITY, entity_id=conversation_id, action="delete")
    session.commit()


def list_messages(
    session: Session, *, conversation_id: int, actor: User
) -> list[TrainingConversationMessage]:
    return list(read_conversation(session, conversation_id=conversation_id, actor=actor).messages)


def _get_message(session: Session, *, conversation_id: int, message_id: int) -> TrainingConversationMessage:
    message = session.get(TrainingConversationMessage, message_id)
    if message is None or message.training_conversation_id != conversation_id:
        message_text = f"message {message_id} of conversation {conversation_id} does not exist"
        raise NotFound(message_text, field="message_id")
    return message


def add_message(
    session: Session, *, conversation_id: int, data: MessageIn, actor: User
) -> TrainingConversationMessage:
    """Appends a message numbered max(MessageNo) + 1."""
    conversation = get_conversation(session, conversation_id=conversation_id)
    _ensure_can_edit(session, conversation, actor)
    last = session.scalar(
        select(func.max(TrainingConversationMessage.message_no)).where(
            TrainingConversationMessage.training_conversation_id == conversation_id
        )
    )
    message = _new_message((last or 0) + 1, data)
    conversation.messages.append(message)
    _touch(conversation)
    session.flush()
    record_change(session, user_id=actor.id, entity=ENTITY, entity_id=conversation_id, action="add_message")
    session.commit()
    return message


def update_message(
    session: Session, *, conversation_id: int, message_id: int, data: MessageUpdate, actor: User
) -> TrainingConversationMessage:
    conversation = get_conversation(session, conversation_id=conversation_id)
    _ensure_can_edit(session, conversation, actor)
    message = _get_message(session, conversation_id=conversation_id, message_id=message_id)
    changes = data.model_dump(exclude_unset=True)
    columns = {"role": "participant_role", "name": "participant_name", "content": "contents"}
    for key, value in changes.items():
        setattr(message, columns.get(key, key), ROLE_CODES[value] if key == "role" else value)
    _touch(conversation)
    record_change(
        session,
        user_id=actor.id,
        entity=ENTITY,
        entity_id=conversation_id,
        action="update_message",
        changes={"message_id": message_id, **changes},
    )
    session.commit()
    return message


def delete_message(session: Session, *, conversation_id: int, message_id: int, actor: User) -> None:
    """Deletes one message; the others keep their numbers (MessageNo is not renumbered)."""
    conversation = get_conversation(session, conversation_id=conversation_id)
    _ensure_can_edit(session, conversation, actor)
    message = _get_message(session, conversation_id=conversation_id, message_id=message_id)
    conversation.messages.remove(message)
    _touch(conversation)
    record_change(
        session,
        user_id=actor.id,
        entity=ENTITY,
        entity_id=conversation_id,
        action="delete_message",
        changes={"message_id": message_id},
    )
    session.commit()


def import_conversations(session: Session, *, model_id: int, content: str, actor: User) -> int:
    """Imports a JSONL file of conversations (origin USR): all lines or none (ImportRejected)."""
    require_train_model(session, user=actor, model_id=model_id)
    items = parse_conversations(content)
    for _, item in items:
        add_conversation(
            session, model_id=model_id, messages=item.messages, notes=item.notes, actor=actor
        )
    session.commit()
    return len(items)


@dataclass(frozen=True)
class TrainingTurn:
    """A user turn of a training conversation and the assistant reply to it, message by message."""

    conversation_id: int
    questions: tuple[str, ...]
    replies: tuple[str, ...]

    @property
    def question(self) -> str:
        return "\n".join(self.questions)

    @property
    def reply(self) -> str:
        return "\n".join(self.replies)


def correction_question(prompt: str) -> str:
    """The question a Train AI correction (a preference pair) answers, one text wherever it is used: what a
    build learns and remembers it as, and what its regression case asks. It is the pair's prompt, the last
    message its asker posted before the AI answered (what the arbiter was asked), not the whole user turn:
    a greeting or a remark posted before it is no part of the question a user asks again."""
    return prompt.strip()[:QUESTION_MAX].strip()


def snapshot_training_pairs(session: Session, *, model_ids: list[int]) -> list[TrainingTurn]:
    """Each user -> assistant turn of those models' training conversations.

    Consecutive user messages form one turn and consecutive assistant messages one reply (``question``
    and ``reply`` join them with a newline); system messages are skipped, also a chat's system event line
    that Train AI stores as a user message of the "System User" (a "Bob joined" between a question and the
    AI's reply must not split the turn); a turn without a reply (or a reply without a turn) is left out.
    """
    if not model_ids:
        return []
    msg = TrainingConversationMessage
    stmt = (
        select(msg.training_conversation_id, msg.participant_role, msg.participant_name, msg.contents)
        .join(TrainingConversation, TrainingConversation.id == msg.training_conversation_id)
        .where(TrainingConversation.model_id.in_(model_ids))
        .order_by(msg.training_conversation_id, msg.message_no)
    )
    turns: list[TrainingTurn] = []
    current: int | None = None
    user_turn: list[str] = []
    reply: list[str] = []
    for conversation_id, role, name, text in session.execute(stmt):
        if role == ParticipantRole.USER.value and name == SYSTEM_PARTICIPANT:
            continue
        starts_turn = conversation_id != current or (role == ParticipantRole.USER.value and reply)
        if starts_turn:
            if current is not None and user_turn and reply:
                turns.append(TrainingTurn(current, tuple(user_turn), tuple(reply)))
            current, user_turn, reply = conversation_id, [], []
        if role == ParticipantRole.USER.value:
            user_turn.append(text)
        elif role == ParticipantRole.ASSISTANT.value and user_turn:
            reply.append(text)
    if current is not None and user_turn and reply:
        turns.append(TrainingTurn(current, tuple(user_turn), tuple(reply)))
    return turns


def list_preference_pairs(session: Session, *, conversation_id: int) -> list[PreferencePair]:
    """The correction pairs (rejected AI answer, person's correction) a Train AI conversation holds."""
    get_conversation(session, conversation_id=conversation_id)
    stmt = select(PreferencePair).where(PreferencePair.training_conversation_id == conversation_id)
    return list(session.scalars(stmt.order_by(PreferencePair.id)))
