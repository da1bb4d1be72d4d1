"""Firing rules on one record: AISET / AIVALIDATE / AIWARNING exactly as decisions.md says.

AI calls run before anything is written, so no transaction is held open while a model thinks.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from erpai.providers import ProviderError
from erpai.records.kinds import KINDS, snake_case
from erpai.records.values import active_languages, display_value
from erpai.rules.ai import CACHE_TTL_SETTING, Answer, RuleAI, ask, rule_ai
from erpai.rules.models import BusinessRule, RuleRun
from erpai.rules.schemas import RuleMessage
from erpai.rules.template import record_value, render
from erpai.settings.service import get_int_setting

EventKey = tuple[str, str | None]
Related = Callable[[str, str], Any]  # (relation, field) -> value


@dataclass
class Firing:
    record: dict[str, Any]
    set: dict[str, str] = field(default_factory=dict)
    errors: list[RuleMessage] = field(default_factory=list)
    warnings: list[RuleMessage] = field(default_factory=list)
    runs: list[RuleRun] = field(default_factory=list)

    @property
    def blocked(self) -> bool:
        return bool(self.errors)


def save_events(*, created: bool, changed: list[str]) -> set[EventKey]:
    events: set[EventKey] = {("create" if created else "update", None), ("commit", None)}
    events.update(("attribute_changed", name) for name in changed)
    return events


def matching_rules(session: Session, *, entity: str, events: set[EventKey]) -> list[BusinessRule]:
    return rules_for_events(enabled_rules(session, entity=entity), events)


def enabled_rules(session: Session, *, entity: str) -> list[BusinessRule]:
    stmt = (
        select(BusinessRule)
        .where(BusinessRule.entity == entity, BusinessRule.enabled.is_(True))
        .order_by(BusinessRule.id)
    )
    return list(session.scalars(stmt))


def rules_for_events(rules: list[BusinessRule], events: set[EventKey]) -> list[BusinessRule]:
    """Those of ``rules`` that one of ``events`` triggers."""
    names = {(event, snake_case(attr) if attr else None) for event, attr in events}
    return [r for r in rules if (r.event, snake_case(r.attribute) if r.attribute else None) in names]


def fire(
    session: Session,
    *,
    entity: str,
    events: set[EventKey],
    record: dict[str, Any],
    record_id: str | None,
    related: Related | None = None,
    rules: list[BusinessRule] | None = None,
) -> Firing:
    """Runs every matching enabled rule's actions in order on ``record`` (changed in place by AISET)."""
    firing = Firing(record=record)
    todo = rules if rules is not None else matching_rules(session, entity=entity, events=events)
    if not todo:
        return firing
    languages = active_languages(session) if entity in KINDS else ["en"]
    ctx = _Context(session, rule_ai(session), get_int_setting(session, key=CACHE_TTL_SETTING), languages)

    def lookup(name: str, sub: str | None) -> str:
        if sub is None:
            return display_value(record_value(record, name), languages=languages)
        nested = record_value(record, name)
        if isinstance(nested, dict):
            return display_value(record_value(nested, sub), languages=languages)
        if related is not None:
            return display_value(related(name, sub), languages=languages)
        return display_value(record.get(f"{name}.{sub}"), languages=languages)

    for rule in todo:
        if not _condition_holds(rule.condition, record):
            continue
        for index, action in enumerate(rule.actions, start=1):
            _run_action(ctx, firing, rule, index, action, lookup, entity, record_id)
            if firing.blocked:
                return firing
    return firing


@dataclass
class _Context:
    session: Session
    ai: RuleAI
    ttl: int
    languages: list[str]


def _run_action(
    ctx: _Context,
    firing: Firing,
    rule: BusinessRule,
    index: int,
    action: dict[str, Any],
    lookup: Callable[[str, str | None], str],
    entity: str,
    record_id: str | None,
) -> None:
    kind = str(action["type"])
    prompt = render(str(action["prompt"]), lookup)
    started = time.perf_counter()
    answer, problem, timed_out = _answer(ctx, prompt, int(action.get("timeout_ms") or 2000))
    latency = (time.perf_counter() - started) * 1000
    text = answer.text.strip() if answer else ""
    outcome = "timed_out" if timed_out else "error" if problem else ""
    if kind == "AISET":
        name = str(action["attribute"])
        key = snake_case(name) if entity in KINDS else name
        firing.record[key] = text
        firing.set[key] = text
        outcome = outcome or "set"
    else:
        passed = answer is not None and text.lower() == "true"
        outcome = outcome or ("passed" if passed else "failed" if kind == "AIVALIDATE" else "warned")
        if not passed:
            reason = problem or f"the model answered {text[:200]!r}"
            message = RuleMessage(
                rule_id=rule.id,
                rule=rule.name,
                action_index=index,
                message=render(str(action.get("message") or "the check failed"), lookup),
                reason=reason,
            )
            (firing.errors if kind == "AIVALIDATE" else firing.warnings).append(message)
    firing.runs.append(
        RuleRun(
            rule_id=rule.id,
            rule_name=rule.name,
            action_index=index,
            action=kind,
            entity=entity,
            record_id=record_id,
            prompt=prompt,
            answer=answer.text if answer else None,
            outcome=outcome,
            detail=problem,
            latency_ms=round(latency, 3),
            model=ctx.ai.model,
            tokens=answer.tokens if answer and not answer.cached else None,
            cached=bool(answer and answer.cached),
        )
    )


def _answer(ctx: _Context, prompt: str, timeout_ms: int) -> tuple[Answer | None, str | None, bool]:
    if ctx.ai.problem is not None:
        return None, f"the rule cannot run: {ctx.ai.problem}", False
    try:
        return ask(ctx.ai, prompt, timeout_ms=timeout_ms, ttl=ctx.ttl), None, False
    except ProviderError as exc:
        timed_out = exc.code == "timeout"
        return None, f"no answer within {timeout_ms} ms" if timed_out else exc.message, timed_out


def _condition_holds(condition: dict[str, Any] | None, record: dict[str, Any]) -> bool:
    if not condition:
        return True
    value = record_value(record, str(condition["field"]))
    text = "" if value is None else str(value)
    expected = str(condition.get("value") or "")
    checks: dict[str, Callable[[], bool]] = {
        "eq": lambda: text == expected,
        "ne": lambda: text != expected,
        "contains": lambda: expected.casefold() in text.casefold(),
        "empty": lambda: text.strip() == "",
        "not_empty": lambda: text.strip() != "",
    }
    return checks[str(condition.get("op") or "eq")]()
