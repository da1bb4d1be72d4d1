"""Business rules: admin CRUD (checked at save), try-on-a-record, host-ERP evaluation, the run log."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from erpai.common import PageParams, fetch_page
from erpai.errors import Conflict, Forbidden, InvalidInput, NotFound
from erpai.records.kinds import KINDS
from erpai.rules.ai import default_model_problem
from erpai.rules.engine import Firing, fire, save_events
from erpai.rules.models import BusinessRule, RuleRun
from erpai.rules.schemas import EvaluateRequest, EvaluateResult, RuleUpdate, RuleWrite, RunRead
from erpai.rules.template import check_template, field_names, known_field
from erpai.users.models import User

_TEXT_TYPES = ("str", "text")


def require_admin(actor: User | None) -> None:
    if actor is not None and not actor.is_admin:
        raise Forbidden("only admins manage business rules and read their runs", field="user")


def get_rule(session: Session, *, rule_id: int, actor: User | None) -> BusinessRule:
    require_admin(actor)
    rule = session.get(BusinessRule, rule_id)
    if rule is None:
        raise NotFound(f"rule {rule_id} does not exist", field="rule_id")
    return rule


def list_rules(
    session: Session, *, params: PageParams, actor: User | None, entity: str | None = None
) -> tuple[list[BusinessRule], int]:
    require_admin(actor)
    stmt = select(BusinessRule).order_by(BusinessRule.id)
    if entity:
        stmt = stmt.where(BusinessRule.entity == entity)
    return fetch_page(session, stmt, params)


def create_rule(session: Session, *, data: RuleWrite, actor: User | None) -> BusinessRule:
    require_admin(actor)
    values = data.model_dump(mode="json")
    check_rule(session, values)
    rule = BusinessRule(**values)
    session.add(rule)
    _commit(session, values["name"])
    return rule


def update_rule(session: Session, *, rule_id: int, data: RuleUpdate, actor: User | None) -> BusinessRule:
    rule = get_rule(session, rule_id=rule_id, actor=actor)
    changes = data.model_dump(mode="json", exclude_unset=True)
    merged = {c.name: getattr(rule, c.name) for c in BusinessRule.__table__.columns} | changes
    check_rule(session, merged)
    for key, value in changes.items():
        setattr(rule, key, value)
    _commit(session, merged["name"])
    return rule


def delete_rule(session: Session, *, rule_id: int, actor: User | None) -> None:
    session.delete(get_rule(session, rule_id=rule_id, actor=actor))
    session.commit()


def _commit(session: Session, name: str) -> None:
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise Conflict(f"a rule named '{name}' already exists", field="name") from None


def check_rule(session: Session, values: dict[str, Any]) -> None:
    """Refuses a rule that names unknown fields or that cannot run (no default model, no chat)."""
    entity, declared = values["entity"], values.get("fields")
    if entity in KINDS and declared:
        raise InvalidInput(f"fields: {entity} is an erpai record kind; its fields are known", field="fields")
    if entity not in KINDS and not declared:
        raise InvalidInput(
            f"entity: '{entity}' is not an erpai record kind ({', '.join(KINDS)}); for a host ERP's entity "
            "list its fields in 'fields'",
            field="entity",
        )
    _check_event(values, entity, declared)
    condition = values.get("condition")
    if condition and not known_field(entity, declared, condition["field"], None):
        raise InvalidInput(f"condition.field: unknown field '{condition['field']}'", field="condition.field")
    for index, action in enumerate(values["actions"], start=1):
        _check_action(action, index, entity, declared)
    if values.get("enabled", True):
        problem = default_model_problem(session)
        if problem is not None:
            raise InvalidInput(f"the rule cannot run: {problem}", field="actions")


def _check_event(values: dict[str, Any], entity: str, declared: list[str] | None) -> None:
    attribute = values.get("attribute")
    if values["event"] == "attribute_changed":
        if not attribute or not known_field(entity, declared, attribute, None):
            raise InvalidInput(
                f"attribute: attribute_changed needs a field of {entity}; fields: "
                f"{', '.join(field_names(entity, declared))}",
                field="attribute",
            )
    elif attribute:
        raise InvalidInput(
            "attribute: only the attribute_changed event takes an attribute", field="attribute"
        )


def _check_action(action: dict[str, Any], index: int, entity: str, declared: list[str] | None) -> None:
    where = f"actions[{index}]"
    check_template(action["prompt"], entity=entity, declared=declared, where=f"{where}.prompt")
    if action["type"] == "AISET":
        attribute = action.get("attribute")
        spec = KINDS.get(entity)
        target = spec.by_pascal(attribute) if spec and attribute else None
        writable = target is not None and target.type in _TEXT_TYPES and not target.derived
        if not attribute or not (writable if spec else attribute in (declared or [])):
            raise InvalidInput(f"{where}.attribute: AISET needs a text field of {entity} to set", field=where)
        if action.get("message"):
            raise InvalidInput(f"{where}.message: AISET has no message", field=f"{where}.message")
        return
    if action.get("attribute"):
        raise InvalidInput(f"{where}.attribute: only AISET sets an attribute", field=f"{where}.attribute")
    if not action.get("message"):
        raise InvalidInput(f"{where}.message: {action['type']} needs a message", field=f"{where}.message")
    check_template(action["message"], entity=entity, declared=declared, where=f"{where}.message")


def evaluate(session: Session, *, data: EvaluateRequest, actor: User | None) -> EvaluateResult:
    """A host ERP's record: run the matching rules, log the runs, store nothing else."""
    created = data.event == "create"
    events = save_events(created=created, changed=data.changed)
    if data.event == "update" and not data.changed:
        events = {("update", None), ("commit", None)}
    if data.event == "commit":
        events = {("commit", None)}
    record = dict(data.record)
    firing = fire(session, entity=data.entity, events=events, record=record, record_id=data.record_id)
    return result_of(session, firing)


def try_rule(
    session: Session, *, rule_id: int, record: dict[str, Any], record_id: str | None, actor: User | None
) -> EvaluateResult:
    """Runs one rule (even when disabled) on a record without saving it."""
    rule = get_rule(session, rule_id=rule_id, actor=actor)
    firing = fire(
        session, entity=rule.entity, events=set(), record=dict(record), record_id=record_id, rules=[rule]
    )
    return result_of(session, firing)


def result_of(session: Session, firing: Firing) -> EvaluateResult:
    log_runs(session, firing)
    session.commit()
    return EvaluateResult(
        record=firing.record,
        set=firing.set,
        errors=firing.errors,
        warnings=firing.warnings,
        runs=[RunRead.model_validate(run).model_dump(mode="json") for run in firing.runs],
    )


def log_runs(session: Session, firing: Firing) -> None:
    session.add_all(firing.runs)
    session.flush()


def list_runs(
    session: Session,
    *,
    params: PageParams,
    actor: User | None,
    rule_id: int | None = None,
    outcome: str | None = None,
    entity: str | None = None,
    cached: bool | None = None,
) -> tuple[list[RuleRun], int]:
    require_admin(actor)
    stmt = select(RuleRun).order_by(RuleRun.id.desc())
    if rule_id is not None:
        stmt = stmt.where(RuleRun.rule_id == rule_id)
    if outcome:
        stmt = stmt.where(RuleRun.outcome == outcome)
    if entity:
        stmt = stmt.where(RuleRun.entity == entity)
    if cached is not None:
        stmt = stmt.where(RuleRun.cached.is_(cached))
    return fetch_page(session, stmt, params)
