from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Request, Response, status
from starlette.concurrency import run_in_threadpool

from erpai.auth import CurrentUser, SessionDep
from erpai.common import Id, Page, PageParams, error_responses, page_params
from erpai.qas.router import IMPORT_RESPONSES, ImportFormat, read_import
from erpai.records import service
from erpai.records.io import ImportedRecords, import_records
from erpai.records.translation import TranslateRequest, TranslationRead, translate_field
from erpai.routing import SessionReleasingRoute
from erpai.rules.engine import Firing
from erpai.rules.schemas import RunRead

router = APIRouter(route_class=SessionReleasingRoute, prefix="/records", tags=["records"])
RecordBody = Annotated[
    dict[str, Any], Body(description='Field values by column name, e.g. {"name": "ACME"}.')
]
_PAGING = {"limit", "offset"}
Kind = Annotated[str, Path(max_length=64, description="enterprise_companies, parties, products, ...")]


def saved(record: dict[str, Any], firing: Firing) -> dict[str, Any]:
    return {
        "record": record,
        "warnings": [w.model_dump() for w in firing.warnings],
        "runs": [RunRead.model_validate(r).model_dump(mode="json") for r in firing.runs],
    }


@router.get("/{kind}", response_model=Page[dict[str, Any]])
def list_records(
    kind: Kind,
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
def create_record(kind: Kind, body: RecordBody, session: SessionDep, user: CurrentUser) -> Any:
    """Rules fire first: an AIVALIDATE that fails answers 422 naming the rule, and nothing is saved."""
    return saved(*service.save_record(session, kind=kind, values=body))


@router.get("/{kind}/{record_id}")
def read_record(kind: Kind, record_id: Id, session: SessionDep, user: CurrentUser) -> dict[str, Any]:
    return service.get_record(session, kind=kind, record_id=record_id)


@router.patch("/{kind}/{record_id}", response_model=None)
def update_record(kind: Kind, record_id: Id, body: RecordBody, session: SessionDep, user: CurrentUser) -> Any:
    return saved(*service.save_record(session, kind=kind, values=body, record_id=record_id))


@router.delete("/{kind}/{record_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_record(kind: Kind, record_id: Id, session: SessionDep, user: CurrentUser) -> Response:
    service.delete_record(session, kind=kind, record_id=record_id, actor=user)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{kind}/{record_id}/translate", response_model=TranslationRead, responses=error_responses(502, 503, 504)
)
def translate(
    kind: Kind, record_id: Id, data: TranslateRequest, session: SessionDep, user: CurrentUser
) -> TranslationRead:
    """AI translation of a multilanguage field: into every active language without a value, or with
    ``target_language`` into that one (from ``source_language`` or the first language that has a value)."""
    return translate_field(session, kind=kind, record_id=record_id, data=data, actor=user)


@router.post(
    "/{kind}/import",
    response_model=ImportedRecords,
    responses=IMPORT_RESPONSES,
)
async def import_file(
    kind: Kind,
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    format: ImportFormat = None,
) -> ImportedRecords:
    """Parties, products, enterprise companies from CSV or JSONL (body or multipart `file`): all or none."""
    text, fmt = await read_import(request, format)
    return await run_in_threadpool(
        lambda: import_records(session, kind=kind, content=text, fmt=fmt, actor=user)
    )
