"""System settings use cases: typed reads with defaults, validated and audited writes (admins only)."""

from __future__ import annotations

import json
import math
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from erpai.audit.service import record_change
from erpai.db import utcnow
from erpai.errors import Forbidden, InvalidInput, NotFound
from erpai.settings.models import SystemSetting
from erpai.settings.registry import KNOWN_SETTINGS, SettingSpec
from erpai.settings.schemas import SettingRead, SettingValue
from erpai.users.models import User

# Audit entries need an integer id; settings are keyed by name, which goes into the entry's changes.
AUDIT_ENTITY_ID = 0


def spec_of(key: str) -> SettingSpec:
    spec = KNOWN_SETTINGS.get(key)
    if spec is None:
        raise NotFound(f"unknown setting '{key}'; known: {', '.join(sorted(KNOWN_SETTINGS))}", field="key")
    return spec


def get_setting(session: Session, *, key: str) -> SettingValue:
    """The typed value, or the registered default while the setting is unset."""
    spec = spec_of(key)
    row = session.get(SystemSetting, key)
    if row is None:
        return spec.default
    try:
        return validate_value(spec, json.loads(row.value_json))
    except (InvalidInput, ValueError):
        return spec.default  # a value stored under older bounds: the default is the safe reading


def get_int_setting(session: Session, *, key: str) -> int:
    value = get_setting(session, key=key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"setting '{key}' is not an integer")
    return value


def validate_value(spec: SettingSpec, value: Any) -> SettingValue:
    """The value converted to the setting's type; 422 naming ``value`` when it does not fit."""
    checked = _typed(spec, value)
    if isinstance(checked, int | float) and not isinstance(checked, bool):
        low, high = spec.minimum, spec.maximum
        if (low is not None and checked < low) or (high is not None and checked > high):
            raise InvalidInput(
                f"value: '{spec.key}' must be between {_num(low)} and {_num(high)}", field="value"
            )
    if isinstance(checked, str) and spec.max_length is not None and len(checked) > spec.max_length:
        raise InvalidInput(f"value: '{spec.key}' is at most {spec.max_length} characters", field="value")
    return checked


def _typed(spec: SettingSpec, value: Any) -> SettingValue:
    if spec.type == "bool" and isinstance(value, bool):
        return value
    if spec.type == "int" and isinstance(value, int) and not isinstance(value, bool):
        return value
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if spec.type == "float" and number and math.isfinite(value):
        return float(value)
    if spec.type == "str" and isinstance(value, str):
        return value
    names = {"int": "an integer", "float": "a number", "bool": "true or false", "str": "a string"}
    raise InvalidInput(f"value: '{spec.key}' must be {names[spec.type]}", field="value")


def _num(bound: float | None) -> str:
    if bound is None:
        return "any"
    return str(int(bound)) if float(bound).is_integer() else str(bound)


def parse_setting_text(*, key: str, text: str) -> SettingValue:
    """A value typed on the command line, read as the setting's type."""
    spec = spec_of(key)
    if spec.type == "str":
        return validate_value(spec, text)
    lowered = text.strip().lower()
    if spec.type == "bool" and lowered in ("true", "false", "yes", "no", "on", "off", "1", "0"):
        return validate_value(spec, lowered in ("true", "yes", "on", "1"))
    try:
        parsed: Any = int(lowered) if spec.type == "int" else float(lowered)
    except ValueError:
        parsed = text
    return validate_value(spec, parsed)


def _require_admin(actor: User | None) -> None:
    """``actor=None``: the local operator (the CLI, which has the database anyway)."""
    if actor is not None and not actor.is_admin:
        raise Forbidden("only admins read or change system settings")


def _read(spec: SettingSpec, row: SystemSetting | None, value: SettingValue) -> SettingRead:
    return SettingRead(
        key=spec.key,
        value=value,
        default=spec.default,
        type=spec.type,
        description=spec.description,
        minimum=spec.minimum,
        maximum=spec.maximum,
        is_default=row is None,
        updated_by_user_id=row.updated_by_user_id if row else None,
        updated_time_utc=row.updated_time_utc if row else None,
    )


def read_setting(session: Session, *, key: str, actor: User | None) -> SettingRead:
    _require_admin(actor)
    spec = spec_of(key)
    return _read(spec, session.get(SystemSetting, key), get_setting(session, key=key))


def list_settings(session: Session, *, actor: User | None) -> list[SettingRead]:
    _require_admin(actor)
    rows = {row.key: row for row in session.scalars(select(SystemSetting))}
    return [
        _read(spec, rows.get(key), get_setting(session, key=key))
        for key, spec in sorted(KNOWN_SETTINGS.items())
    ]


def set_setting(session: Session, *, key: str, value: Any, actor: User | None) -> SettingRead:
    _require_admin(actor)
    spec = spec_of(key)
    checked = validate_value(spec, value)
    previous = get_setting(session, key=key)
    row = session.get(SystemSetting, key)
    if row is None:
        row = SystemSetting(key=key, value_json="null")
        session.add(row)
    row.value_json = json.dumps(checked)
    row.description = spec.description
    row.updated_by_user_id = actor.id if actor else None
    row.updated_time_utc = utcnow()
    _audit(session, actor, "update", {"key": key, "value": checked, "previous": previous})
    session.commit()
    return _read(spec, row, checked)


def reset_setting(session: Session, *, key: str, actor: User | None) -> SettingRead:
    """Back to the registered default (the row is removed)."""
    _require_admin(actor)
    spec = spec_of(key)
    row = session.get(SystemSetting, key)
    if row is not None:
        previous = get_setting(session, key=key)
        session.delete(row)
        _audit(session, actor, "reset", {"key": key, "value": spec.default, "previous": previous})
        session.commit()
    return _read(spec, None, spec.default)


def _audit(session: Session, actor: User | None, action: str, changes: dict[str, Any]) -> None:
    record_change(
        session,
        user_id=actor.id if actor else None,
        entity="setting",
        entity_id=AUDIT_ENTITY_ID,
        action=action,
        changes=changes,
    )
