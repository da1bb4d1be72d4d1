"""A whole model in one JSONL file: its settings, Q&As and training conversations (with their Train AI
corrections), for another installation. Ids are not carried: the import makes new rows; the provider
and the parent are matched by name when they exist there."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import insert, select
from sqlalchemy.orm import Session, selectinload

from erpai.ai_models.models import AIModel
from erpai.ai_models.schemas import ModelCreate
from erpai.ai_models.service import get_model
from erpai.audit.service import record_change
from erpai.db import utcnow
from erpai.errors import Conflict, Forbidden, InvalidInput
from erpai.exports.schemas import ModelImportResult
from erpai.exports.service import conversation_record
from erpai.providers.models import Provider
from erpai.qas.io import QA_TYPE_CODES, QA_TYPE_NAMES, ImportRejected, RowError, load_json_object
from erpai.qas.models import ModelQA
from erpai.qas.schemas import QACreate
from erpai.training.io import ConversationLine
from erpai.training.models import PreferencePair, TrainingConversation
from erpai.training.service import add_conversation
from erpai.users.models import User

FORMAT = "erpai-model"
VERSION = 1
SETTINGS = (
    "name", "build_assistant", "auto_update_to_latest_build", "system_message", "notes",
    "quality_gate_enabled", "quality_gate_margin", "fallback_answer", "prefer_curated_answer",
)  # fmt: skip


def _require_admin(user: User) -> None:
    if not user.is_admin:
        raise Forbidden("exporting or importing a whole model needs an admin")


def export_model(session: Session, *, user: User, model_id: int) -> Iterator[str]:
    """The file as lines: a header with the settings, then one line per Q&A and per conversation."""
    _require_admin(user)
    model = get_model(session, model_id=model_id)
    lines = [_line({"kind": FORMAT, "version": VERSION, "model": _settings(session, model)})]
    qas = select(ModelQA).where(ModelQA.model_id == model.id).order_by(ModelQA.id)
    lines.extend(_line(_qa_record(qa)) for qa in session.scalars(qas))
    conversations = (
        select(TrainingConversation)
        .where(TrainingConversation.model_id == model.id)
        .options(selectinload(TrainingConversation.messages))
        .order_by(TrainingConversation.id)
    )
    for conversation in session.scalars(conversations):
        pairs = session.scalars(
            select(PreferencePair)
            .where(PreferencePair.training_conversation_id == conversation.id)
            .order_by(PreferencePair.id)
        )
        record = {"kind": "conversation", **conversation_record(conversation)}
        record["preference_pairs"] = [
            {"prompt": p.prompt, "rejected_answer": p.rejected_answer, "corrected_answer": p.corrected_answer}
            for p in pairs
        ]
        lines.append(_line(record))
    return iter(lines)


def _line(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False, default=str) + "\n"


def _settings(session: Session, model: AIModel) -> dict[str, Any]:
    values: dict[str, Any] = {key: getattr(model, key) for key in SETTINGS}
    provider = session.get(Provider, model.provider_id) if model.provider_id else None
    parent = session.get(AIModel, model.parent_model_id) if model.parent_model_id else None
    values["provider"] = provider.name if provider else None
    values["parent"] = parent.name if parent else None
    return values


def _qa_record(qa: ModelQA) -> dict[str, Any]:
    return {
        "kind": "qa",
        "question": qa.question,
        "answer": qa.answer,
        "section": qa.section,
        "qa_type": QA_TYPE_NAMES[qa.qa_type],
        "is_active": qa.is_active,
        "notes": qa.notes,
    }


# -- import -------------------------------------------------------------------------------------------------


class _Pair(BaseModel):
    model_config = ConfigDict(extra="forbid")

    prompt: str = Field(min_length=1)
    rejected_answer: str
    corrected_answer: str = Field(min_length=1)


class _Conversation(ConversationLine):
    kind: str = "conversation"
    preference_pairs: list[_Pair] = Field(default_factory=list)


class _Bundle:
    def __init__(self) -> None:
        self.settings: dict[str, Any] | None = None
        self.qas: list[QACreate] = []
        self.conversations: list[_Conversation] = []


def _parse(lines: Iterable[str]) -> _Bundle:
    bundle, errors = _Bundle(), list[RowError]()
    for number, raw in enumerate(lines, start=1):
        data = load_json_object(raw, number, errors)
        if data is None:
            continue
        kind = data.pop("kind", None)
        try:
            if number == 1:
                if (
                    kind != FORMAT
                    or data.get("version") != VERSION
                    or not isinstance(data.get("model"), dict)
                ):
                    raise ValueError(f"the first line must be an {FORMAT} header of version {VERSION}")
                bundle.settings = data["model"]
            elif kind == "qa":
                # model_id: a placeholder for validation; the rows get the new model's id on insert
                bundle.qas.append(QACreate.model_validate({"model_id": 1, **data}))
            elif kind == "conversation":
                bundle.conversations.append(_Conversation.model_validate(data))
            else:
                raise ValueError(f"unknown line kind {kind!r} (qa or conversation)")
        except ValidationError as exc:
            errors.extend(
                RowError(number, ".".join(map(str, e["loc"])) or None, e["msg"]) for e in exc.errors()
            )
        except ValueError as exc:
            errors.append(RowError(number, "kind", str(exc)))
    if bundle.settings is None and not errors:
        errors.append(RowError(1, None, "the file is empty"))
    if errors:
        raise ImportRejected(errors)
    return bundle


def import_model(
    session: Session, *, user: User, lines: Iterable[str], name: str | None = None
) -> ModelImportResult:
    """Creates a new model from an exported file, all or nothing (ImportRejected lists every bad line)."""
    _require_admin(user)
    bundle = _parse(lines)
    assert bundle.settings is not None
    settings, warnings = _model_values(session, bundle.settings, name)
    try:
        data = ModelCreate.model_validate(settings)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise InvalidInput(
            f"model settings: {first['msg']}", field=".".join(map(str, first["loc"]))
        ) from None
    model = _create(session, data=data, user=user)
    if bundle.qas:
        session.execute(
            insert(ModelQA), [_qa_values(q, model_id=model.id, actor_id=user.id) for q in bundle.qas]
        )
    pairs = 0
    for item in bundle.conversations:
        conversation = add_conversation(
            session, model_id=model.id, messages=item.messages, notes=item.notes, actor=user
        )
        for pair in item.preference_pairs:
            session.add(PreferencePair(training_conversation_id=conversation.id, **pair.model_dump()))
            pairs += 1
    record_change(session, user_id=user.id, entity="model", entity_id=model.id, action="import_model",
                  changes={"qas": len(bundle.qas), "conversations": len(bundle.conversations)})  # fmt: skip
    session.commit()
    return ModelImportResult(
        model_id=model.id,
        name=model.name,
        qas=len(bundle.qas),
        conversations=len(bundle.conversations),
        preference_pairs=pairs,
        warnings=warnings,
    )


def _create(session: Session, *, data: ModelCreate, user: User) -> AIModel:
    """The model row, only flushed: the whole import is one transaction. The provider and the parent
    were found by name here; the name must be free (or pass another one)."""
    if session.scalar(select(AIModel.id).where(AIModel.name == data.name)) is not None:
        raise Conflict(
            f"a model named '{data.name}' already exists: import it under another name", field="name"
        )
    model = AIModel(**data.model_dump())
    session.add(model)
    session.flush()
    return model


def _model_values(
    session: Session, settings: dict[str, Any], name: str | None
) -> tuple[dict[str, Any], list[str]]:
    values = {key: settings[key] for key in SETTINGS if key in settings}
    if name:
        values["name"] = name
    warnings: list[str] = []
    for key, model_class, column in (
        ("provider", Provider, "provider_id"),
        ("parent", AIModel, "parent_model_id"),
    ):
        wanted = settings.get(key)
        if not wanted:
            continue
        found = session.scalar(select(model_class.id).where(model_class.name == wanted))
        if found is None:
            warnings.append(f"{key} '{wanted}' does not exist here: the model has none")
        values[column] = found
    return values, warnings


def _qa_values(qa: QACreate, *, model_id: int, actor_id: int) -> dict[str, Any]:
    now = utcnow()
    return {
        "model_id": model_id,
        "question": qa.question,
        "answer": qa.answer,
        "section": qa.section,
        "qa_type": QA_TYPE_CODES[qa.qa_type],
        "is_active": qa.is_active,
        "creation_time_utc": now,
        "deactivation_time_utc": None if qa.is_active else now,
        "added_by_user_id": actor_id,
        "notes": qa.notes,
    }
