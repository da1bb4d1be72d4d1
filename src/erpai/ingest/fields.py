"""The fields a purchase-invoice proposal holds, whichever path read them."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from erpai.ingest.checking import Kind

DocumentType = Literal["purchase_invoice", "credit_note", "not_invoice"]
ReadPath = Literal["structured", "text", "ocr", "vision"]


@dataclass
class InvoiceFields:
    document_type: DocumentType | None = None
    number: str | None = None
    issue_date: date | None = None
    supplier_name: str | None = None
    supplier_vat: str | None = None
    supplier_registration: str | None = None
    supplier_address: str | None = None
    customer_name: str | None = None
    customer_vat: str | None = None
    customer_registration: str | None = None
    net: Decimal | None = None
    vat: Decimal | None = None
    total: Decimal | None = None
    currency: str | None = None
    notes: str | None = None

    def as_json(self) -> dict[str, Any]:
        """JSON-ready: dates as ISO text, amounts as decimal text."""
        out: dict[str, Any] = {}
        for key, value in asdict(self).items():
            out[key] = (
                value.isoformat()
                if isinstance(value, date)
                else str(value)
                if isinstance(value, Decimal)
                else value
            )
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> InvoiceFields:
        """The reverse of :meth:`as_json` (a stored proposal's fields); unknown keys are ignored."""
        out = cls()
        for name in FIELD_NAMES:
            value = data.get(name)
            if value is not None and name == "issue_date":
                value = date.fromisoformat(str(value))
            elif value is not None and name in AMOUNT_FIELDS:
                value = Decimal(str(value))
            setattr(out, name, value)
        return out


AMOUNT_FIELDS = ("net", "vat", "total")
FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in fields(InvoiceFields))

# How each field is checked against the source text (document_type and notes are not checked).
FIELD_KINDS: dict[str, Kind] = {
    "number": "text",
    "issue_date": "date",
    "supplier_name": "company",
    "supplier_vat": "vat",
    "supplier_registration": "text",
    "supplier_address": "text",
    "customer_name": "company",
    "customer_vat": "vat",
    "customer_registration": "text",
    "net": "amount",
    "vat": "amount",
    "total": "amount",
    "currency": "text",
}
