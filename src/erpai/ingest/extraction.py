"""The model's extraction step through the provider's structured-output contract.

:meth:`ProviderClient.complete` is called with a JSON schema: every chat provider honours it (a kind that
cannot constrain its output natively still gets the answer validated against the schema, with one repair
retry), so there is no free-text fallback here and no branch on a provider's kind, only on capability flags
(``chat``; ``vision`` for a scan that OCR could not read). Every value is then checked against the source.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy.orm import Session

from erpai.ai_models.service import find_default_model
from erpai.errors import InvalidInput, MissingCapability
from erpai.ingest import parsers
from erpai.ingest.fields import FIELD_NAMES, InvoiceFields
from erpai.providers.base import ChatMessage, ProviderClient, require_capability
from erpai.providers.service import client_for

MAX_SOURCE_CHARS = 12_000  # what is sent of a document's text; the head of an invoice holds its fields
MAX_REPLY_TOKENS = 800

INVOICE_INSTRUCTIONS = """You read the text of one business document and return ONE JSON object, nothing else.
Keys: document_type ("purchase_invoice", "credit_note" or "not_invoice"), number, issue_date (YYYY-MM-DD),
supplier_name, supplier_vat, supplier_registration, supplier_address, customer_name, customer_vat,
customer_registration, net, vat, total (numbers with a dot as decimal separator), currency (ISO 4217
code), notes. Copy values exactly as the document writes them; use null for anything the document does
not say. Never guess."""


def default_chat_client(session: Session) -> ProviderClient:
    """The default model's provider, with the ``chat`` capability (MissingCapability naming it otherwise)."""
    model = find_default_model(session)
    if model is None or model.provider_id is None:
        raise MissingCapability(
            "AI extraction needs the 'chat' capability: no default model with a provider is configured",
            field="provider",
        )
    client = client_for(session, provider_id=model.provider_id)
    require_capability(client, "chat")
    return client


def _storable(text: str) -> str:
    """No NUL, no lone surrogate (a JSON answer may hold both): text the database and the API accept."""
    return text.encode("utf-8", "replace").decode("utf-8").replace("\x00", "").strip()


def answer_schema(keys: Sequence[str], *, types: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """A JSON object whose ``keys`` are text or null (``types`` overrides single keys); a key left out
    reads as null, an extra key is ignored."""
    text: dict[str, Any] = {"type": ["string", "null"]}
    return {"type": "object", "properties": {key: (types or {}).get(key, text) for key in keys}}


_AMOUNT: dict[str, Any] = {"type": ["number", "string", "null"]}
INVOICE_SCHEMA = answer_schema(
    FIELD_NAMES,
    types={
        "document_type": {
            "type": ["string", "null"],
            "enum": ["purchase_invoice", "credit_note", "not_invoice", None],
        },
        "net": _AMOUNT,
        "vat": _AMOUNT,
        "total": _AMOUNT,
    },
)


def _reduce(data: dict[str, Any], keys: Sequence[str]) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for key in keys:
        value = data.get(key)
        text = None if value is None or isinstance(value, dict | list) else _storable(str(value))
        out[key] = text or None
    return out


def ask_for_json(
    client: ProviderClient,
    *,
    instructions: str,
    source: str | list[dict[str, Any]],
    keys: Sequence[str],
    schema: dict[str, Any] | None = None,
) -> dict[str, str | None]:
    """The model's answer as ``keys`` -> text (or None), asked with a JSON schema. ``source`` is the
    document's text, or the content parts of a user message (text and an image for a vision model)."""
    schema = schema or answer_schema(keys)
    content = source[:MAX_SOURCE_CHARS] if isinstance(source, str) else source
    messages: list[ChatMessage] = [
        {"role": "system", "content": f"{instructions}\nJSON schema of the answer: {json.dumps(schema)}"},
        {"role": "user", "content": content},
    ]
    result = client.complete(messages, temperature=0.0, max_tokens=MAX_REPLY_TOKENS, json_schema=schema)
    if not isinstance(result.data, dict):
        raise InvalidInput("the model's answer is not a JSON object", field="provider")
    return _reduce(result.data, keys)


def _to_date(text: str | None) -> date | None:
    return parsers.normalise_date(text) if text else None


def _to_amount(text: str | None) -> Decimal | None:
    if text is None:
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        return parsers.parse_amount(text)


def _document_type(text: str | None) -> Any:
    return text if text in {"purchase_invoice", "credit_note", "not_invoice"} else None


def image_message(text: str, image: bytes, media_type: str) -> list[dict[str, Any]]:
    """User-message content parts for a vision model: an instruction and the image as a data URL."""
    url = f"data:{media_type};base64,{base64.b64encode(image).decode('ascii')}"
    return [{"type": "text", "text": text}, {"type": "image_url", "image_url": {"url": url}}]


def extract_invoice_fields(
    client: ProviderClient, *, text: str, image: bytes | None = None, media_type: str = "image/png"
) -> InvoiceFields:
    """The model's reading of an invoice, typed (a value that does not parse is left empty): its text, or
    with ``image`` the picture itself (the caller checked the ``vision`` capability)."""
    source: str | list[dict[str, Any]] = text
    if image is not None:
        source = image_message("The invoice is the image.", image, media_type)
    raw = ask_for_json(
        client, instructions=INVOICE_INSTRUCTIONS, source=source, keys=FIELD_NAMES, schema=INVOICE_SCHEMA
    )
    currency = raw["currency"]
    return InvoiceFields(
        document_type=_document_type(raw["document_type"]),
        number=raw["number"],
        issue_date=_to_date(raw["issue_date"]),
        supplier_name=raw["supplier_name"],
        supplier_vat=raw["supplier_vat"],
        supplier_registration=raw["supplier_registration"],
        supplier_address=raw["supplier_address"],
        customer_name=raw["customer_name"],
        customer_vat=raw["customer_vat"],
        customer_registration=raw["customer_registration"],
        net=_to_amount(raw["net"]),
        vat=_to_amount(raw["vat"]),
        total=_to_amount(raw["total"]),
        currency=currency.upper() if currency and re.fullmatch(r"[A-Za-z]{3}", currency) else None,
        notes=raw["notes"],
    )
