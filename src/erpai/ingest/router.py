from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request, Response, status
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from erpai.auth import CurrentUser, SessionDep
from erpai.common import ErrorBody, Id, error_responses
from erpai.errors import InvalidInput
from erpai.ingest import lead_save, service
from erpai.ingest.lead_schemas import LeadExtractRead, LeadSave, LeadSaved
from erpai.ingest.schemas import IngestProposalRead, InvoiceConfirm, InvoiceConfirmed
from erpai.routing import SessionReleasingRoute

FORMS = ("multipart/form-data", "application/x-www-form-urlencoded")
router = APIRouter(route_class=SessionReleasingRoute, tags=["ingest"])
FILE_RESPONSES = error_responses(422) | {
    413: {"model": ErrorBody, "description": "The file is larger than the limit (20 MiB)"}
}


async def _upload(request: Request, *, required: bool) -> tuple[bytes | None, str | None, str | None]:
    """The multipart field ``file`` (refused with 413 from its declared length before it is read) and
    the form field ``text``."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit():
        service.check_size(int(declared) - 4096)  # the multipart framing around the file
    if not request.headers.get("content-type", "").startswith(FORMS):
        raise InvalidInput("send a form (multipart/form-data with the field 'file')", field="file")
    form = await request.form()
    upload, text = form.get("file"), form.get("text")
    data = await upload.read() if isinstance(upload, UploadFile) else None
    if data is None and required:
        raise InvalidInput("send the file in the multipart field 'file'", field="file")
    filename = upload.filename if isinstance(upload, UploadFile) else None
    return data, filename, text if isinstance(text, str) else None


@router.post(
    "/ingest/invoices",
    response_model=IngestProposalRead,
    status_code=status.HTTP_201_CREATED,
    responses=FILE_RESPONSES,
)
async def ingest_invoice(request: Request, session: SessionDep, user: CurrentUser) -> IngestProposalRead:
    """One file = one invoice (PDF, PNG, JPEG, TIFF, WebP, UBL/CII XML) → a stored proposal to review."""
    data, filename, _text = await _upload(request, required=True)
    assert data is not None
    return await run_in_threadpool(
        lambda: service.ingest_invoice(session, data=data, filename=filename, actor=user)
    )


@router.get("/ingest/invoices/{proposal_id}", response_model=IngestProposalRead)
def read_invoice_proposal(proposal_id: Id, session: SessionDep, user: CurrentUser) -> IngestProposalRead:
    return service.read_invoice_proposal(session, proposal_id=proposal_id, actor=user)


@router.post(
    "/ingest/invoices/{proposal_id}/confirm",
    response_model=InvoiceConfirmed,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(404, 409, 422),
)
def confirm_invoice(
    proposal_id: Id, body: InvoiceConfirm, session: SessionDep, user: CurrentUser
) -> InvoiceConfirmed:
    """The reviewed proposal (any field given replaces the recognised one) → a draft purchase invoice with
    its supplier (chosen, matched or new), one line (smart mapping) and the original file attached.
    422 names the field of a failed validation (not an invoice, a missing field, net + VAT ≠ total, another
    recipient, no default service product); 409: a duplicate invoice, or the proposal was confirmed."""
    return service.confirm_invoice(session, proposal_id=proposal_id, edits=body, actor=user)


@router.get(
    "/ingest/files/{file_id}",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}, "description": "The original file"}},
)
def read_stored_file(file_id: Id, session: SessionDep, user: CurrentUser) -> Response:
    """An ingested invoice's original file (the purchase invoice's ``attachment_file_id``)."""
    row = service.read_stored_file(session, file_id=file_id, actor=user)
    name = quote(row.filename or f"file-{row.id}")
    disposition = f"inline; filename*=UTF-8''{name}"
    return Response(row.data, media_type=row.media_type, headers={"Content-Disposition": disposition})


@router.post("/leads/extract", response_model=LeadExtractRead, responses=FILE_RESPONSES)
async def extract_lead(request: Request, session: SessionDep, user: CurrentUser) -> LeadExtractRead:
    """A proposed lead from the form field ``text`` or an ``.eml`` in the field ``file`` (not saved), with
    the leads and parties of the same e-mail or company (``duplicates``); save it with ``POST /leads``."""
    data, _filename, text = await _upload(request, required=False)
    if data is None and not (text or "").strip():
        raise InvalidInput("send the form field 'text' or an .eml file in the field 'file'", field="text")
    return await run_in_threadpool(lambda: lead_save.extract_lead(session, text=text, eml=data, actor=user))


@router.post("/leads", response_model=LeadSaved, status_code=status.HTTP_201_CREATED)
def save_lead(data: LeadSave, session: SessionDep, user: CurrentUser) -> LeadSaved:
    """Saves the reviewed lead. 409 when a lead or party with the same e-mail or normalised company
    exists, naming them; send ``allow_duplicate: true`` to save it anyway."""
    return lead_save.save_lead(session, data=data, actor=user)
