"""Record use cases: list / get / save / delete for every kind; saves fire the business rules."""

from __future__ import annotations

from typing import Any

from sqlalchemy import String, cast, select
from sqlalchemy.orm import Session

from erpai.chat.models import ChatGroup
from erpai.common import PageParams, fetch_page
from erpai.db import Base
from erpai.errors import Forbidden, InvalidInput, NotFound
from erpai.limits import SEARCH_MAX
from erpai.records.kinds import KINDS, KindSpec, kind_spec, snake_case
from erpai.records.values import active_languages, clean_values, row_to_dict
from erpai.rules.engine import Firing, fire, save_events
from erpai.rules.service import log_runs
from erpai.users.models import User

_REF_MODELS: dict[str, type[Base]] = {"users": User, "chat_groups": ChatGroup}


class RuleRefused(InvalidInput):
    """An AIVALIDATE rule failed: 422 naming the rule and its message; nothing was saved."""

    def __init__(self, firing: Firing) -> None:
        first = firing.errors[0]
        super().__init__(
            f"rule '{first.rule}' action {first.action_index} (AIVALIDATE): {first.message}", field="rule"
        )
        self.errors = firing.errors

    def error_items(self) -> list[dict[str, Any]]:
        """Each failed rule: ``loc`` ["rule", id, action], its message, and why."""
        return [
            {
                "loc": ["rule", e.rule_id or 0, e.action_index],
                "msg": f"{e.rule}: {e.message} ({e.reason})",
                "type": "rule_failed",
            }
            for e in self.errors
        ]


def get_record(session: Session, *, kind: str, record_id: int) -> dict[str, Any]:
    spec = kind_spec(kind)
    return row_to_dict(spec, _row(session, spec, record_id))


def _row(session: Session, spec: KindSpec, record_id: int) -> Any:
    row = session.get(spec.model, record_id)
    if row is None:
        raise NotFound(f"{spec.name} record {record_id} does not exist", field="record_id")
    return row


def list_records(
    session: Session, *, kind: str, params: PageParams, filters: dict[str, str]
) -> tuple[list[dict[str, Any]], int]:
    """``filters``: field -> value (exact for ids and choices, contains for text, case-insensitive)."""
    spec = kind_spec(kind)
    model: Any = spec.model
    stmt = select(model).order_by(model.id)
    for name, value in filters.items():
        field = spec.field(name)
        if field is None:
            raise InvalidInput(f"unknown filter field '{name}' for {kind}", field=name)
        if len(value) > SEARCH_MAX or "\x00" in value:
            raise InvalidInput(f"{name}: the filter is too long or holds a NUL character", field=name)
        column = getattr(model, name)
        if field.type in ("ref", "choice", "date", "number"):
            stmt = stmt.where(cast(column, String) == value)
        else:
            stmt = stmt.where(cast(column, String).ilike(f"%{_escape_like(value)}%", escape="\\"))
    rows, total = fetch_page(session, stmt, params)
    return [row_to_dict(spec, row) for row in rows], total


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def save_record(
    session: Session, *, kind: str, values: dict[str, Any], record_id: int | None = None
) -> tuple[dict[str, Any], Firing]:
    """Creates (``record_id`` None) or updates a record; rules fire first, AI calls before any write."""
    spec = kind_spec(kind)
    cleaned = clean_values(spec, values, languages=active_languages(session), partial=record_id is not None)
    row = _row(session, spec, record_id) if record_id is not None else None
    current = row_to_dict(spec, row) if row is not None else {}
    changed = [name for name, value in cleaned.items() if row is None or getattr(row, name) != value]
    _check_refs(session, spec, cleaned)
    working = current | {k: (float(v) if hasattr(v, "is_finite") else v) for k, v in cleaned.items()}
    events = save_events(created=row is None, changed=[n for n in changed if cleaned[n] not in (None, "")])
    firing = fire(
        session,
        entity=spec.name,
        events=events,
        record=working,
        record_id=str(record_id) if record_id is not None else None,
        related=lambda relation, name: _related(session, spec, working, relation, name),
    )
    if firing.blocked:
        log_runs(session, firing)
        session.commit()
        raise RuleRefused(firing)
    target: Any = row if row is not None else spec.model()
    for name, value in (cleaned | _fitted(spec, firing.set)).items():
        setattr(target, name, value)
    if row is None:
        session.add(target)
    session.flush()
    for run in firing.runs:
        run.record_id = run.record_id or str(target.id)
    log_runs(session, firing)
    session.commit()
    return row_to_dict(spec, target), firing


def _fitted(spec: KindSpec, values: dict[str, str]) -> dict[str, str]:
    """AISET answers cut to their column's length (a chatty model must not fail the save)."""
    fitted = {}
    for name, value in values.items():
        field = spec.field(name)
        fitted[name] = value[: field.max_length] if field is not None and field.max_length else value
    return fitted


def _check_refs(session: Session, spec: KindSpec, values: dict[str, Any]) -> None:
    for field in spec.fields:
        if field.type != "ref" or values.get(field.name) is None:
            continue
        model = KINDS[field.ref].model if field.ref in KINDS else _REF_MODELS[field.ref or ""]
        if session.get(model, values[field.name]) is None:
            raise InvalidInput(
                f"{field.name}: {field.ref} record {values[field.name]} does not exist", field=field.name
            )


def _related(session: Session, spec: KindSpec, record: dict[str, Any], relation: str, name: str) -> Any:
    field = next((f for f in spec.fields if f.relation == relation), None)
    if field is None or field.ref not in KINDS or record.get(field.name) is None:
        return None
    row = session.get(KINDS[field.ref].model, record[field.name])
    return getattr(row, snake_case(name), None) if row is not None else None


def delete_record(session: Session, *, kind: str, record_id: int, actor: User | None) -> None:
    if actor is not None and not actor.is_admin:
        raise Forbidden("only admins delete business records", field="user")
    spec = kind_spec(kind)
    session.delete(_row(session, spec, record_id))
    session.commit()
