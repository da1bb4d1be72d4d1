"""What the MCP tools and resources do, as plain service calls made with the caller's own User."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from erpai.answering.grounding import retrieve
from erpai.answering.schemas import DEFAULT_FALLBACK_ANSWER
from erpai.answering.service import answer_question, load_active_build
from erpai.compilations.models import Compilation
from erpai.compilations.provider_embedder import resolve_embedder
from erpai.errors import InvalidInput, NotFound
from erpai.ingest import service as ingest
from erpai.ingest.schemas import InvoiceConfirm
from erpai.model_access.service import require_trainer, resolve_model, usable_models
from erpai.qas import service as qas
from erpai.qas.schemas import QACreate, QAFilters, QARead
from erpai.users.models import User

CHANNEL = "mcp"
MAX_MATCHES = 20


def list_models(session: Session, *, user: User) -> list[dict[str, Any]]:
    return [
        {
            "id": slug,
            "name": model.name,
            "model_id": model.id,
            "is_default": model.is_default,
            "compiled": model.conversational_compilation_id is not None,
            "parent_model_id": model.parent_model_id,
        }
        for slug, model in usable_models(session, user=user)
    ]


def ask_model(session: Session, *, user: User, model: str, question: str) -> dict[str, Any]:
    """Answers like ``POST /api/v1/models/{id}/ask`` (curated first, grounded generation, fallback)."""
    slug, target = resolve_model(session, user=user, ref=model)
    fallback = target.fallback_answer or DEFAULT_FALLBACK_ANSWER
    result = answer_question(session, model_id=target.id, question=question, channel=CHANNEL, user_id=user.id)
    text = result.answer if result.answered and result.answer else fallback
    return {"model": slug, "answer": text, **result.model_dump(mode="json", exclude={"answer"})}


def search_knowledge(
    session: Session, *, user: User, model: str, query: str, limit: int = 5
) -> list[dict[str, Any]]:
    """The best matches of the model's active build: Q&A / training-conversation ids with their text."""
    _, target = resolve_model(session, user=user, ref=model)
    if not query.strip():
        raise InvalidInput("query must not be empty", field="query")
    build = load_active_build(session, model=target)
    if build is None:
        raise NotFound(f"model '{target.name}' has no active build: compile it first", field="model")
    embedder = resolve_embedder(session, build[1].embedder)
    _, matches = retrieve(build[1], query.strip(), top_k=max(1, min(limit, MAX_MATCHES)), embedder=embedder)
    return [{"compilation_id": build[0], **m.model_dump(mode="json")} for m in matches]


def add_qa(
    session: Session, *, user: User, model: str, question: str, answer: str, validation: bool = False
) -> dict[str, Any]:
    """Adds a Q&A as the caller; needs the train right on the model."""
    _, target = resolve_model(session, user=user, ref=model)
    require_trainer(session, user=user, model=target)
    data = QACreate(
        model_id=target.id,
        question=question,
        answer=answer,
        qa_type="validation" if validation else "training",
    )
    created = qas.create_qa(session, data=data, actor=user)
    return QARead.model_validate(created).model_dump(mode="json")


def model_qas(session: Session, *, user: User, model: str) -> str:
    """The model's Q&As as JSONL (the import format); trainers only."""
    _, target = resolve_model(session, user=user, ref=model)
    require_trainer(session, user=user, model=target)
    return "".join(qas.export_qas(session, model_id=target.id, fmt="jsonl", filters=QAFilters(), actor=user))


def build_log(session: Session, *, user: User, model: str) -> str:
    """The active build's log (else the newest build's); trainers only."""
    _, target = resolve_model(session, user=user, ref=model)
    require_trainer(session, user=user, model=target)
    compilation_id = target.conversational_compilation_id
    row = session.get(Compilation, compilation_id) if compilation_id is not None else None
    if row is None:
        newest = select(Compilation).where(Compilation.model_id == target.id).order_by(Compilation.id.desc())
        row = session.scalars(newest.limit(1)).first()
    if row is None:
        raise NotFound(f"model '{target.name}' has no build yet", field="model")
    header = {"compilation_id": row.id, "kind": row.kind, "successful": row.is_successful}
    return f"# {json.dumps(header)}\n{row.build_log or ''}"


def ingest_invoice(
    session: Session,
    *,
    user: User,
    filename: str,
    content_base64: str,
    confirm: bool = False,
    supplier_id: int | None = None,
) -> dict[str, Any]:
    """``POST /api/v1/ingest/invoices`` (and with ``confirm`` its ``/confirm``, unreviewed) as the caller."""
    ingest.check_size(len(content_base64) * 3 // 4)  # before decoding a too large file
    try:
        data = base64.b64decode(content_base64, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput("content_base64 is not valid base64", field="content_base64") from None
    proposal = ingest.ingest_invoice(session, data=data, filename=filename[:256] or None, actor=user)
    out: dict[str, Any] = {"proposal": proposal.model_dump(mode="json")}
    if confirm:
        edits = InvoiceConfirm(supplier_id=supplier_id)
        done = ingest.confirm_invoice(session, proposal_id=proposal.id, edits=edits, actor=user)
        out["confirmed"] = done.model_dump(mode="json")
    return out
