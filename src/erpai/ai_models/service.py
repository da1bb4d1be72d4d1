"""Models: configuration, hierarchy and the rules of the reference."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from erpai.ai_models.models import AIModel
from erpai.ai_models.schemas import HierarchyNode, ModelCreate, ModelUpdate
from erpai.audit.service import record_change
from erpai.common import PageParams, fetch_page
from erpai.errors import Conflict, InvalidInput, NotFound
from erpai.providers.models import Provider
from erpai.users.models import User, UserType
from erpai.users.schemas import UserCreate

ENTITY = "model"


def get_model(session: Session, *, model_id: int) -> AIModel:
    model = session.get(AIModel, model_id)
    if model is None:
        raise NotFound(f"model {model_id} does not exist", field="model_id")
    return model


def find_model(session: Session, *, ref: str) -> AIModel:
    """A model by numeric id or exact name (CLI references)."""
    stmt = (
        select(AIModel).where(AIModel.id == int(ref))
        if ref.isdigit()
        else select(AIModel).where(AIModel.name == ref)
    )
    model = session.scalar(stmt)
    if model is None:
        raise NotFound(f"model '{ref}' does not exist", field="model")
    return model


def descendant_ids(session: Session, *, model_id: int) -> list[int]:
    """The model and all its descendants, any depth (the hierarchy is kept acyclic on write)."""
    found = [model_id]
    frontier = [model_id]
    while frontier:
        children = list(session.scalars(select(AIModel.id).where(AIModel.parent_model_id.in_(frontier))))
        children = [c for c in children if c not in found]
        found.extend(children)
        frontier = children
    return found


def find_default_model(session: Session) -> AIModel | None:
    return session.scalar(select(AIModel).where(AIModel.is_default.is_(True)).order_by(AIModel.id))


def list_models(
    session: Session,
    *,
    params: PageParams,
    name: str | None = None,
    parent_model_id: int | None = None,
    provider_id: int | None = None,
    is_default: bool | None = None,
    build_assistant: bool | None = None,
) -> tuple[list[AIModel], int]:
    stmt = select(AIModel).order_by(AIModel.id)
    if name:
        stmt = stmt.where(AIModel.name.ilike(f"%{_escape_like(name)}%", escape="\\"))
    if parent_model_id is not None:
        stmt = stmt.where(AIModel.parent_model_id == parent_model_id)
    if provider_id is not None:
        stmt = stmt.where(AIModel.provider_id == provider_id)
    if is_default is not None:
        stmt = stmt.where(AIModel.is_default.is_(is_default))
    if build_assistant is not None:
        stmt = stmt.where(AIModel.build_assistant.is_(build_assistant))
    return fetch_page(session, stmt, params)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def create_model(session: Session, *, data: ModelCreate, actor_id: int | None) -> AIModel:
    values = data.model_dump()
    _validate(session, model_id=None, values=values)
    if data.is_default:
        _clear_default(session, keep_id=None, actor_id=actor_id)
    model = AIModel(**values)
    session.add(model)
    session.flush()
    record_change(
        session, user_id=actor_id, entity=ENTITY, entity_id=model.id, action="create", changes=values
    )
    _commit(session)
    return model


def update_model(session: Session, *, model_id: int, data: ModelUpdate, actor_id: int | None) -> AIModel:
    model = get_model(session, model_id=model_id)
    if data.object_version is not None and data.object_version != model.object_version:
        raise Conflict(
            f"model {model_id} is at version {model.object_version}, not {data.object_version}; reload it",
            field="object_version",
        )
    changes = {k: v for k, v in data.changes().items() if getattr(model, k) != v}
    _validate(session, model_id=model.id, values=changes)
    if changes.get("is_default"):
        _clear_default(session, keep_id=model.id, actor_id=actor_id)
    for key, value in changes.items():
        setattr(model, key, value)
    if changes:
        record_change(
            session, user_id=actor_id, entity=ENTITY, entity_id=model.id, action="update", changes=changes
        )
    _commit(session)
    return model


def delete_model(session: Session, *, model_id: int, actor_id: int | None) -> None:
    """Deletes the model with its Q&As, training conversations, builds and assistant conversations;
    its children lose their parent (they are kept)."""
    model = get_model(session, model_id=model_id)
    record_change(
        session,
        user_id=actor_id,
        entity=ENTITY,
        entity_id=model.id,
        action="delete",
        changes={"name": model.name},
    )
    session.delete(model)
    _commit(session)
    # The database set the children's parent to NULL; refresh what this session holds.
    session.expire_all()


def model_hierarchy(session: Session, *, model_id: int) -> list[HierarchyNode]:
    """The model and its descendants, breadth first, with their depth below it."""
    root = get_model(session, model_id=model_id)
    nodes = [HierarchyNode(id=root.id, name=root.name, parent_model_id=root.parent_model_id, depth=0)]
    frontier, seen, depth = [root.id], {root.id}, 0
    while frontier:
        depth += 1
        stmt = select(AIModel).where(AIModel.parent_model_id.in_(frontier)).order_by(AIModel.id)
        children = [c for c in session.scalars(stmt) if c.id not in seen]
        nodes.extend(
            HierarchyNode(id=c.id, name=c.name, parent_model_id=c.parent_model_id, depth=depth)
            for c in children
        )
        seen.update(c.id for c in children)
        frontier = [c.id for c in children]
    return nodes


def ensure_virtual_user(session: Session, *, login: str, name: str, create: bool) -> User:
    """The virtual user with this login; made on the spot (flushed, not committed) when ``create``."""
    user = session.scalar(select(User).where(User.login == login))
    if user is not None:
        return user
    if not create:
        raise NotFound(
            f"user '{login}' does not exist (add --create-virtual-user to make it)", field="virtual_user"
        )
    data = UserCreate(login=login, name=name, user_type="virtual")
    user = User(login=data.login, name=data.name, user_type=UserType.VIRTUAL.value)
    session.add(user)
    session.flush()
    return user


def _validate(session: Session, *, model_id: int | None, values: dict[str, Any]) -> None:
    """Checks every rule before anything is written, so a rejected change leaves no trace."""
    if values.get("name") is not None:
        _check_name_free(session, name=values["name"], model_id=model_id)
    if values.get("provider_id") is not None and session.get(Provider, values["provider_id"]) is None:
        raise InvalidInput(f"provider {values['provider_id']} does not exist", field="provider_id")
    if values.get("parent_model_id") is not None:
        _check_parent(session, model_id=model_id, parent_id=values["parent_model_id"])
    if values.get("virtual_user_id") is not None:
        _check_virtual_user(session, model_id=model_id, user_id=values["virtual_user_id"])


def _check_name_free(session: Session, *, name: str, model_id: int | None) -> None:
    other = session.scalar(select(AIModel.id).where(AIModel.name == name))
    if other is not None and other != model_id:
        raise Conflict(f"a model named '{name}' already exists", field="name")


def _check_parent(session: Session, *, model_id: int | None, parent_id: int) -> None:
    if session.get(AIModel, parent_id) is None:
        raise InvalidInput(f"parent model {parent_id} does not exist", field="parent_model_id")
    if model_id is not None and parent_id in descendant_ids(session, model_id=model_id):
        raise Conflict(
            f"model {parent_id} is this model or one of its descendants; the hierarchy would form a cycle",
            field="parent_model_id",
        )


def _check_virtual_user(session: Session, *, model_id: int | None, user_id: int) -> None:
    user = session.get(User, user_id)
    if user is None:
        raise InvalidInput(f"user {user_id} does not exist", field="virtual_user_id")
    if user.user_type != UserType.VIRTUAL.value:
        raise InvalidInput(f"user '{user.login}' is not a virtual user", field="virtual_user_id")
    owner = session.scalar(select(AIModel).where(AIModel.virtual_user_id == user_id))
    if owner is not None and owner.id != model_id:
        raise Conflict(
            f"virtual user '{user.login}' already answers for model '{owner.name}'", field="virtual_user_id"
        )


def _clear_default(session: Session, *, keep_id: int | None, actor_id: int | None) -> None:
    """Only one default model: the previous one stops being it in the same transaction."""
    stmt = select(AIModel).where(AIModel.is_default.is_(True))
    for other in session.scalars(stmt):
        if other.id == keep_id:
            continue
        other.is_default = False
        record_change(
            session,
            user_id=actor_id,
            entity=ENTITY,
            entity_id=other.id,
            action="update",
            changes={"is_default": False},
        )
    # Flushed before the new default is written, so the partial unique index never sees two.
    session.flush()


def _commit(session: Session) -> None:
    """Commits; a race the checks could not see (same name, second default) becomes a clear 409."""
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise Conflict(
            "the change conflicts with a concurrent change (duplicate name, virtual user "
            "or default model); retry"
        ) from exc
