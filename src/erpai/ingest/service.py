"""Ingest use cases: a stored invoice proposal from a file, a proposed lead from text or an e-mail.

Any signed-in user may ingest; a proposal is read by the user who made it and by admins (404 for anyone
else: its existence is private). Without a chat provider the deterministic paths fill the proposal and
``missing_capability`` names the 'chat' capability.
"""

from __future__ import annotations

import json

from sqlalchemy.orm import Session

from erpai.errors import DomainError, MissingCapability, NotFound
from erpai.ingest.extraction import default_chat_client
from erpai.ingest.leads import email_source, parse_eml, propose_lead
from erpai.ingest.models import IngestProposal
from erpai.ingest.proposal import propose_invoice
from erpai.ingest.schemas import IngestProposalRead, LeadProposalRead
from erpai.limits import EMAIL_MAX, NAME_MAX, NOTES_MAX
from erpai.providers.base import ProviderClient
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


def _read(row: IngestProposal) -> IngestProposalRead:
    body = json.loads(row.proposal_json) | {
        "id": row.id,
        "status": "proposed",
        "created_time_utc": row.created_time_utc,
        "filename": row.filename,
        "media_type": row.media_type,
        "size_bytes": row.size_bytes,
    }
    return IngestProposalRead.model_validate(body)


def ingest_invoice(session: Session, *, data: bytes, filename: str | None, actor: User) -> IngestProposalRead:
    """Reads the file (nothing is stored when it cannot be read) and stores the proposal with the file."""
    check_size(len(data))
    proposal = propose_invoice(data, client=_chat_client_or_none(session))
    body = proposal.as_json()
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
    return _read(row)


def read_invoice_proposal(session: Session, *, proposal_id: int, actor: User) -> IngestProposalRead:
    row = session.get(IngestProposal, proposal_id)
    if row is None or (row.created_by_user_id != actor.id and not actor.is_admin):
        raise NotFound(f"invoice proposal {proposal_id} does not exist", field="proposal_id")
    return _read(row)


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
