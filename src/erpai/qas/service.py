"""Q&As of a model: CRUD for its trainers (erpai.permissions), and all-or-nothing bulk import / export."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, TypeVarTuple

from sqlalchemy import Select, insert, or_, select
from sqlalchemy.orm import Session

from erpai.audit.service import record_change
from erpai.common import PageParams, fetch_page
from erpai.db import utcnow
from erpai.errors import NotFound
from erpai.permissions.service import readable_model_ids, require_train_model
from erpai.qas.io import QA_TYPE_CODES, ExportRow, QARow, export_chunks, parse_qas
from erpai.qas.models import ModelQA
from erpai.qas.schemas import QACreate, QAFilters, QAUpdate
from erpai.users.models import User

ENTITY = "model_qa"
Columns = TypeVarTuple("Columns")


def get_qa(session: Session, *, qa_id: int) -> ModelQA:
    qa = session.get(ModelQA, qa_id)
    if qa is None:
        raise NotFound(f"Q&A {qa_id} does not exist", field="qa_id")
    return qa


def _filtered(stmt: Select[*Columns], filters: QAFilters) -> Select[*Columns]:
    if filters.model_id is not None:
        stmt = stmt.where(ModelQA.model_id == filters.model_id)
    if filters.qa_type is not None:
        stmt = stmt.where(ModelQA.qa_type == QA_TYPE_CODES[filters.qa_type])
    if filters.is_active is not None:
        stmt = stmt.where(ModelQA.is_active.is_(filters.is_active))
    if filters.section is not None:
        stmt = stmt.where(ModelQA.section == filters.section)
    if filters.q:
        needle = filters.q
        stmt = stmt.where(
            or_(
                ModelQA.question.icontains(needle, autoescape=True),
                ModelQA.answer.icontains(needle, autoescape=True),
            )
        )
    return stmt.order_by(ModelQA.id)


def read_qa(session: Session, *, qa_id: int, actor: User) -> ModelQA:
    """One Q&A, for the trainers of its model."""
    qa = get_qa(session, qa_id=qa_id)
    require_train_model(session, user=actor, model_id=qa.model_id, field="qa_id")
    return qa


def list_qas(
    session: Session, *, params: PageParams, filters: QAFilters, actor: User
) -> tuple[list[ModelQA], int]:
    """One model's Q&As (403 unless the actor trains it); without a model, those of the models they train."""
    stmt = _filtered(select(ModelQA), filters)
    if filters.model_id is not None:
        require_train_model(session, user=actor, model_id=filters.model_id)
    else:
        readable = readable_model_ids(actor)
        if readable is not None:
            stmt = stmt.where(ModelQA.model_id.in_(readable))
    return fetch_page(session, stmt, params)


def create_qa(session: Session, *, data: QACreate, actor: User) -> ModelQA:
    """Adds a Q&A; the caller becomes its AddedByUser and the time is stamped (both read-only)."""
    require_train_model(session, user=actor, model_id=data.model_id)
    actor_id = actor.id
    now = utcnow()
    qa = ModelQA(
        model_id=data.model_id,
        question=data.question,
        answer=data.answer,
        section=data.section,
        qa_type=QA_TYPE_CODES[data.qa_type],
        is_active=data.is_active,
        creation_time_utc=now,
        deactivation_time_utc=None if data.is_active else now,
        added_by_user_id=actor_id,
        notes=data.notes,
    )
    session.add(qa)
    session.flush()
    record_change(session, user_id=actor_id, entity=ENTITY, entity_id=qa.id, action="create")
    session.commit()
    return qa


def _ensure_can_edit(session: Session, qa: ModelQA, actor: User) -> None:
    require_train_model(session, user=actor, model_id=qa.model_id, field="qa_id")


def update_qa(session: Session, *, qa_id: int, data: QAUpdate, actor: User) -> ModelQA:
    """Changes the sent fields; deactivating stamps DeactivationTimeUtc, reactivating clears it."""
    qa = get_qa(session, qa_id=qa_id)
    _ensure_can_edit(session, qa, actor)
    changes = data.model_dump(exclude_unset=True)
    if "qa_type" in changes:
        changes["qa_type"] = QA_TYPE_CODES[changes["qa_type"]]
    if "is_active" in changes and changes["is_active"] != qa.is_active:
        qa.deactivation_time_utc = None if changes["is_active"] else utcnow()
    for key, value in changes.items():
        setattr(qa, key, value)
    record_change(session, user_id=actor.id, entity=ENTITY, entity_id=qa.id, action="update", changes=changes)
    session.commit()
    return qa


def delete_qa(session: Session, *, qa_id: int, actor: User) -> None:
    qa = get_qa(session, qa_id=qa_id)
    _ensure_can_edit(session, qa, actor)
    session.delete(qa)
    record_change(session, user_id=actor.id, entity=ENTITY, entity_id=qa_id, action="delete")
    session.commit()


def import_qas(session: Session, *, model_id: int, content: str, fmt: str, actor: User) -> int:
    """Imports a whole CSV/JSONL file or nothing: every bad row is reported (ImportRejected)."""
    require_train_model(session, user=actor, model_id=model_id)
    actor_id = actor.id
    rows = parse_qas(content, fmt)
    if rows:
        # One bulk INSERT (executemany) in the use case's single transaction: 100k rows in seconds.
        session.execute(insert(ModelQA), _insert_values(rows, model_id=model_id, actor_id=actor_id))
    record_change(
        session,
        user_id=actor_id,
        entity="model",
        entity_id=model_id,
        action="import_qas",
        changes={"rows": len(rows), "format": fmt},
    )
    session.commit()
    return len(rows)


def _insert_values(rows: list[QARow], *, model_id: int, actor_id: int) -> list[dict[str, Any]]:
    now = utcnow()
    return [
        {
            "model_id": model_id,
            "question": row.question,
            "answer": row.answer,
            "section": row.section,
            "qa_type": row.qa_type,
            "is_active": row.is_active,
            "creation_time_utc": now,
            "deactivation_time_utc": None if row.is_active else now,
            "added_by_user_id": actor_id,
            "notes": None,
        }
        for row in rows
    ]


def export_qas(
    session: Session, *, model_id: int, fmt: str, filters: QAFilters, actor: User
) -> Iterator[str]:
    """The model's Q&As (filtered) as CSV or JSONL text chunks, in id order.

    The rows are read before the first chunk is returned, so the caller may close the session
    while the chunks are still being sent.
    """
    require_train_model(session, user=actor, model_id=model_id)
    columns = select(ModelQA.question, ModelQA.answer, ModelQA.section, ModelQA.qa_type, ModelQA.is_active)
    scoped = filters.model_copy(update={"model_id": model_id})
    rows: list[ExportRow] = [row.tuple() for row in session.execute(_filtered(columns, scoped))]
    return export_chunks(rows, fmt)
