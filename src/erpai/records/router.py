from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Query, Request, Response, status
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from erpai.auth import CurrentUser, SessionDep
from erpai.common import Page, PageParams, page_params
from erpai.qas.io import ImportRejected, decode_text, infer_format
from erpai.qas.router import read_upload
from erpai.qas.schemas import ImportResult
from erpai.records import service
from erpai.records.io import import_records
from erpai.records.service import RuleRefused
from erpai.routing import SessionReleasingRoute
from erpai.rules.engine import Firing
from erpai.rules.schemas import RunRead

router = APIRouter(route_class=SessionReleasingRoute, prefix="/records", tags=["records"])
RecordBody = Annotated[
    dict[str, Any], Body(description='Field values by column name, e.g. {"name": "ACME"}.')
]
_PAGING = {"limit", "offset"}


def saved(record: dict[str, Any], firing: Firing) -> dict[str, Any]:
    return {
        "record": record,
        "warnings": [w.model_dump() for w in firing.warnings],
        "runs": [RunRead.model_validate(r).model_dump(mode="json") for r in firing.runs],
    }


def refused(exc: RuleRefused) -> JSONResponse:
    body = {"detail": exc.message, "field": exc.field, "errors": [e.model_dump() for e in exc.errors]}
    return JSONResponse(body, status_code=422)


@router.get("/{kind}", response_model=Page[dict[str, Any]])
def list_records(
    kind: str,
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    params: Annotated[PageParams, Depends(page_params)],
) -> Page[dict[str, Any]]:
    """Any other query parameter filters by that field (ids exact, text contains, any case)."""
    filters = {k: v for k, v in request.query_params.items() if k not in _PAGING}
    items, total = service.list_records(session, kind=kind, params=params, filters=filters)
    return Page(items=items, total=total, limit=params.limit, offset=params.offset)


@router.post("/{kind}", status_code=status.HTTP_201_CREATED, response_model=None)
def create_record(kind: str, body: RecordBody, session: SessionDep, user: CurrentUser) -> Any:
    """Rules fire first: an AIVALIDATE that fails answers 422 naming the rule, and nothing is saved."""
    try:
        return saved(*service.save_record(session, kind=kind, values=body))
    except RuleRefused as exc:
        return refused(exc)


@router.get("/{kind}/{record_id}")
def read_record(kind: str, record_id: int, session: SessionDep, user: CurrentUser) -> dict[str, Any]:
    return service.get_record(session, kind=kind, record_id=record_id)


@router.patch("/{kind}/{record_id}", response_model=None)
def update_record(kind: str, record_id: int, body: RecordBody, session: SessionDep, user: CurrentUser) -> Any:
    try:
        return saved(*service.save_record(session, kind=kind, values=body, record_id=record_id))
    except RuleRefused as exc:
        return refused(exc)


@router.delete("/{kind}/{record_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_record(kind: str, record_id: int, session: SessionDep, user: CurrentUser) -> Response:
    service.delete_record(session, kind=kind, record_id=record_id, actor=user)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{kind}/import",
    response_model=ImportResult,
    responses={422: {"description": "Bad rows: `errors` lists each with its line, field and message"}},
)
async def import_file(
    kind: str,
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    format: Literal["csv", "jsonl"] | None = Query(default=None, description="Default: from the file name"),
) -> ImportResult | JSONResponse:
    """Parties, products, enterprise companies from CSV or JSONL (body or multipart `file`): all or none."""
    data, filename, content_type = await read_upload(request)
    fmt = infer_format(format, filename=filename, content_type=content_type)
    try:
        imported = await run_in_threadpool(
            lambda: import_records(session, kind=kind, content=decode_text(data), fmt=fmt, actor=user)
        )
    except ImportRejected as exc:
        body = {"detail": exc.message, "field": exc.field, "errors": [e.as_dict() for e in exc.errors]}
        return JSONResponse(body, status_code=422)
    return ImportResult(imported=imported)
