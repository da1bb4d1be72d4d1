"""Who may do what with a model, and the grants behind it (decisions.md, "Permissions").

The policy:

- Admins (``User.is_admin``) may do everything, and only they configure (providers, models, compiles,
  users) and grant or revoke rights.
- Per model, admins grant ``train`` (edit its Q&As and training conversations, read its Q&As, build
  logs and assets, see its hit history) and ``use`` (ask it, pick it as assistant). ``train`` implies
  ``use``. A model with no grants at all is usable by everyone and trainable by admins only.
- A training conversation made from a chat (Train AI, origin ``CHT``) is readable by the members of that
  chat group and by the model's trainers; any other training conversation by the model's trainers.
  Only trainers change training conversations. Train AI itself needs membership of the group (writer)
  AND the train right on the target model.
- Q&As are training data: trainers read them; users who may only *use* a model do not.
- Compilations' status fields are public; their ``build_log`` is left out (``None``) for users who do
  not train the model, and their assets answer 403.

Denials, one rule: **403 Forbidden** where the caller may know the thing exists, i.e. for everything
under a model (models are listed to every signed-in user): a Q&A, an import, an export, the hits, the
build assets, a user-entered training conversation. **404 Not Found** where the existence itself is
private: a chat-made training conversation of a group the caller is not in (and, elsewhere, someone
else's assistant conversation); the 404 reads exactly like a missing id, so ids leak nothing.

All checks are keyword-only functions taking the acting ``User``; services call them, so the API, the
CLI (``--as``) and any other front-end agree.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, Select, and_, exists, or_, select, true
from sqlalchemy.orm import Session

from erpai.ai_models.models import AIModel
from erpai.ai_models.service import get_model
from erpai.audit.service import record_change
from erpai.chat.models import ChatMember
from erpai.errors import Conflict, Forbidden, InvalidInput, NotFound
from erpai.permissions.models import ModelGrant, Right
from erpai.permissions.schemas import GrantRead
from erpai.training.models import Origin, TrainingConversation
from erpai.users.models import User, UserType
from erpai.users.service import get_user

CHAT_GROUP = "chat_group"  # TrainingConversation.origin_object_type of Train AI conversations


def _has_right(session: Session, *, user: User, model_id: int, rights: tuple[str, ...]) -> bool:
    stmt = select(ModelGrant.id).where(
        ModelGrant.model_id == model_id, ModelGrant.user_id == user.id, ModelGrant.right.in_(rights)
    )
    return session.scalar(stmt.limit(1)) is not None


def model_has_grants(session: Session, *, model_id: int) -> bool:
    return session.scalar(select(ModelGrant.id).where(ModelGrant.model_id == model_id).limit(1)) is not None


def can_train_model(session: Session, *, user: User, model_id: int) -> bool:
    return user.is_admin or _has_right(session, user=user, model_id=model_id, rights=(Right.TRAIN.value,))


def can_use_model(session: Session, *, user: User, model_id: int) -> bool:
    if user.is_admin or not model_has_grants(session, model_id=model_id):
        return True
    return _has_right(session, user=user, model_id=model_id, rights=(Right.TRAIN.value, Right.USE.value))


def require_train_model(session: Session, *, user: User, model_id: int, field: str = "model_id") -> None:
    """403 unless the user trains the model (the model must exist: 404 otherwise)."""
    model = get_model(session, model_id=model_id)
    if not can_train_model(session, user=user, model_id=model_id):
        raise Forbidden(
            f"you may not train model '{model.name}': ask an admin for the train right", field=field
        )


def require_use_model(session: Session, *, user: User, model_id: int, field: str = "model_id") -> None:
    """403 unless the user may ask the model (the model must exist: 404 otherwise)."""
    model = get_model(session, model_id=model_id)
    if not can_use_model(session, user=user, model_id=model_id):
        raise Forbidden(f"you may not use model '{model.name}': ask an admin for the use right", field=field)


def trainable_model_ids(user: User) -> Select[int] | None:
    """The ids of the models the user trains, for list filters; None means every model (admins)."""
    if user.is_admin:
        return None
    return select(ModelGrant.model_id).where(
        ModelGrant.user_id == user.id, ModelGrant.right == Right.TRAIN.value
    )


def readable_model_ids(user: User) -> Select[int] | None:
    """Models whose training data (Q&As) the user reads: those they train; None means all (admins)."""
    return trainable_model_ids(user)


def member_group_ids(user: User) -> Select[int]:
    return select(ChatMember.group_id).where(ChatMember.user_id == user.id)


def readable_conversations(user: User) -> ColumnElement[bool]:
    """SQL condition on TrainingConversation: the ones this user may read."""
    trained = trainable_model_ids(user)
    if trained is None:
        return true()
    from_my_groups = and_(
        TrainingConversation.origin == Origin.CHAT.value,
        TrainingConversation.origin_object_type == CHAT_GROUP,
        TrainingConversation.origin_object_id.in_(member_group_ids(user)),
    )
    return or_(TrainingConversation.model_id.in_(trained), from_my_groups)


def is_chat_made(conversation: TrainingConversation) -> bool:
    return conversation.origin == Origin.CHAT.value and conversation.origin_object_type == CHAT_GROUP


def require_read_conversation(session: Session, *, user: User, conversation: TrainingConversation) -> None:
    """Trainers, and for a chat-made conversation the group's members; a hidden chat one reads as missing."""
    if can_train_model(session, user=user, model_id=conversation.model_id):
        return
    if is_chat_made(conversation):
        member = session.scalar(
            select(
                exists().where(
                    ChatMember.group_id == conversation.origin_object_id, ChatMember.user_id == user.id
                )
            )
        )
        if member:
            return
        raise NotFound(f"training conversation {conversation.id} does not exist", field="conversation_id")
    require_train_model(session, user=user, model_id=conversation.model_id, field="conversation_id")


