"""Record use cases: list / get / save / delete for every kind; saves fire the business rules."""

from __future__ import annotations

from dataclasses import dataclass
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
from erpai.rules.engine import Firing, enabled_rules, fire, rules_for_events, save_events
from erpai.rules.models import BusinessRule
from erpai.rules.schemas import RuleMessage
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


@dataclass
class Pending:
    """A record checked and its rules fired, not written yet (see :class:`RecordWrites`)."""

    spec: KindSpec
    row: Any | None  # the record updated; None: a new one
    values: dict[str, Any]  # what is written: the cleaned values and the AISET answers
    firing: Firing
    links: dict[str, Pending]  # reference field -> the record of the same transaction it points to
    written: Any = None  # the row, once written

    @property
    def record(self) -> dict[str, Any]:
        return row_to_dict(self.spec, self.written)


class RecordWrites:
    """Records saved in one transaction (one record, or an invoice with its new supplier and lines): each is
    checked and its business rules fire (AI calls) before anything is written. An AIVALIDATE that fails
    refuses them all: :class:`RuleRefused`, with the rule runs logged and nothing else written. AISET
    answers are written with the record; ``warnings`` holds the AIWARNING messages. The caller commits."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.pending: list[Pending] = []
        self._languages: list[str] = []
        self._rules: dict[str, list[BusinessRule]] = {}  # per kind: read once (an import checks many rows)

    def check(
        self,
        *,
        kind: str,
        values: dict[str, Any],
        record_id: int | None = None,
        links: dict[str, Pending] | None = None,
    ) -> Pending:
        """``links``: reference fields filled with the id of a record checked before this one."""
        pending = self._prepare(kind_spec(kind), values=values, record_id=record_id, links=links or {})
        self.pending.append(pending)
        if pending.firing.blocked:
            self.session.rollback()
            for earlier in self.pending:
                log_runs(self.session, earlier.firing)
            self.session.commit()
            raise RuleRefused(pending.firing)
        return pending

    def write(self) -> None:
        """Writes the checked records in order (flushed, with their rule runs; not committed)."""
        todo = [pending for pending in self.pending if pending.written is None]
        for pending in todo:
            if pending.links:
                self.session.flush()  # the records it points to get their ids
            _place(self.session, pending)
        self.session.flush()
        for pending in todo:
            for run in pending.firing.runs:
                run.record_id = run.record_id or str(pending.written.id)
            log_runs(self.session, pending.firing)

    @property
    def warnings(self) -> list[RuleMessage]:
        return [w for pending in self.pending for w in pending.firing.warnings]

    def _prepare(
        self, spec: KindSpec, *, values: dict[str, Any], record_id: int | None, links: dict[str, Pending]
    ) -> Pending:
        session = self.session
        self._languages = self._languages or active_languages(session)
        partial = record_id is not None
        cleaned = clean_values(spec, values, languages=self._languages, partial=partial, later=links)
        row = _row(session, spec, record_id) if record_id is not None else None
        current = row_to_dict(spec, row) if row is not None else {}
        changed = [name for name, value in cleaned.items() if row is None or getattr(row, name) != value]
        _check_refs(session, spec, cleaned)
        working = current | {k: (float(v) if hasattr(v, "is_finite") else v) for k, v in cleaned.items()}
        filled = [name for name in changed if cleaned[name] not in (None, "")]
        events = save_events(created=row is None, changed=filled)
        if spec.name not in self._rules:
            self._rules[spec.name] = enabled_rules(session, entity=spec.name)
        firing = fire(
            session,
            entity=spec.name,
            events=events,
            record=working,
            record_id=str(record_id) if record_id is not None else None,
            related=lambda relation, name: _related(session, spec, working, relation, name, links),
            rules=rules_for_events(self._rules[spec.name], events),
        )
        return Pending(spec, row, cleaned | _fitted(spec, firing.set), firing, links)


def save_record(
    session: Session, *, kind: str, values: dict[str, Any], record_id: int | None = None
) -> tuple[dict[str, Any], Firing]:
    """Creates (``record_id`` None) or updates a record; rules fire first, AI calls before any write."""
    writes = RecordWrites(session)
    pending = writes.check(kind=kind, values=values, record_id=record_id)
    writes.write()
    session.commit()
    return pending.record, pending.firing


def _place(session: Session, pending: Pending) -> None:
    target: Any = pending.row if pending.row is not None else pending.spec.model()
    for name, value in pending.values.items():
        setattr(target, name, value)
    for name, linked in pending.links.items():
        assert linked.written is not None, f"{pending.spec.name}.{name}: its record is written first"
        setattr(target, name, linked.written.id)
    if pending.row is None:
        session.add(target)
    pending.written = target


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


def _related(
    session: Session,
    spec: KindSpec,
    record: dict[str, Any],
    relation: str,
    name: str,
    links: dict[str, Pending],
) -> Any:
    """``{Supplier.Name}``: the referenced record's field (a linked record's checked value)."""
    field = next((f for f in spec.fields if f.relation == relation), None)
    if field is not None and field.name in links:
        return links[field.name].values.get(snake_case(name))
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
