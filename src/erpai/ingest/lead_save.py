"""Saving a reviewed lead, and the duplicates a proposal or a save is warned about.

A lead duplicates an existing lead or party when the e-mail address is the same (case-insensitive) or the
company is the same after :func:`normalise_company_name` (dots, dashes, quotes, case, legal-form suffixes).
The extract response lists the duplicates; saving one anyway needs ``allow_duplicate`` (else 409 naming
the ids), so a user never creates a second lead for a known contact by accident.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from erpai.errors import Conflict, InvalidInput
from erpai.ingest import parsers
from erpai.ingest import service as ingest_service
from erpai.ingest.lead_schemas import Duplicate, LeadExtractRead, LeadSave, LeadSaved
from erpai.ingest.names import normalise_company_name
from erpai.ingest.schemas import LeadFields
from erpai.records.models import Lead, Party
from erpai.records.service import save_record
from erpai.users.models import User

MAX_DUPLICATES = 20  # listed per kind; enough for a user to see the lead is known
CANDIDATES = 500  # rows compared by normalised company name per kind


def _like(word: str) -> str:
    return "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _company_matches(session: Session, column: Any, key: str) -> list[int]:
    """Ids whose company column normalises to ``key``; pre-filtered in SQL by the key's longest word."""
    word = max(key.split(), key=len)
    rows = session.execute(
        select(column.class_.id, column).where(column.ilike(_like(word), escape="\\")).limit(CANDIDATES)
    ).tuples()
    return [row_id for row_id, name in rows if name and normalise_company_name(name) == key]


def find_duplicates(session: Session, *, email: str | None, company: str | None) -> list[Duplicate]:
    """Leads and parties with the same e-mail or the same normalised company, by kind and id."""
    found: dict[tuple[str, int], set[str]] = {}
    address = parsers.normalise_email(email) if email else None
    if address:
        for kind, model in (("lead", Lead), ("party", Party)):
            stmt = select(model.id).where(func.lower(model.email) == address).limit(MAX_DUPLICATES)
            for row_id in session.scalars(stmt):
                found.setdefault((kind, row_id), set()).add("email")
    key = normalise_company_name(company) if company else ""
    if key:
        for kind, column in (("lead", Lead.company_name), ("party", Party.name)):
            for row_id in _company_matches(session, column, key)[:MAX_DUPLICATES]:
                found.setdefault((kind, row_id), set()).add("company")
    return [
        Duplicate(kind=kind, id=row_id, matched_on=sorted(on)) for (kind, row_id), on in sorted(found.items())
    ]


def describe(duplicates: list[Duplicate]) -> str:
    return ", ".join(f"{d.kind} {d.id} (same {' and '.join(d.matched_on)})" for d in duplicates)


def save_lead(session: Session, *, data: LeadSave, actor: User) -> LeadSaved:
    """Creates the lead the user reviewed (business rules fire as for any record save).

    Any signed-in user may save leads, as any record. A duplicate is refused with 409 unless
    ``allow_duplicate`` is set; the duplicates are returned either way."""
    del actor  # records are written by every signed-in user; kept for the signature every front-end calls
    fields = data.model_dump(exclude={"allow_duplicate", "source"})
    if not any((fields.get(k) or "").strip() for k in ("first_name", "last_name", "email", "company")):
        raise InvalidInput("a lead needs a name, an e-mail or a company", field="last_name")
    if fields.get("email") and parsers.normalise_email(fields["email"]) is None:
        raise InvalidInput(f"email: {fields['email']!r} is not an e-mail address", field="email")
    duplicates = find_duplicates(session, email=fields.get("email"), company=fields.get("company"))
    if duplicates and not data.allow_duplicate:
        raise Conflict(
            f"this lead may already exist: {describe(duplicates)}; "
            "save with allow_duplicate to add it anyway",
            field="allow_duplicate",
        )
    values = {
        "first_name": fields.get("first_name"),
        "last_name": fields.get("last_name"),
        "email": fields.get("email"),
        "phone": fields.get("phone"),
        "role_in_company": fields.get("role"),
        "company_name": fields.get("company"),
        "notes": fields.get("notes"),
        "source": data.source,
    }
    record, firing = save_record(session, kind="leads", values={k: v for k, v in values.items() if v})
    return LeadSaved(
        record=record,
        duplicates=duplicates,
        warnings=[w.message for w in firing.warnings],
    )


def extract_lead(session: Session, *, text: str | None, eml: bytes | None, actor: User) -> LeadExtractRead:
    """The proposed lead (not saved) with the leads and parties it may duplicate."""
    proposal = ingest_service.extract_lead(session, text=text, eml=eml, actor=actor)
    duplicates = find_duplicates(session, email=proposal.fields.email, company=proposal.fields.company)
    return LeadExtractRead(**proposal.model_dump(), duplicates=duplicates)


def as_saved_lead(
    fields: LeadFields, *, source: Literal["text", "email", "manual"], allow_duplicate: bool
) -> LeadSave:
    """A proposal saved as it is (CLI ``--save``, MCP ``save``); a value too long for its column is a 422."""
    try:
        return LeadSave(**fields.model_dump(), source=source, allow_duplicate=allow_duplicate)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = ".".join(str(p) for p in first["loc"])
        raise InvalidInput(
            f"{name}: {first['msg']} (correct the proposal, then save it)", field=name
        ) from None
