""" "Fill from text or e-mail (AI)": paste a message or upload an .eml, review the proposed lead (values the
message does not support are flagged, possible duplicates listed), then save it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from erpai.errors import DomainError, InvalidInput
from erpai.ingest.lead_save import extract_lead, save_lead
from erpai.ingest.lead_schemas import LeadExtractRead, LeadSave
from erpai.ingest.service import check_size
from erpai.routing import SessionReleasingRoute
from erpai.web.deps import Web, WebDep
from erpai.web.forms import form_values, read_form
from erpai.web.render import page, parse_form, redirect, with_warnings

router = APIRouter(route_class=SessionReleasingRoute)
FIELDS = ("first_name", "last_name", "email", "phone", "role", "company", "notes")
TEMPLATE = "leads/fill.html"


@router.get("/leads/fill")
def fill_page(web: WebDep) -> Response:
    return page(web, TEMPLATE, {"text": ""})


@router.post("/leads/fill")
async def fill_submit(web: WebDep) -> Response:
    """Step 1: the proposal from the pasted text or the uploaded .eml, shown as a form to review."""
    form = await read_form(web.request)
    upload, text = form.get("file"), str(form.get("text") or "")
    eml = await upload.read() if isinstance(upload, UploadFile) and upload.filename else None
    try:
        if eml is not None:
            check_size(len(eml))
        elif not text.strip():
            raise InvalidInput("paste a text or choose an .eml e-mail", field="text")
        proposal = extract_lead(web.session, text=None if eml else text, eml=eml, actor=web.user)
    except DomainError as exc:
        web.session.rollback()
        context = {"text": text, "error": exc.message, "error_field": exc.field}
        return page(web, TEMPLATE, context, status_code=exc.status_code)
    return _review(web, proposal, source="email" if eml is not None else "text")


def _review(web: Web, proposal: LeadExtractRead, *, source: str, **extra: Any) -> Response:
    context = {
        "proposal": proposal,
        "values": proposal.fields.model_dump(),
        "flags": {flag.field: flag.reason for flag in proposal.flags},
        "source": source,
        **extra,
    }
    return page(web, TEMPLATE, context)


@router.post("/leads/fill/save")
async def save_submit(web: WebDep) -> Response:
    """Step 2: the reviewed values saved; a possible duplicate needs the box ticked."""
    values = form_values(await read_form(web.request), only=(*FIELDS, "source", "allow_duplicate"))
    data = {k: (v.strip() or None) if k in FIELDS else v for k, v in values.items()}
    try:
        saved = save_lead(web.session, data=parse_form(LeadSave, data), actor=web.user)
    except DomainError as exc:
        web.session.rollback()
        context = {
            "values": {k: data.get(k) for k in FIELDS},
            "flags": {},
            "source": data.get("source", "manual"),
            "reviewing": True,
            "error": exc.message,
            "error_field": exc.field,
        }
        return page(web, TEMPLATE, context, status_code=exc.status_code)
    return redirect(web, with_warnings(f"/records/leads/{saved.record['id']}?saved=1", saved.warnings))
