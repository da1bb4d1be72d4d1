"""Exports: the exact fine-tune JSONL a fine-tune build would upload (SFT and DPO), training
conversations (the import format), hit history (CSV / JSONL, streamed in batches), build logs and metrics.

Every export checks the caller's rights first, in the service (API, CLI and MCP agree).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Row, Select, select
from sqlalchemy.orm import Session, selectinload

from erpai.ai_models.service import get_model
from erpai.compilations.finetune import training_data
from erpai.compilations.models import Compilation, ModelHit
from erpai.compilations.service import get_compilation
from erpai.compilations.snapshot import take_snapshot
from erpai.db import SessionOpener
from erpai.errors import Forbidden
from erpai.exports.schemas import BuildMetrics, HitFilters, TrainingKind
from erpai.model_access.service import require_trainer
from erpai.providers.finetune_data import to_jsonl
from erpai.training.models import TrainingConversation
from erpai.training.schemas import ROLE_NAMES
from erpai.users.models import User

HIT_FIELDS = (
    "id", "time_utc", "model_id", "compilation_id", "user_id", "channel", "question", "answer", "answered",
    "score", "source_type", "source_id", "from_memory", "feedback", "feedback_reason",
)  # fmt: skip
BATCH = 1000


def training_file(session: Session, *, user: User, model_id: int, kind: TrainingKind = "sft") -> bytes:
    """The JSONL a fine-tune compile of this model would upload now (``dpo``: the preference file)."""
    model = get_model(session, model_id=model_id)
    require_trainer(session, user=user, model=model)
    sft, dpo = training_data(session, model=model, inputs=take_snapshot(session, model=model))
    return to_jsonl(sft if kind == "sft" else dpo)


def conversation_lines(session: Session, *, user: User, model_id: int) -> Iterator[str]:
    """The model's own training conversations, one JSON line each, in the format that
    ``POST /models/{id}/training-conversations/import`` and ``erpai conversation import`` read."""
    model = get_model(session, model_id=model_id)
    require_trainer(session, user=user, model=model)
    stmt = (
        select(TrainingConversation)
        .where(TrainingConversation.model_id == model.id)
        .options(selectinload(TrainingConversation.messages))
        .order_by(TrainingConversation.id)
    )
    lines = [json.dumps(conversation_record(c), ensure_ascii=False) + "\n" for c in session.scalars(stmt)]
    return iter(lines)


def conversation_record(conversation: TrainingConversation) -> dict[str, Any]:
    messages = [
        {
            "role": ROLE_NAMES.get(m.participant_role, "user"),
            "name": m.participant_name,
            "content": m.contents,
            "message_time_utc": m.message_time_utc.isoformat(),
        }
        for m in conversation.messages
    ]
    return {"messages": messages, "notes": conversation.notes}


# -- hit history --------------------------------------------------------------------------------------------


def _require_admin(user: User, what: str) -> None:
    if not user.is_admin:
        raise Forbidden(f"exporting {what} needs an admin")


def _hit_query(filters: HitFilters) -> Select[Any]:
    """Plain columns, not ORM objects: an export reads many rows."""
    stmt = select(*(getattr(ModelHit, name) for name in HIT_FIELDS)).order_by(ModelHit.id)
    since, until = filters.window()
    if filters.model_id is not None:
        stmt = stmt.where(ModelHit.model_id == filters.model_id)
    if filters.channel:
        stmt = stmt.where(ModelHit.channel == filters.channel)
    if filters.answered is not None:
        stmt = stmt.where(ModelHit.answered.is_(filters.answered))
    if filters.feedback is not None:
        stmt = stmt.where(ModelHit.feedback == filters.feedback)
    if since is not None:
        stmt = stmt.where(ModelHit.time_utc >= since)
    if until is not None:
        stmt = stmt.where(ModelHit.time_utc < until)
    return stmt


def hit_chunks(
    session: Session, *, user: User, filters: HitFilters, fmt: str, opener: SessionOpener
) -> Iterator[str]:
    """The hit history as CSV or JSONL text chunks. Admins only. Rows are read in batches of
    ``BATCH`` by id, each in a short session of its own, so any history size streams in constant memory
    and no transaction stays open while the client reads."""
    _require_admin(user, "the hit history")
    if filters.model_id is not None:
        get_model(session, model_id=filters.model_id)
    return _hit_batches(_hit_query(filters), fmt, opener)


def _hit_batches(stmt: Select[Any], fmt: str, opener: SessionOpener) -> Iterator[str]:
    if fmt == "csv":
        yield ",".join(HIT_FIELDS) + "\r\n"
    last_id = 0
    while True:
        with opener() as session:
            rows = [_hit_row(r) for r in session.execute(stmt.where(ModelHit.id > last_id).limit(BATCH))]
        if not rows:
            return
        last_id = int(rows[-1]["id"])
        yield _render_hits(rows, fmt)


def _hit_row(values: Row[Any]) -> dict[str, Any]:
    row = dict(zip(HIT_FIELDS, values, strict=True))
    row["time_utc"] = row["time_utc"].isoformat()
    return row


def _render_hits(rows: list[dict[str, Any]], fmt: str) -> str:
    if fmt == "jsonl":
        return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerows([("" if r[f] is None else r[f]) for f in HIT_FIELDS] for r in rows)
    return buffer.getvalue()


# -- builds -------------------------------------------------------------------------------------------------


def _build(session: Session, *, user: User, compilation_id: int) -> Compilation:
    compilation = get_compilation(session, compilation_id=compilation_id)
    require_trainer(session, user=user, model=get_model(session, model_id=compilation.model_id))
    return compilation


def build_log(session: Session, *, user: User, compilation_id: int) -> str:
    return _build(session, user=user, compilation_id=compilation_id).build_log or ""


def build_metrics(session: Session, *, user: User, compilation_id: int) -> BuildMetrics:
    compilation = _build(session, user=user, compilation_id=compilation_id)
    assets = {a.asset_key: a.value for a in compilation.assets}
    model = get_model(session, model_id=compilation.model_id)
    return BuildMetrics(
        compilation_id=compilation.id,
        model_id=compilation.model_id,
        kind=compilation.kind,
        status=compilation.status,
        is_successful=compilation.is_successful,
        start_time_utc=compilation.start_time_utc,
        completion_time_utc=compilation.completion_time_utc,
        validation_score=compilation.validation_score,
        compiled_model_name=compilation.compiled_model_name,
        active=model.conversational_compilation_id == compilation.id,
        metrics=_json(assets.pop("metrics", None)) or {},
        calibration=_json(assets.pop("calibration", None)),
        assets=assets,
    )


def _json(value: str | None) -> Any:
    if not value:
        return None
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        return None
