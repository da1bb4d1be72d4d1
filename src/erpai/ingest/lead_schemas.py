"""Request and response bodies of saving a lead and of the duplicates a lead proposal lists."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from erpai.common import Text
from erpai.ingest.schemas import LeadFields, LeadProposalRead


class Duplicate(BaseModel):
    kind: Literal["lead", "party"]
    id: int
    matched_on: list[Literal["email", "company"]] = Field(description="What is the same: e-mail, company.")


class LeadExtractRead(LeadProposalRead):
    duplicates: list[Duplicate] = Field(
        description="Leads and parties with the same e-mail or normalised company "
        "(saving one needs allow_duplicate)."
    )


class LeadSave(LeadFields):
    """The reviewed fields of a proposal (``POST /leads/extract``), as the user corrected them (bounded by
    the lead record's columns)."""

    model_config = ConfigDict(extra="forbid")

    first_name: Annotated[str, Text(max_length=128)] | None = None
    last_name: Annotated[str, Text(max_length=128)] | None = None
    phone: Annotated[str, Text(max_length=64)] | None = None
    role: Annotated[str, Text(max_length=128)] | None = None

    source: Literal["text", "email", "manual"] = Field(
        default="manual", description="Where the lead came from: pasted text, an e-mail, typed in."
    )
    allow_duplicate: bool = Field(
        default=False, description="Save even when a lead or party with the same e-mail or company exists."
    )


class LeadSaved(BaseModel):
    record: dict[str, Any] = Field(description="The new lead as `GET /records/leads/{id}` returns it.")
    duplicates: list[Duplicate]
    warnings: list[str] = Field(default_factory=list, description="AIWARN messages of business rules.")
