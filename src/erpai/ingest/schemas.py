from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel

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
    status: Literal["proposed"]
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
