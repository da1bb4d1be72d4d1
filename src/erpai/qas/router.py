from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from erpai.auth import CurrentUser, SessionDep
from erpai.common import ErrorBody, Id, Page, PageParams, Search, page_params
from erpai.errors import InvalidInput
from erpai.qas import service
from erpai.qas.io import CONTENT_TYPES, decode_text, infer_format
from erpai.qas.schemas import ImportResult, QACreate, QAFilters, QARead, QATypeName, QAUpdate
from erpai.routing import SessionReleasingRoute

router = APIRouter(route_class=SessionReleasingRoute, tags=["qas"])
IMPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    422: {"model": ErrorBody, "description": "Bad rows: `errors` lists each (line, loc, msg); none imported"},
}


def qa_filters(
    qa_type: QATypeName | None = Query(default=None),
    is_active: bool | None = Query(default=None),
    section: Search | None = Query(default=None),
    q: Search | None = Query(default=None, description="Substring of the question or the answer (any case)"),
) -> QAFilters:
    return QAFilters(qa_type=qa_type, is_active=is_active, section=section, q=q)


Filters = Annotated[QAFilters, Depends(qa_filters)]


@router.get("/qas", response_model=Page[QARead])
def list_qas(
    session: SessionDep,
    user: CurrentUser,
    params: Annotated[PageParams, Depends(page_params)],
    filters: Filters,
    model_id: Id | None = Query(default=None),
) -> Page[QARead]:
    """Without model_id: the Q&As of every model the caller trains."""
    scoped = filters.model_copy(update={"model_id": model_id})
    rows, total = service.list_qas(session, params=params, filters=scoped, actor=user)
    return Page(items=[QARead.model_validate(r) for r in rows], total=total, **params.model_dump())


@router.post("/qas", response_model=QARead, status_code=status.HTTP_201_CREATED)
def create_qa(data: QACreate, session: SessionDep, user: CurrentUser) -> QARead:
    return QARead.model_validate(service.create_qa(session, data=data, actor=user))


@router.get("/qas/{qa_id}", response_model=QARead)
def read_qa(qa_id: Id, session: SessionDep, user: CurrentUser) -> QARead:
    return QARead.model_validate(service.read_qa(session, qa_id=qa_id, actor=user))


@router.patch("/qas/{qa_id}", response_model=QARead)
def update_qa(qa_id: Id, data: QAUpdate, session: SessionDep, user: CurrentUser) -> QARead:
    return QARead.model_validate(service.update_qa(session, qa_id=qa_id, data=data, actor=user))


@router.delete("/qas/{qa_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_qa(qa_id: Id, session: SessionDep, user: CurrentUser) -> Response:
    service.delete_qa(session, qa_id=qa_id, actor=user)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


async def read_upload(request: Request) -> tuple[bytes, str | None, str | None]:
    """The file's bytes, name and content type: a multipart field ``file`` or the raw body."""
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        form = await request.form()
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise InvalidInput("send the file in the multipart field 'file'", field="file")
        return await upload.read(), upload.filename, upload.content_type
    return await request.body(), None, content_type


ImportFormat = Annotated[
    Literal["csv", "jsonl"] | None, Query(description="Default: from the file name")
]


async def read_import(request: Request, fmt: str | None) -> tuple[str, str]:
    """An import's text and format (``csv`` / ``jsonl``, inferred from the file name when not given)."""
    data, filename, content_type = await read_upload(request)
    return decode_text(data), infer_format(fmt, filename=filename, content_type=content_type)


@router.post(
    "/models/{model_id}/qas/import",
    response_model=ImportResult,
    responses=IMPORT_RESPONSES,
)
async def import_qas(
    model_id: Id,
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    format: ImportFormat = None,
) -> ImportResult:
    """Imports a CSV or JSONL file (the request body, or the multipart field `file`): all rows or none."""
    text, fmt = await read_import(request, format)
    imported = await run_in_threadpool(
        lambda: service.import_qas(
            session, model_id=model_id, content=text, fmt=fmt, actor=user
        )
    )
    return ImportResult(imported=imported)


@router.get("/models/{model_id}/qas/export", response_class=StreamingResponse)
def export_qas(
    model_id: Id,
    session: SessionDep,
    user: CurrentUser,
    filters: Filters,
    format: Literal["csv", "jsonl"] = Query(default="csv"),
) -> StreamingResponse:
    chunks = service.export_qas(session, model_id=model_id, fmt=format, filters=filters, actor=user)
    headers = {"Content-Disposition": f'attachment; filename="model-{model_id}-qas.{format}"'}
    return StreamingResponse(chunks, media_type=CONTENT_TYPES[format], headers=headers)
