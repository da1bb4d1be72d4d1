from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from erpai.common import Id, Text, UTCDateTime
from erpai.limits import EMAIL_MAX, NAME_MAX, NOTES_MAX

LeadText = Annotated[str, Text(min_length=1, max_length=NOTES_MAX)]
ShortText = Annotated[str, Text(max_length=NAME_MAX)]


class FlagRead(BaseModel):
    field: ShortText
    value: Annotated[str, Text(max_length=NOTES_MAX)]
    reason: ShortText


class ValidationRead(BaseModel):
    name: ShortText
    ok: bool
    message: Annotated[str, Text(max_length=NOTES_MAX)]


class IngestProposalRead(BaseModel):
    id: Id
    status: Literal["proposed", "confirmed"]
    created_time_utc: UTCDateTime
    filename: ShortText | None
    media_type: ShortText
    size_bytes: int
    path: Literal["structured", "text", "ocr", "vision"]
    fields: dict[str, Any]
    supplier_key: Annotated[str, Text(max_length=NOTES_MAX)] | None
    flags: list[FlagRead]
    validations: list[ValidationRead]
    notes: list[Annotated[str, Text(max_length=NOTES_MAX)]]
    missing_capability: Annotated[str, Text(max_length=NOTES_MAX)] | None
    matched_supplier_id: Id | None = Field(
        default=None, description="The existing party the supplier matches (registration / VAT number, name)."
    )
    purchase_invoice_id: Id | None = Field(default=None, description="The draft invoice, once confirmed.")


Code = Annotated[str, Text(max_length=64)]
Amount = Annotated[float, Field(ge=-1e12, le=1e12)]


class InvoiceConfirm(BaseModel):
    """The reviewed proposal: every field given here replaces the recognised value (null clears it)."""

    model_config = ConfigDict(extra="forbid")

    document_type: Literal["purchase_invoice", "credit_note", "not_invoice"] | None = None
    number: Code | None = None
    issue_date: date | None = None
    supplier_name: ShortText | None = None
    supplier_vat: Code | None = None
    supplier_registration: Code | None = None
    supplier_address: Annotated[str, Text(max_length=NOTES_MAX)] | None = None
    customer_name: ShortText | None = None
    customer_vat: Code | None = None
    customer_registration: Code | None = None
    net: Amount | None = None
    vat: Amount | None = None
    total: Amount | None = None
    currency: Annotated[str, Text(min_length=3, max_length=3, pattern="^[A-Za-z]{3}$")] | None = None
    notes: Annotated[str, Text(max_length=NOTES_MAX)] | None = None
    supplier_id: Id | None = Field(
        default=None,
        description="An existing party as the supplier; absent: the matched one, else a new party.",
    )
    new_supplier: bool = Field(
        default=False, description="Create a new party from the supplier fields even when one matches."
    )


class InvoiceConfirmed(BaseModel):
    proposal_id: Id
    purchase_invoice_id: Id
    supplier_id: Id
    new_supplier: bool = Field(description="The supplier was created by this import.")
    line_source: Literal["previous_invoice", "default_service_product"]
    attachment_file_id: Id
    warnings: list[str] = Field(default_factory=list, description="AIWARNING messages of business rules.")


class LeadFields(BaseModel):
    first_name: ShortText | None = None
    last_name: ShortText | None = None
    email: Annotated[str, Text(max_length=EMAIL_MAX)] | None = None
    phone: ShortText | None = None
    role: ShortText | None = None
    company: ShortText | None = None
    notes: Annotated[str, Text(max_length=NOTES_MAX)] | None = None


class LeadProposalRead(BaseModel):
    fields: LeadFields
    flags: list[FlagRead]
    notes: list[Annotated[str, Text(max_length=NOTES_MAX)]]
    missing_capability: Annotated[str, Text(max_length=NOTES_MAX)] | None
