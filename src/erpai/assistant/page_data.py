"""Page data ("Get page data"): the record or navigator page the user is looking at, given to the assistant.

A document is one record (any JSON object) or a navigator page ``{title, description, objects: [...]}``.
It is stored with the conversation as sent; when it goes into a prompt, a list of objects too large for the
token budget is truncated with a note saying how many objects were left out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from erpai.errors import InvalidInput, PayloadTooLarge

TITLE_KEYS = ("title", "name", "display_name", "label")


def estimate_tokens(text: str) -> int:
    """A provider-neutral estimate: about four characters per token."""
    return max(1, (len(text) + 3) // 4)


@dataclass(frozen=True)
class PageData:
    document: dict[str, Any]

    @property
    def form_kind(self) -> str:
        return "navigator" if "objects" in self.document else "record"

    @property
    def title(self) -> str:
        for key in TITLE_KEYS:
            value = self.document.get(key)
            if isinstance(value, str | int) and str(value).strip():
                return str(value).strip()[:200]
        return "this record" if self.form_kind == "record" else "this page"


def parse_page_data(raw: bytes, *, max_bytes: int) -> PageData:
    """Checks a sent document: 413 when larger than ``max_bytes``, 422 naming the field when malformed."""
    if len(raw) > max_bytes:
        raise PayloadTooLarge(
            f"page data is {len(raw)} bytes; at most {max_bytes} are accepted (setting "
            "ai.assistant.page_data_max_bytes): send fewer objects or fields",
            field="page_data",
        )
    try:
        document = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"page data is not valid JSON: {exc}", field="page_data") from None
    if not isinstance(document, dict) or not document:
        raise InvalidInput(
            "page data must be a JSON object: one record, or {title, description, objects: [...]}",
            field="page_data",
        )
    if "objects" in document and not isinstance(document["objects"], list):
        raise InvalidInput("objects must be a list of records", field="objects")
    for key in ("title", "description"):
        if key in document and "objects" in document and not isinstance(document[key], str):
            raise InvalidInput(f"{key} must be a string", field=key)
    return PageData(document)


def render_page_data(page: PageData, *, token_budget: int) -> tuple[str, int]:
    """The page data as prompt text, and how many objects were left out (with a note) to fit the budget."""
    header = f"Page data the user sent ({page.form_kind}: {page.title}):"
    if page.form_kind == "record":
        body = json.dumps(page.document, ensure_ascii=False, indent=1, default=str)
        if estimate_tokens(body) > token_budget:
            cut = body[: token_budget * 4]
            note = f"[Note: the record was cut to fit the budget of {token_budget} tokens.]"
            return f"{header}\n{cut}\n{note}", 0
        return f"{header}\n{body}", 0
    meta = {k: v for k, v in page.document.items() if k != "objects"}
    lines = [header, json.dumps(meta, ensure_ascii=False, default=str)]
    used = estimate_tokens("\n".join(lines))
    objects: list[Any] = page.document["objects"]
    kept = 0
    for item in objects:
        line = json.dumps(item, ensure_ascii=False, default=str)
        cost = estimate_tokens(line)
        if used + cost > token_budget:
            break
        lines.append(line)
        used += cost
        kept += 1
    left_out = len(objects) - kept
    if left_out:
        lines.append(
            f"[Note: {left_out} of {len(objects)} objects were left out to fit the token budget; "
            f"only the first {kept} are shown. Say so if the answer may depend on the others.]"
        )
    return "\n".join(lines), left_out
