"""Ingest use cases: a stored invoice proposal from a file, a proposed lead from text or an e-mail.

Any signed-in user may ingest; a proposal is read by the user who made it and by admins (404 for anyone
else: its existence is private). Without a chat provider the deterministic paths fill the proposal and
``missing_capability`` names the 'chat' capability.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NoReturn

from sqlalchemy import update
from sqlalchemy.orm import Session

from erpai.db import utcnow
from erpai.errors import Conflict, DomainError, InvalidInput, MissingCapability, NotFound
from erpai.ingest import invoicing
from erpai.ingest.extraction import default_chat_client
from erpai.ingest.fields import AMOUNT_FIELDS, FIELD_NAMES, InvoiceFields
from erpai.ingest.leads import email_source, parse_eml, propose_lead
from erpai.ingest.models import IngestProposal, StoredFile
from erpai.ingest.proposal import propose_invoice
from erpai.ingest.schemas import (
    IngestProposalRead,
    InvoiceConfirm,
    InvoiceConfirmed,
    LeadProposalRead,
)
from erpai.limits import EMAIL_MAX, NAME_MAX, NOTES_MAX
from erpai.providers.base import ProviderClient
from erpai.records.models import Party
from erpai.records.service import Pending, RecordWrites
from erpai.users.models import User

MAX_FILE_BYTES = 20 * 1024 * 1024  # one invoice file; a larger upload is answered 413


class FileTooLarge(DomainError):
    status_code = 413


def check_size(size: int) -> None:
    if size > MAX_FILE_BYTES:
        raise FileTooLarge(
            f"the file is {size} bytes; at most {MAX_FILE_BYTES} bytes "
            f"({MAX_FILE_BYTES // 2**20} MiB) are accepted",
            field="file",
        )


def _chat_client_or_none(session: Session) -> ProviderClient | None:
    try:
        return default_chat_client(session)
    except MissingCapability:
        return None


def _read(session: Session, row: IngestProposal) -> IngestProposalRead:
    body = json.loads(row.proposal_json)
    proposed = row.status == "proposed"
    matched = invoicing.match_supplier(session, InvoiceFields.from_json(body["fields"])) if proposed else None
    body |= {
        "id": row.id,
        "status": row.status,
        "created_time_utc": row.created_time_utc,
        "filename": row.filename,
        "media_type": row.media_type,
        "size_bytes": row.size_bytes,
        "matched_supplier_id": matched.id if matched is not None else None,
        "purchase_invoice_id": row.purchase_invoice_id,
    }
    return IngestProposalRead.model_validate(body)


def _recipient_validation(session: Session, fields: InvoiceFields) -> dict[str, Any]:
    """The recipient check of a new proposal (the confirm checks it again, on the reviewed fields)."""
    try:
        company = invoicing.current_enterprise_company(session)
    except InvalidInput as exc:
        return {"name": "recipient", "ok": False, "message": exc.message}
    ok = invoicing.is_recipient(company, fields)
    message = (
        "the current enterprise company" if ok else f"not the current enterprise company '{company.name}'"
    )
    return {"name": "recipient", "ok": ok, "message": f"the recipient is {message}"}


def ingest_invoice(session: Session, *, data: bytes, filename: str | None, actor: User) -> IngestProposalRead:
    """Reads the file (nothing is stored when it cannot be read) and stores the proposal with the file."""
    check_size(len(data))
    proposal = propose_invoice(data, client=_chat_client_or_none(session))
    body = proposal.as_json()
    body["validations"].insert(1, _recipient_validation(session, proposal.fields))
    row = IngestProposal(
        created_by_user_id=actor.id,
        filename=(filename or None) and filename[:256],
        media_type=proposal.media_type,
        size_bytes=len(data),
        file_data=data,
        read_path=proposal.path,
        proposal_json=json.dumps(body, ensure_ascii=False),
    )
    session.add(row)
    session.commit()
    return _read(session, row)


def _own_proposal(session: Session, proposal_id: int, actor: User) -> IngestProposal:
    row = session.get(IngestProposal, proposal_id)
    if row is None or (row.created_by_user_id != actor.id and not actor.is_admin):
        raise NotFound(f"invoice proposal {proposal_id} does not exist", field="proposal_id")
    return row


def read_invoice_proposal(session: Session, *, proposal_id: int, actor: User) -> IngestProposalRead:
    return _read(session, _own_proposal(session, proposal_id, actor))


def confirm_invoice(
    session: Session, *, proposal_id: int, edits: InvoiceConfirm, actor: User
) -> InvoiceConfirmed:
    """The reviewed proposal becomes a draft purchase invoice with its supplier, line and original file,
    in one transaction: any refused validation leaves nothing written. A proposal is confirmed once.

    The new records are saved as any record (:class:`RecordWrites`): their business rules fire before
    anything is written; AISET values are stored, a failed AIVALIDATE refuses the confirm (422, the
    proposal stays proposed), AIWARNING messages come back in ``warnings``."""
    row = _own_proposal(session, proposal_id, actor)
    fields = _reviewed(row, edits)
    if row.status != "proposed":
        _already_confirmed(session, row.id)
    try:
        booking = _plan(session, row, fields, edits)
        _claim(session, row)
        confirmed = _book(session, row, booking, actor)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return confirmed


def _reviewed(row: IngestProposal, edits: InvoiceConfirm) -> InvoiceFields:
    """The recognised fields with the user's edits on top (a field sent as null is cleared)."""
    fields = InvoiceFields.from_json(json.loads(row.proposal_json)["fields"])
    for name in edits.model_fields_set & set(FIELD_NAMES):
        value = getattr(edits, name)
        if isinstance(value, str):
            value = value.strip() or None
        if value is not None and name in AMOUNT_FIELDS:
            value = Decimal(str(value))
        if value is not None and name == "currency":
            value = value.upper()
        setattr(fields, name, value)
    return fields


