"""The Ingest page: drop or choose an invoice file, review the recognised data (flags next to the values not
found in the document, the matched-supplier dropdown), Import → the draft purchase invoice."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from erpai.errors import DomainError, InvalidInput
from erpai.ingest import service
from erpai.ingest.fields import FIELD_NAMES
from erpai.ingest.schemas import IngestProposalRead, InvoiceConfirm
from erpai.records.models import Party
from erpai.routing import SessionReleasingRoute
from erpai.web.deps import Web, WebDep
from erpai.web.forms import form_values, read_form
from erpai.web.render import form_error, page, parse_form, redirect, with_warnings

router = APIRouter(route_class=SessionReleasingRoute)
MAX_PARTIES = 500  # in the dropdown (by name; the matched one is always there)
DOCUMENT_TYPES = [
    ("purchase_invoice", "Purchase invoice"),
    ("credit_note", "Credit note"),
    ("not_invoice", "Not an invoice"),
]
NEW_SUPPLIER = "new"


def _upload_page(web: Web, error: DomainError | None = None) -> Response:
    if error is not None:
        return form_error(web, "ingest/upload.html", {}, error)
    return page(web, "ingest/upload.html", {})


@router.get("/ingest")
def ingest_page(web: WebDep) -> Response:
    return _upload_page(web)


@router.post("/ingest")
async def ingest_upload(web: WebDep) -> Response:
    try:
        declared = web.request.headers.get("content-length", "")
        if declared.isdigit():
            service.check_size(int(declared) - 4096)  # refused before the body is read
        upload = (await read_form(web.request)).get("file")
        data = await upload.read() if isinstance(upload, UploadFile) else b""
        if not data:
            raise InvalidInput("choose or drop an invoice file", field="file")
        filename = upload.filename if isinstance(upload, UploadFile) else None
        proposal = await run_in_threadpool(
            lambda: service.ingest_invoice(web.session, data=data, filename=filename, actor=web.user)
        )
    except DomainError as exc:
        web.session.rollback()
        return _upload_page(web, exc)
    return redirect(web, f"/ingest/{proposal.id}")


def _parties(web: Web, matched: int | None) -> list[tuple[str, str]]:
    rows = list(web.session.scalars(select(Party).order_by(Party.name, Party.id).limit(MAX_PARTIES)))
    if matched is not None and all(p.id != matched for p in rows):
        found = web.session.get(Party, matched)
        rows = [found, *rows] if found is not None else rows
    options = [(str(p.id), f"{p.name} ({p.vat_number or p.registration_number or p.id})") for p in rows]
    return [(NEW_SUPPLIER, "New supplier (from the recognised data)"), *options]


def _review(
    web: Web, proposal: IngestProposalRead, values: dict[str, Any], error: DomainError | None = None
) -> Response:
    context = {
        "proposal": proposal,
        "values": values,
        "flags": {f.field: f.reason for f in proposal.flags},
        "parties": _parties(web, proposal.matched_supplier_id),
        "document_types": DOCUMENT_TYPES,
        "imported": web.request.query_params.get("imported") == "1",
        "warnings": [w for w in web.request.query_params.get("warned", "").split("\n") if w],
    }
    if error is not None:
        return form_error(web, "ingest/review.html", context, error)
    return page(web, "ingest/review.html", context)


def _initial(proposal: IngestProposalRead) -> dict[str, Any]:
    matched = proposal.matched_supplier_id
    return {**proposal.fields, "supplier": str(matched) if matched is not None else NEW_SUPPLIER}


@router.get("/ingest/{proposal_id}")
def review_page(proposal_id: int, web: WebDep) -> Response:
    proposal = service.read_invoice_proposal(web.session, proposal_id=proposal_id, actor=web.user)
    return _review(web, proposal, _initial(proposal))


def _edits(values: dict[str, Any]) -> InvoiceConfirm:
    body = {name: values.get(name) for name in FIELD_NAMES}
    supplier = values.get("supplier") or NEW_SUPPLIER
    if supplier == NEW_SUPPLIER:
        body["new_supplier"] = True
    else:
        body["supplier_id"] = supplier
    return parse_form(InvoiceConfirm, body)


@router.post("/ingest/{proposal_id}")
async def import_submit(proposal_id: int, web: WebDep) -> Response:
    values = form_values(await read_form(web.request), nullable=FIELD_NAMES)
    proposal = service.read_invoice_proposal(web.session, proposal_id=proposal_id, actor=web.user)
    try:
        edits = _edits(values)
        done = await run_in_threadpool(
            lambda: service.confirm_invoice(web.session, proposal_id=proposal_id, edits=edits, actor=web.user)
        )
    except DomainError as exc:
        web.session.rollback()
        return _review(web, proposal, values, exc)
    return redirect(web, with_warnings(f"/ingest/{proposal_id}?imported=1", done.warnings))


@router.get("/ingest/files/{file_id}")
def original_file(file_id: int, web: WebDep) -> Response:
    row = service.read_stored_file(web.session, file_id=file_id, actor=web.user)
    return Response(row.data, media_type=row.media_type, headers={"Content-Disposition": "inline"})
