from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from erpai.auth import CurrentUser, SessionDep
from erpai.common import Id, Page, PageParams, Search, page_params
from erpai.errors import InvalidInput
from erpai.records.service import get_record
from erpai.routing import SessionReleasingRoute
from erpai.rules import service
from erpai.rules.schemas import (
    EvaluateRequest,
    EvaluateResult,
    Outcome,
    RuleRead,
    RuleUpdate,
    RuleWrite,
    RunRead,
    TryRequest,
)
from erpai.rules.template import field_names

router = APIRouter(route_class=SessionReleasingRoute, prefix="/rules", tags=["rules"])
Paging = Annotated[PageParams, Depends(page_params)]


@router.get("", response_model=Page[RuleRead])
def list_rules(
    session: SessionDep, user: CurrentUser, params: Paging, entity: Search | None = None
) -> Page[RuleRead]:
    rows, total = service.list_rules(session, params=params, actor=user, entity=entity)
    items = [RuleRead.model_validate(r) for r in rows]
    return Page(items=items, total=total, limit=params.limit, offset=params.offset)


@router.post("", response_model=RuleRead, status_code=status.HTTP_201_CREATED)
def create_rule(data: RuleWrite, session: SessionDep, user: CurrentUser) -> RuleRead:
    """Refused (422) for unknown fields, or when the default model cannot run it."""
    return RuleRead.model_validate(service.create_rule(session, data=data, actor=user))


@router.post("/evaluate", response_model=EvaluateResult)
def evaluate_rules(data: EvaluateRequest, session: SessionDep, user: CurrentUser) -> EvaluateResult:
    """For a host ERP: run the matching rules on its record (nothing is stored but the runs)."""
    return service.evaluate(session, data=data, actor=user)


@router.get("/runs", response_model=Page[RunRead])
def list_runs(
    session: SessionDep,
    user: CurrentUser,
    params: Paging,
    rule_id: Id | None = None,
    outcome: Outcome | None = None,
    entity: Search | None = None,
    cached: bool | None = None,
) -> Page[RunRead]:
    rows, total = service.list_runs(
        session, params=params, actor=user, rule_id=rule_id, outcome=outcome, entity=entity, cached=cached
    )
    items = [RunRead.model_validate(r) for r in rows]
    return Page(items=items, total=total, limit=params.limit, offset=params.offset)


@router.get("/fields", response_model=list[str])
def rule_fields(
    user: CurrentUser,
    entity: Search,
    fields: Annotated[list[Search] | None, Query(max_length=200)] = None,
) -> list[str]:
    """What a rule on ``entity`` may interpolate (``{Name}``, ``{Party.Name}``)."""
    return field_names(entity, fields)


@router.get("/{rule_id}", response_model=RuleRead)
def read_rule(rule_id: Id, session: SessionDep, user: CurrentUser) -> RuleRead:
    return RuleRead.model_validate(service.get_rule(session, rule_id=rule_id, actor=user))


@router.patch("/{rule_id}", response_model=RuleRead)
def update_rule(rule_id: Id, data: RuleUpdate, session: SessionDep, user: CurrentUser) -> RuleRead:
    return RuleRead.model_validate(service.update_rule(session, rule_id=rule_id, data=data, actor=user))


@router.delete("/{rule_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_rule(rule_id: Id, session: SessionDep, user: CurrentUser) -> Response:
    service.delete_rule(session, rule_id=rule_id, actor=user)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{rule_id}/try", response_model=EvaluateResult)
def try_rule(rule_id: Id, data: TryRequest, session: SessionDep, user: CurrentUser) -> EvaluateResult:
    """Runs the rule on a stored record (``record_id``) or on ``record``; nothing is saved but the runs."""
    rule = service.get_rule(session, rule_id=rule_id, actor=user)
    if data.record_id is not None:
        record = get_record(session, kind=rule.entity, record_id=data.record_id)
    elif data.record is not None:
        record = data.record
    else:
        raise InvalidInput("give record_id or record", field="record_id")
    record_id = str(data.record_id) if data.record_id is not None else None
    return service.try_rule(session, rule_id=rule_id, record=record, record_id=record_id, actor=user)