def _claim(session: Session, row: IngestProposal) -> None:
    """Marks the proposal confirmed, or 409 when it already is (a concurrent confirm waits for the row)."""
    claimed = session.execute(
        update(IngestProposal)
        .where(IngestProposal.id == row.id, IngestProposal.status == "proposed")
        .values(status="confirmed", confirmed_time_utc=utcnow())
        .execution_options(synchronize_session=False)
    )
    if getattr(claimed, "rowcount", 0) != 1:
        session.rollback()
        _already_confirmed(session, row.id)


def _already_confirmed(session: Session, proposal_id: int) -> NoReturn:
    done = session.get(IngestProposal, proposal_id)
    invoice = f" (purchase invoice {done.purchase_invoice_id})" if done and done.purchase_invoice_id else ""
    raise Conflict(f"invoice proposal {proposal_id} was already confirmed{invoice}", field="proposal_id")


@dataclass
class _Booking:
    """The checked records of a confirm (rules fired, nothing written yet)."""

    writes: RecordWrites
    invoice: Pending
    new_supplier: Pending | None  # None: the invoice's supplier_id is an existing party
    line_source: invoicing.LineSource


def _plan(session: Session, row: IngestProposal, fields: InvoiceFields, edits: InvoiceConfirm) -> _Booking:
    """The three validations, the supplier and the lines; then each new record's rules (AI calls)."""
    if edits.supplier_id is not None and edits.new_supplier:
        raise InvalidInput("give supplier_id or new_supplier, not both", field="supplier_id")
    invoicing.check_valid_invoice(fields, supplier_known=edits.supplier_id is not None)
    company = invoicing.current_enterprise_company(session)
    invoicing.check_recipient(company, fields)
    supplier = _supplier(session, fields, edits)
    assert fields.number is not None and fields.net is not None
    if supplier is not None:
        invoicing.check_duplicate(
            session, company_id=company.id, supplier_id=supplier.id, number=fields.number
        )
    lines, source = invoicing.mapped_lines(
        session, supplier_id=supplier.id if supplier is not None else None, net=fields.net
    )
    writes = RecordWrites(session)
    created = (
        writes.check(kind="parties", values=invoicing.new_party_values(fields)) if supplier is None else None
    )
    values = {
        "enterprise_company_id": company.id,
        "supplier_id": supplier.id if supplier is not None else None,
        "document_number": fields.number,
        "document_date": fields.issue_date,
        "currency": fields.currency,
        "net_amount": fields.net,
        "vat_amount": fields.vat,
        "total_amount": fields.total,
        "state": "draft",
        "attachment": row.filename,
    }
    links = {"supplier_id": created} if created is not None else None
    invoice = writes.check(kind="purchase_invoices", values=values, links=links)
    for line in lines:
        writes.check(kind="purchase_invoice_lines", values=line, links={"purchase_invoice_id": invoice})
    return _Booking(writes, invoice, created, source)


def _book(session: Session, row: IngestProposal, booking: _Booking, actor: User) -> InvoiceConfirmed:
    stored = StoredFile(
        created_by_user_id=actor.id,
        filename=row.filename,
        media_type=row.media_type,
        size_bytes=row.size_bytes,
        sha256=hashlib.sha256(row.file_data).hexdigest(),
        data=row.file_data,
    )
    session.add(stored)
    session.flush()
    values = booking.invoice.values  # the original's fields: known once the file is stored
    values["attachment_file_id"] = stored.id
    values["attachment"] = values.get("attachment") or f"ingested file {stored.id}"
    booking.writes.write()
    invoice = booking.invoice.written
    row.purchase_invoice_id = invoice.id
    return InvoiceConfirmed(
        proposal_id=row.id,
        purchase_invoice_id=invoice.id,
        supplier_id=invoice.supplier_id,
        new_supplier=booking.new_supplier is not None,
        line_source=booking.line_source,
        attachment_file_id=stored.id,
        warnings=[w.message for w in booking.writes.warnings],
    )


def _supplier(session: Session, fields: InvoiceFields, edits: InvoiceConfirm) -> Party | None:
    """The chosen party, else the matched one; None: a new one is created by this import."""
    if edits.supplier_id is not None:
        return invoicing.chosen_supplier(session, edits.supplier_id)
    return None if edits.new_supplier else invoicing.match_supplier(session, fields)


def read_stored_file(session: Session, *, file_id: int, actor: User) -> StoredFile:
    """An attached original (any signed-in user, like the records it belongs to)."""
    del actor  # every signed-in user reads business records
    row = session.get(StoredFile, file_id)
    if row is None:
        raise NotFound(f"stored file {file_id} does not exist", field="file_id")
    return row


def extract_lead(session: Session, *, text: str | None, eml: bytes | None, actor: User) -> LeadProposalRead:
    """A proposed lead (not stored: the user reviews and saves it) from pasted text or an .eml file."""
    del actor  # any signed-in user; kept for the service signature every front-end calls
    client = _chat_client_or_none(session)
    if eml is not None:
        check_size(len(eml))
        mail = parse_eml(eml)
        proposal = propose_lead(email_source(mail), client=client, sender=mail)
    else:
        proposal = propose_lead(text or "", client=client)
    body = proposal.as_json()
    body["fields"] = {key: _bounded(key, value) for key, value in body["fields"].items()}
    return LeadProposalRead.model_validate(body)


def _bounded(key: str, value: str | None) -> str | None:
    """A model's value cut to the field's limit (the response must validate whatever the model wrote)."""
    limit = NOTES_MAX if key == "notes" else EMAIL_MAX if key == "email" else NAME_MAX
    return value[:limit] if value is not None else None
