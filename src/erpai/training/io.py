"""Training conversations from JSONL: one conversation per line, every bad line reported."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from erpai.common import Notes
from erpai.limits import MESSAGES_PER_REQUEST_MAX
from erpai.qas.io import ImportRejected, RowError, load_json_object
from erpai.training.schemas import MessageIn


class ConversationLine(BaseModel):
    """``{"messages": [{"role", "name"?, "content"}], "notes"?}``"""

    model_config = ConfigDict(extra="forbid")

    messages: list[MessageIn] = Field(min_length=1, max_length=MESSAGES_PER_REQUEST_MAX)
    notes: Notes | None = None


def parse_conversations(text: str) -> list[tuple[int, ConversationLine]]:
    """(line number, conversation) for every line, or ImportRejected listing every bad line."""
    items: list[tuple[int, ConversationLine]] = []
    errors: list[RowError] = []
    for line, raw in enumerate(text.split("\n"), start=1):
        data = load_json_object(raw, line, errors)
        if data is None:
            continue
        try:
            items.append((line, ConversationLine.model_validate(data)))
        except ValidationError as exc:
            for error in exc.errors():
                where = ".".join(str(part) for part in error["loc"])
                errors.append(RowError(line, where or None, error["msg"]))
    if errors:
        raise ImportRejected(errors)
    return items
