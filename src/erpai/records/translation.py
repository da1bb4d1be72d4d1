"""Translating a multilanguage field (``{"en": "Chair", "de": "Stuhl"}``) of a record with the default model.

Two modes: without a target, the field is translated into every active language that has no value yet,
from the chosen source language or else the first active language that has one; with a target, from the
chosen (or first available) source into that one language, replacing its value. One structured-output
call answers every target (``{"de": "...", "fr": "..."}``); the save goes through the ordinary record save,
so business rules fire and nothing is written when the provider fails.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from erpai.errors import InvalidInput
from erpai.providers.base import ProviderClient, ProviderError
from erpai.records.kinds import kind_spec
from erpai.records.languages import ai_chat_client, language_name
from erpai.records.service import get_record, save_record
from erpai.records.values import active_languages
from erpai.users.models import User
from erpai.users.schemas import LanguageCode

VALUE_MAX = 1000  # a multilanguage value's limit (records.values)
TRANSLATE_TIMEOUT_S = 120.0


class TranslateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    field: str = Field(max_length=64, description="A multilanguage field of the kind, e.g. name.")
    source_language: LanguageCode | None = Field(
        default=None, description="Default: the first active language that has a value."
    )
    target_language: LanguageCode | None = Field(
        default=None, description="Only this language (its value is replaced); default: every empty one."
    )


class TranslationRead(BaseModel):
    record: dict[str, Any]
    field: str
    source_language: str | None
    translated: dict[str, str] = Field(description="The new values by language; empty when none was missing.")
    warnings: list[str] = Field(default_factory=list, description="AIWARN messages of business rules.")


def translate_field(
    session: Session, *, kind: str, record_id: int, data: TranslateRequest, actor: User | None
) -> TranslationRead:
    """Any signed-in user may translate, as they may edit records."""
    del actor  # records are written by every signed-in user; kept for the signature every front-end calls
    spec = kind_spec(kind)
    field = spec.field(data.field)
    if field is None or field.type != "multilang":
        names = [f.name for f in spec.fields if f.type == "multilang"]
        raise InvalidInput(
            f"field: '{data.field}' is not a multilanguage field of {kind} "
            f"(multilanguage fields: {', '.join(names) or 'none'})",
            field="field",
        )
    record = get_record(session, kind=kind, record_id=record_id)
    current: dict[str, str] = dict(record.get(data.field) or {})
    languages = active_languages(session)
    source, targets = _plan(current, languages, data)
    if not targets:
        return TranslationRead(record=record, field=data.field, source_language=source, translated={})
    client = ai_chat_client(
        session,
        what="translating a field",
        way_out="type the translations in the record's form",
        field="field",
    )
    translated = _ask(
        client, text=current[source], source=source, targets=targets, what=f"{kind} {data.field}"
    )
    saved, firing = save_record(
        session, kind=kind, values={data.field: current | translated}, record_id=record_id
    )
    return TranslationRead(
        record=saved,
        field=data.field,
        source_language=source,
        translated=translated,
        warnings=[w.message for w in firing.warnings],
    )


def _plan(current: dict[str, str], languages: list[str], data: TranslateRequest) -> tuple[str, list[str]]:
    """The source language and the target languages (checked: active, different, source has a value)."""
    for name, code in (("source_language", data.source_language), ("target_language", data.target_language)):
        if code is not None and code not in languages:
            raise InvalidInput(
                f"{name}: '{code}' is not an active language (active: {', '.join(languages)})", field=name
            )
    if data.source_language is not None and data.source_language == data.target_language:
        raise InvalidInput("target_language: it is the source language", field="target_language")
    candidates = [data.source_language] if data.source_language else languages
    source = next((c for c in candidates if c and c != data.target_language and current.get(c)), None)
    if source is None:
        which = f"in '{data.source_language}'" if data.source_language else "in any other active language"
        raise InvalidInput(f"{data.field} has no text {which} to translate from", field="source_language")
    if data.target_language is not None:
        return source, [data.target_language]
    return source, [code for code in languages if code != source and not current.get(code)]


def _ask(client: ProviderClient, *, text: str, source: str, targets: list[str], what: str) -> dict[str, str]:
    wanted = ", ".join(f"{language_name(t)} ({t})" for t in targets)
    instructions = (
        f"You translate the {what} of a business record from {language_name(source)} ({source}) into "
        f"{wanted}. Keep names, codes, numbers and units as they are; translate the meaning, short as the "
        f"original. Answer with JSON only: one key per language code ({', '.join(targets)})."
    )
    schema = {
        "type": "object",
        "properties": {t: {"type": "string"} for t in targets},
        "required": targets,
        "additionalProperties": False,
    }
    messages = [{"role": "system", "content": instructions}, {"role": "user", "content": text}]
    result = client.complete(
        messages, temperature=0.0, max_tokens=2000, timeout_s=TRANSLATE_TIMEOUT_S, json_schema=schema
    )
    out = {}
    for target in targets:
        value = " ".join(str(result.data[target]).replace("\x00", "").split())
        if not value:
            raise ProviderError(
                f"provider '{client.name}' gave an empty {target} translation", code="bad_output"
            )
        out[target] = value[:VALUE_MAX]
    return out
