"""Business rules (admins): list, an editor offering the entity's fields, "try it on a record", run log."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import Response

from erpai.common import PageParams
from erpai.errors import DomainError, InvalidInput
from erpai.records.kinds import KINDS
from erpai.records.service import get_record
from erpai.routing import SessionReleasingRoute
from erpai.rules.models import BusinessRule
from erpai.rules.schemas import RuleUpdate, RuleWrite
from erpai.rules.service import create_rule, get_rule, list_rules, list_runs, try_rule, update_rule
from erpai.rules.template import field_names
from erpai.web.deps import Web, WebAdminDep
from erpai.web.forms import form_values, read_form
from erpai.web.render import form_error, page, parse_form, redirect

router = APIRouter(route_class=SessionReleasingRoute)
FIELDS = ("name", "entity", "event", "attribute", "fields", "actions", "enabled")
EVENTS = [
    ("create", "create"),
    ("update", "update"),
    ("attribute_changed", "attribute changed"),
    ("commit", "commit"),
]
EXAMPLE = '[{"type": "AIWARNING", "prompt": "Is \'{Name}\' a real name?", "message": "Odd name: {Name}"}]'
OUTCOMES = ("set", "passed", "failed", "warned", "timed_out", "error")
PAGE = 50


def _values(rule: BusinessRule) -> dict[str, Any]:
    return {
        "name": rule.name, "entity": rule.entity, "event": rule.event, "attribute": rule.attribute or "",
        "fields": ", ".join(rule.fields or []),
        "actions": json.dumps(rule.actions, indent=2, ensure_ascii=False),
        "enabled": rule.enabled,
    }  # fmt: skip


def _payload(values: dict[str, Any]) -> dict[str, Any]:
    try:
        actions = json.loads(values.get("actions") or "[]")
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"actions: not valid JSON ({exc.msg})", field="actions") from None
    declared = [f.strip() for f in str(values.get("fields") or "").split(",") if f.strip()]
    return {
        "name": values.get("name"), "entity": values.get("entity"), "event": values.get("event"),
        "attribute": values.get("attribute") or None, "actions": actions, "fields": declared or None,
        "enabled": values.get("enabled") != "false",
    }  # fmt: skip


def _form(
    web: Web, rule: BusinessRule | None, values: dict[str, Any], error: DomainError | None = None
) -> Response:
    entity = str(values.get("entity") or "products")
    declared = [f.strip() for f in str(values.get("fields") or "").split(",") if f.strip()]
    context = {
        "rule": rule, "values": values, "events": EVENTS, "kinds": [(k, k) for k in KINDS],
        "field_names": field_names(entity, declared), "example": EXAMPLE,
    }  # fmt: skip
    if error is not None:
        if (error.field or "").startswith("actions"):  # actions[2].prompt: the actions box shows it
            error = InvalidInput(error.message, field="actions")
        return form_error(web, "rules/form.html", context, error)
    return page(web, "rules/form.html", context)


@router.get("/rules")
def rules_page(web: WebAdminDep) -> Response:
    rows, _ = list_rules(web.session, params=PageParams(limit=500, offset=0), actor=web.user)
    return page(web, "rules/list.html", {"rows": rows})


@router.get("/rules/new")
def new_rule_page(web: WebAdminDep, entity: str = "products") -> Response:
    return _form(web, None, {"entity": entity, "event": "create", "actions": EXAMPLE, "enabled": True})


@router.get("/rules/runs")
def runs_page(
    web: WebAdminDep, rule_id: str = "", outcome: str = "", offset: int = Query(default=0, ge=0)
) -> Response:
    rule = int(rule_id) if rule_id.isdigit() else None
    rows, total = list_runs(
        web.session, params=PageParams(limit=PAGE, offset=offset), actor=web.user, rule_id=rule,
        outcome=outcome or None,
    )  # fmt: skip
    rules, _ = list_rules(web.session, params=PageParams(limit=500, offset=0), actor=web.user)
    context = {
        "rows": rows, "total": total, "offset": offset, "limit": PAGE, "rule_id": rule_id, "outcome": outcome,
        "rule_options": [(str(r.id), r.name) for r in rules], "outcomes": [(o, o) for o in OUTCOMES],
    }  # fmt: skip
    return page(web, "rules/runs.html", context)


@router.post("/rules/new")
async def create_rule_submit(web: WebAdminDep) -> Response:
    values = form_values(await read_form(web.request), only=FIELDS)
    try:
        rule = create_rule(web.session, data=parse_form(RuleWrite, _payload(values)), actor=web.user)
    except DomainError as exc:
        web.session.rollback()
        return _form(web, None, values, exc)
    return redirect(web, f"/rules/{rule.id}?saved=1")


@router.get("/rules/{rule_id}")
def rule_page(rule_id: int, web: WebAdminDep) -> Response:
    rule = get_rule(web.session, rule_id=rule_id, actor=web.user)
    return _form(web, rule, _values(rule))


@router.post("/rules/{rule_id}")
async def update_rule_submit(rule_id: int, web: WebAdminDep) -> Response:
    rule = get_rule(web.session, rule_id=rule_id, actor=web.user)
    values = form_values(await read_form(web.request), only=FIELDS)
    try:
        body = {k: v for k, v in _payload(values).items() if k != "entity"}
        update_rule(web.session, rule_id=rule_id, data=parse_form(RuleUpdate, body), actor=web.user)
    except DomainError as exc:
        web.session.rollback()
        return _form(web, rule, values | {"entity": rule.entity}, exc)
    return redirect(web, f"/rules/{rule_id}?saved=1")


@router.post("/rules/{rule_id}/try")
async def try_rule_submit(rule_id: int, web: WebAdminDep) -> Response:
    rule = get_rule(web.session, rule_id=rule_id, actor=web.user)
    values = form_values(await read_form(web.request), only=("record_id", "record"))
    try:
        record_id = str(values.get("record_id") or "").strip()
        if record_id:
            record = get_record(
                web.session, kind=rule.entity, record_id=int(record_id) if record_id.isdigit() else -1
            )
        else:
            record = json.loads(values.get("record") or "{}")
        web.session.commit()  # no transaction held during the provider's call
        result = try_rule(
            web.session, rule_id=rule_id, record=record, record_id=record_id or None, actor=web.user
        )
    except (DomainError, json.JSONDecodeError) as exc:
        web.session.rollback()
        message = exc.message if isinstance(exc, DomainError) else f"record: not valid JSON ({exc.msg})"
        return page(web, "rules/_try.html", {"rule": rule, "message": message}, status_code=422)
    return page(web, "rules/_try.html", {"rule": rule, "result": result})