def require_edit_conversation(session: Session, *, user: User, conversation: TrainingConversation) -> None:
    """Reading comes first (so a hidden one stays a 404); changing needs the train right."""
    require_read_conversation(session, user=user, conversation=conversation)
    require_train_model(session, user=user, model_id=conversation.model_id, field="conversation_id")


def require_admin(user: User) -> None:
    if not user.is_admin:
        raise Forbidden("this needs an admin")


def require_admin_user(session: Session, *, user_id: int) -> None:
    """For services that take the acting user's id: 403 unless that user is an admin."""
    require_admin(get_user(session, user_id=user_id))


def require_use_arbiters(session: Session, *, user: User, user_ids: Sequence[int], field: str) -> None:
    """Adding a model's virtual user to a chat group lets the group ask it: that needs the use right."""
    if user_ids:
        for model in session.scalars(select(AIModel).where(AIModel.virtual_user_id.in_(user_ids))):
            require_use_model(session, user=user, model_id=model.id, field=field)


def _read(grant: ModelGrant, login: str) -> GrantRead:
    return GrantRead.model_validate(
        {**{c: getattr(grant, c) for c in GrantRead.model_fields if c != "user_login"}, "user_login": login}
    )


def list_grants(session: Session, *, model_id: int, actor: User) -> list[GrantRead]:
    require_admin(actor)
    get_model(session, model_id=model_id)
    rows = session.execute(
        select(ModelGrant, User.login)
        .join(User, User.id == ModelGrant.user_id)
        .where(ModelGrant.model_id == model_id)
        .order_by(ModelGrant.id)
    )
    return [_read(grant, login) for grant, login in rows]


def grant(session: Session, *, model_id: int, user_id: int, right: str, actor: User) -> GrantRead:
    """Gives ``right`` (train or use) on the model to an internal user; a second identical grant is a 409."""
    require_admin(actor)
    get_model(session, model_id=model_id)
    user = get_user(session, user_id=user_id)
    if right not in {r.value for r in Right}:
        raise InvalidInput(f"right must be train or use (got {right!r})", field="right")
    if user.user_type != UserType.INTERNAL.value:
        raise InvalidInput(
            f"user '{user.login}' is a virtual user: rights go to people only", field="user_id"
        )
    if _has_right(session, user=user, model_id=model_id, rights=(right,)):
        raise Conflict(
            f"user '{user.login}' already has the {right} right on model {model_id}", field="right"
        )
    row = ModelGrant(model_id=model_id, user_id=user.id, right=right, granted_by_user_id=actor.id)
    session.add(row)
    session.flush()
    record_change(
        session,
        user_id=actor.id,
        entity="model",
        entity_id=model_id,
        action="grant",
        changes={"user_id": user.id, "right": right},
    )
    session.commit()
    return _read(row, user.login)


def find_grant(session: Session, *, model_id: int, user_id: int, right: str) -> ModelGrant:
    row = session.scalar(
        select(ModelGrant).where(
            ModelGrant.model_id == model_id, ModelGrant.user_id == user_id, ModelGrant.right == right
        )
    )
    if row is None:
        raise NotFound(f"user {user_id} has no {right} right on model {model_id}", field="right")
    return row


def revoke(session: Session, *, model_id: int, grant_id: int, actor: User) -> None:
    require_admin(actor)
    row = session.get(ModelGrant, grant_id)
    if row is None or row.model_id != model_id:
        raise NotFound(f"grant {grant_id} of model {model_id} does not exist", field="grant_id")
    session.delete(row)
    record_change(
        session,
        user_id=actor.id,
        entity="model",
        entity_id=model_id,
        action="revoke",
        changes={"user_id": row.user_id, "right": row.right},
    )
    session.commit()
