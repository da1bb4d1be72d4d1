"""The model page's Q&As tab: paged and filtered table, inline add / edit / deactivate, import, export."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import Response, StreamingResponse
from starlette.datastructures import UploadFile

from erpai.ai_models.models import AIModel
from erpai.ai_models.service import get_model
from erpai.common import PageParams
from erpai.errors import DomainError, InvalidInput
from erpai.qas.io import CONTENT_TYPES, ImportRejected, decode_text, infer_format
from erpai.qas.models import ModelQA
from erpai.qas.schemas import QACreate, QAFilters, QAUpdate
from erpai.qas.service import create_qa, export_qas, get_qa, import_qas, list_qas, update_qa
from erpai.routing import SessionReleasingRoute
from erpai.web.deps import Web, WebDep
from erpai.web.forms import form_values, read_form
from erpai.web.render import is_htmx, page, parse_form, redirect

router = APIRouter(route_class=SessionReleasingRoute)
PAGE = 50
QA_FIELDS = ("question", "answer", "section", "qa_type", "is_active", "notes")


def _filters(model_id: int, section: str, qa_type: str, active: str, q: str) -> QAFilters:
    return parse_form(
        QAFilters,
        {
            "model_id": model_id,
            "section": section.strip() or None,
            "qa_type": qa_type or None,
            "is_active": {"yes": True, "no": False}.get(active),
            "q": q.strip() or None,
        },
    )


def _tab(web: Web, model: AIModel, filters: dict[str, str], offset: int, extra: dict[str, Any]) -> Response:
    parsed = _filters(model.id, **filters)
    rows, total = list_qas(
        web.session, params=PageParams(limit=PAGE, offset=offset), filters=parsed, actor=web.user
    )
    query = "&".join(f"{k}={v}" for k, v in filters.items() if v)
    context = {
        "model": model, "tab": "qas", "rows": rows, "total": total, "offset": offset, "limit": PAGE,
        "filters": filters, "query": query, "new": {"section": "", "qa_type": "training"}, **extra,
    }  # fmt: skip
    template = "qas/_table.html" if is_htmx(web.request) and not extra else "qas/tab.html"
    return page(web, template, context, status_code=extra.get("status", 200))


@router.get("/models/{model_id}/qas")
def qas_tab(
    model_id: int,
    web: WebDep,
    section: str = "",
    qa_type: str = "",
    active: str = "",
    q: str = "",
    offset: int = Query(default=0, ge=0),
    new_question: str = "",
    new_answer: str = "",
) -> Response:
    """``new_question`` / ``new_answer`` prefill the add form ("make this a Q&A" from the hit history)."""
    model = get_model(web.session, model_id=model_id)
    filters = {"section": section, "qa_type": qa_type, "active": active, "q": q}
    prefill = {"new": {"question": new_question, "answer": new_answer, "qa_type": "training"}}
    return _tab(web, model, filters, offset, prefill if new_question else {})


@router.post("/models/{model_id}/qas")
async def add_qa(model_id: int, web: WebDep) -> Response:
    model = get_model(web.session, model_id=model_id)
    values = form_values(await read_form(web.request), nullable=("notes",), only=QA_FIELDS)
    try:
        create_qa(web.session, data=parse_form(QACreate, values | {"model_id": model_id}), actor=web.user)
    except DomainError as exc:
        web.session.rollback()
        blank = {"section": "", "qa_type": "", "active": "", "q": ""}
        extra = {"new": values, "error": exc.message, "error_field": exc.field, "status": exc.status_code}
        return _tab(web, model, blank, 0, extra)
    return redirect(web, f"/models/{model_id}/qas?added=1")


def _row(web: Web, qa: ModelQA, *, editing: bool, extra: dict[str, Any] | None = None) -> Response:
    status = (extra or {}).pop("status", 200)
    context = {
        "qa": qa,
        "editing": editing,
        "model": get_model(web.session, model_id=qa.model_id),
        **(extra or {}),
    }
    template = "qas/_row.html" if is_htmx(web.request) else "qas/edit.html"
    return page(web, template, context, status_code=status)


@router.get("/qas/{qa_id}/edit")
def edit_qa(qa_id: int, web: WebDep) -> Response:
    return _row(web, get_qa(web.session, qa_id=qa_id), editing=True)


@router.get("/qas/{qa_id}")
def show_qa(qa_id: int, web: WebDep) -> Response:
    """htmx: the row as displayed (Cancel of an inline edit); a plain request: the edit page."""
    return _row(web, get_qa(web.session, qa_id=qa_id), editing=not is_htmx(web.request))


@router.post("/qas/{qa_id}")
async def save_qa(qa_id: int, web: WebDep) -> Response:
    qa = get_qa(web.session, qa_id=qa_id)
    values = form_values(await read_form(web.request), nullable=("notes",), only=QA_FIELDS)
    try:
        qa = update_qa(web.session, qa_id=qa_id, data=parse_form(QAUpdate, values), actor=web.user)
    except DomainError as exc:
        web.session.rollback()
        extra = {"values": values, "error": exc.message, "error_field": exc.field, "status": exc.status_code}
        return _row(web, get_qa(web.session, qa_id=qa_id), editing=True, extra=extra)
    if is_htmx(web.request):
        return _row(web, qa, editing=False)
    return redirect(web, f"/models/{qa.model_id}/qas")


@router.post("/qas/{qa_id}/active")
async def toggle_qa(qa_id: int, web: WebDep) -> Response:
    values = form_values(await read_form(web.request), only=("is_active",))
    qa = update_qa(web.session, qa_id=qa_id, data=parse_form(QAUpdate, values), actor=web.user)
    if is_htmx(web.request):
        return _row(web, qa, editing=False)
    return redirect(web, f"/models/{qa.model_id}/qas")


@router.post("/models/{model_id}/qas/import")
async def import_file(model_id: int, web: WebDep) -> Response:
    model = get_model(web.session, model_id=model_id)
    upload = (await read_form(web.request)).get("file")
    blank = {"section": "", "qa_type": "", "active": "", "q": ""}
    try:
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise InvalidInput("choose a CSV or JSONL file", field="file")
        fmt = infer_format(None, filename=upload.filename, content_type=upload.content_type)
        imported = import_qas(
            web.session,
            model_id=model_id,
            content=decode_text(await upload.read()),
            fmt=fmt,
            actor=web.user,
        )
    except DomainError as exc:
        web.session.rollback()
        rows = exc.errors if isinstance(exc, ImportRejected) else []
        extra = {"import_error": exc.message, "import_rows": rows, "status": exc.status_code}
        return _tab(web, model, blank, 0, extra)
    return _tab(web, model, blank, 0, {"imported": imported})


@router.get("/models/{model_id}/qas/export")
def export_file(model_id: int, web: WebDep, format: str = "csv") -> Response:
    get_model(web.session, model_id=model_id)
    fmt = infer_format(format)
    chunks = export_qas(web.session, model_id=model_id, fmt=fmt, filters=QAFilters(), actor=web.user)
    headers = {"Content-Disposition": f'attachment; filename="model-{model_id}-qas.{fmt}"'}
    return StreamingResponse(chunks, media_type=CONTENT_TYPES[fmt], headers=headers)
