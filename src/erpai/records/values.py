"""Field values: caller input checked and converted per field (errors name the field), rows as JSON."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy.orm import Session

from erpai.common import as_utc, check_text
from erpai.errors import InvalidInput
from erpai.limits import MAX_INT
from erpai.records.kinds import FieldSpec, KindSpec
from erpai.settings.service import get_setting

LANGUAGES_SETTING = "records.active_languages"
_PUNCT = re.compile("[.\\-_,'\"`()\u00b4\u2018\u2019\u201c\u201d]+")


def active_languages(session: Session) -> list[str]:
    raw = str(get_setting(session, key=LANGUAGES_SETTING))
    return [code.strip() for code in raw.split(",") if code.strip()] or ["en"]


def normalize_name(name: str) -> str:
    """Company names for matching: no dots, dashes or quotes, one space, case-folded."""
    text = unicodedata.normalize("NFKC", name)
    return " ".join(_PUNCT.sub(" ", text).split()).casefold()


def clean_values(
    spec: KindSpec, raw: dict[str, Any], *, languages: list[str], partial: bool, later: Collection[str] = ()
) -> dict[str, Any]:
    """Checks ``raw`` against the kind's fields; ``partial`` for updates (missing fields stay); ``later``:
    reference fields the caller fills once the record they point to is written (same transaction)."""
    if not isinstance(raw, dict):
        raise InvalidInput("the record must be a JSON object", field="record")
    known = {f.name: f for f in spec.fields if not f.derived}
    unknown = sorted(set(raw) - set(known) - {"id", "object_version"})
    if unknown:
        raise InvalidInput(
            f"unknown field '{unknown[0]}' for {spec.name}; fields: {', '.join(known)}", field=unknown[0]
        )
    values: dict[str, Any] = {}
    for name, field in known.items():
        if name in raw:
            values[name] = convert(field, raw[name], languages=languages)
        missing = values.get(name, None if partial else raw.get(name)) in (None, "", {})
        if field.required and missing and name not in later and (not partial or name in raw):
            raise InvalidInput(f"{name} is required", field=name)
    if spec.name == "parties" and values.get("name"):
        values["normalized_name"] = normalize_name(values["name"])
    return values


def convert(field: FieldSpec, value: Any, *, languages: list[str]) -> Any:
    if value is None or (value == "" and field.type not in ("str", "text")):
        return None
    converter = _CONVERTERS[field.type]
    return converter(field, value, languages)


def _str(field: FieldSpec, value: Any, _languages: list[str]) -> str:
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise InvalidInput(f"{field.name} must be text", field=field.name)
    text = str(value).strip()
    try:
        check_text(text)
    except ValueError as exc:
        raise InvalidInput(f"{field.name} {exc}", field=field.name) from None
    if field.max_length and len(text) > field.max_length:
        raise InvalidInput(f"{field.name} is longer than {field.max_length} characters", field=field.name)
    return text


def _number(field: FieldSpec, value: Any, _languages: list[str]) -> Decimal:
    try:
        if isinstance(value, bool):
            raise InvalidOperation
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise InvalidInput(f"{field.name} must be a number", field=field.name) from None
    if not number.is_finite() or abs(number) >= Decimal(10) ** 14:
        raise InvalidInput(f"{field.name} is out of range", field=field.name)
    return number


def _date(field: FieldSpec, value: Any, _languages: list[str]) -> date:
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise InvalidInput(f"{field.name} must be a date YYYY-MM-DD", field=field.name) from None


def _ref(field: FieldSpec, value: Any, _languages: list[str]) -> int:
    text = str(value).strip()
    if isinstance(value, bool) or not text.isascii() or not text.isdigit() or not 1 <= int(text) <= MAX_INT:
        raise InvalidInput(f"{field.name} must be a record id, not {str(value)[:40]!r}", field=field.name)
    return int(str(value).strip())


def _choice(field: FieldSpec, value: Any, _languages: list[str]) -> str:
    if value not in field.choices:
        raise InvalidInput(f"{field.name} must be one of {', '.join(field.choices)}", field=field.name)
    return str(value)


def _multilang(field: FieldSpec, value: Any, languages: list[str]) -> dict[str, str]:
    """A plain string is the first active language's value; a dict names languages."""
    if isinstance(value, str):
        value = {languages[0]: value}
    if not isinstance(value, dict):
        raise InvalidInput(f"{field.name} must be text or {{language: text}}", field=field.name)
    cleaned: dict[str, str] = {}
    for language, text in value.items():
        if not isinstance(language, str) or not language.isascii():
            raise InvalidInput(f"{field.name}: bad language code", field=field.name)
        if language not in languages:
            raise InvalidInput(
                f"{field.name}: language '{language}' is not active (active: {', '.join(languages)})",
                field=f"{field.name}.{language}",
            )
        cleaned[language] = _str(FieldSpec(f"{field.name}.{language}", max_length=1000), text, languages)
    if not any(cleaned.values()):
        raise InvalidInput(f"{field.name} needs a value in at least one language", field=field.name)
    return cleaned


_CONVERTERS = {
    "str": _str,
    "text": _str,
    "number": _number,
    "date": _date,
    "ref": _ref,
    "choice": _choice,
    "multilang": _multilang,
}


def row_to_dict(spec: KindSpec, row: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"id": row.id}
    for field in spec.fields:
        value = getattr(row, field.name)
        if isinstance(value, Decimal):
            value = float(value)
        elif isinstance(value, date):
            value = value.isoformat()
        out[field.name] = value
    out["created_time_utc"] = as_utc(row.created_time_utc).isoformat() if row.created_time_utc else None
    out["updated_time_utc"] = as_utc(row.updated_time_utc).isoformat() if row.updated_time_utc else None
    return out


def display_value(value: Any, *, languages: list[str]) -> str:
    """How a value reads in a prompt (storable text); a multilanguage text in the first active language."""
    return _display(value, languages).replace("\x00", "").encode("utf-8", "replace").decode("utf-8")


def _display(value: Any, languages: list[str]) -> str:
    if value is None:
        return ""
    if isinstance(value, dict):
        for language in languages:
            if value.get(language):
                return str(value[language])
        return next((str(v) for v in value.values() if v), "")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
