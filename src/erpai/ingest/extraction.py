"""The model's extraction step: ask the chat provider for a JSON object, parse and check it ourselves.

Today the provider contract has plain ``chat`` only, so the JSON shape is asked for in the prompt and
:func:`parse_json_reply` is the one place that reads the answer; it is the function to switch to the
structured-output contract (issue 12) when that lands. Every value is then checked against the source text.
"""

from __future__ import annotations

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
from erpai.providers.base import ProviderClient, require_capability
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


def parse_json_reply(reply: str, keys: Sequence[str]) -> dict[str, str | None]:
    """The first JSON object of a reply (code fences allowed), reduced to ``keys`` with text values."""
    start, end = reply.find("{"), reply.rfind("}")
    if start < 0 or end <= start:
        raise InvalidInput("the model's answer holds no JSON object", field="provider")
    try:
        data = json.loads(reply[start : end + 1])
    except json.JSONDecodeError:
        raise InvalidInput("the model's answer is not valid JSON", field="provider") from None
    if not isinstance(data, dict):
        raise InvalidInput("the model's answer is not a JSON object", field="provider")
    out: dict[str, str | None] = {}
    for key in keys:
        value = data.get(key)
        text = None if value is None or isinstance(value, dict | list) else _storable(str(value))
        out[key] = text or None
    return out


def ask_for_json(
    client: ProviderClient, *, instructions: str, source: str, keys: Sequence[str]
) -> dict[str, str | None]:
    messages = [
        {"role": "system", "content": instructions},
        {"role": "user", "content": source[:MAX_SOURCE_CHARS]},
    ]
    reply = client.chat(messages, temperature=0.0, max_tokens=MAX_REPLY_TOKENS)
    return parse_json_reply(reply, keys)


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


def extract_invoice_fields(client: ProviderClient, *, text: str) -> InvoiceFields:
    """The model's reading of an invoice text, typed (a value that does not parse is left empty)."""
    raw = ask_for_json(client, instructions=INVOICE_INSTRUCTIONS, source=text, keys=FIELD_NAMES)
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
