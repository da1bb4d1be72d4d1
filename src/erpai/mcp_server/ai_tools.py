"""The MCP tools of the AI business tools: ``create_lead`` and ``create_todo``, run as the caller."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from erpai.ingest import lead_save
from erpai.ingest.lead_schemas import LeadSave
from erpai.users.models import User


def create_lead(
    session: Session, *, user: User, text: str, save: bool, allow_duplicate: bool
) -> dict[str, Any]:
    """The lead proposed from ``text`` with its flags and duplicates; saved as proposed when ``save``."""
    proposal = lead_save.extract_lead(session, text=text, eml=None, actor=user)
    out: dict[str, Any] = {"proposal": proposal.model_dump(mode="json")}
    if save:
        data = LeadSave(**proposal.fields.model_dump(), source="text", allow_duplicate=allow_duplicate)
        out["saved"] = lead_save.save_lead(session, data=data, actor=user).model_dump(mode="json")
    return out
