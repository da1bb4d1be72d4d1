"""A purchase-invoice proposal from a file: the reading order, the model step, flags and validations.

No database here: :func:`propose_invoice` takes the file and (optionally) a chat client and returns what a
user reviews. Without a chat client the structured path and the label reader fill it as far as they reach,
and ``missing_capability`` says that the 'chat' capability is missing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from erpai.errors import DomainError
from erpai.ingest.checking import Flag, check_against_source
from erpai.ingest.extraction import extract_invoice_fields
from erpai.ingest.fields import FIELD_KINDS, FIELD_NAMES, InvoiceFields, ReadPath
from erpai.ingest.labels import read_by_labels
from erpai.ingest.names import normalise_company_name
from erpai.ingest.reading import ReadResult, read_invoice_file
from erpai.providers.base import ProviderClient, ProviderError

ROUNDING = Decimal("0.01")
REQUIRED = ("number", "issue_date", "supplier_name", "total", "currency")
NO_VISION = (
    "the scan has no readable text: reading it needs OCR (Tesseract) or a default model whose provider has "
    "the 'vision' capability"
)
NO_CHAT = "AI extraction needs the 'chat' capability of the default model's provider; none is configured"


@dataclass
class Validation:
    name: str
    ok: bool
    message: str


@dataclass
class InvoiceProposal:
    path: ReadPath
    media_type: str
    fields: InvoiceFields
    source_text: str = ""
    flags: list[Flag] = field(default_factory=list)
    validations: list[Validation] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    missing_capability: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "media_type": self.media_type,
            "fields": self.fields.as_json(),
            "supplier_key": normalise_company_name(self.fields.supplier_name or "") or None,
            "flags": [flag.as_dict() for flag in self.flags],
            "validations": [v.__dict__ for v in self.validations],
            "notes": self.notes,
            "missing_capability": self.missing_capability,
        }


def _merge(model: InvoiceFields, labels: InvoiceFields) -> InvoiceFields:
    """The model's value where it gave one, the label reader's otherwise."""
    merged = InvoiceFields()
    for name in FIELD_NAMES:
        value = getattr(model, name)
        setattr(merged, name, value if value is not None else getattr(labels, name))
    return merged


def validate_invoice(fields: InvoiceFields, *, company_vat: str | None = None) -> list[Validation]:
    """The validations that need no records: an invoice, the recipient, required fields and sums."""
    out = [
        Validation(
            "document_type",
            fields.document_type != "not_invoice",
            "the document is not an invoice" if fields.document_type == "not_invoice" else "an invoice",
        )
    ]
    if company_vat is not None:
        ours = (fields.customer_vat or "").replace(" ", "").upper() == company_vat.replace(" ", "").upper()
        message = (
            "the recipient is the current company"
            if ours
            else (
                f"the recipient's VAT number ({fields.customer_vat or 'none'}) is not the current company's"
            )
        )
        out.append(Validation("recipient", ours, message))
    missing = [name for name in REQUIRED if getattr(fields, name) is None]
    sums_ok = _sums_ok(fields)
    if missing:
        out.append(Validation("valid_invoice", False, f"required fields missing: {', '.join(missing)}"))
    elif not sums_ok:
        out.append(
            Validation("valid_invoice", False, "net + VAT does not equal the total (or one is missing)")
        )
    else:
        out.append(Validation("valid_invoice", True, "required fields present, net + VAT = total"))
    return out


def _sums_ok(fields: InvoiceFields) -> bool:
    if fields.net is None or fields.vat is None or fields.total is None:
        return False
    return abs(fields.net + fields.vat - fields.total) <= ROUNDING


def propose_invoice(
    data: bytes, *, client: ProviderClient | None, company_vat: str | None = None
) -> InvoiceProposal:
    """Read ``data`` in the reading order; the model (when ``client`` has chat) fills text and scans."""
    read = read_invoice_file(data)
    proposal = InvoiceProposal(path=read.path, media_type=read.media_type, fields=InvoiceFields())
    proposal.notes = list(read.notes)
    proposal.source_text = read.text
    if read.fields is not None:  # structured: exact, nothing to check
        proposal.fields = read.fields
    else:
        labels = read_by_labels(read.text)
        proposal.fields = labels
        if read.path == "vision" and (client is None or not client.has("vision") or read.image is None):
            proposal.missing_capability = NO_VISION
        elif client is None or not client.has("chat"):
            proposal.missing_capability = NO_CHAT
        else:
            proposal.fields = _merge(_ask_model(client, read, proposal), labels)
        checkable = read.path != "vision"  # a vision reading has no source text to check against
        proposal.flags = _flags(proposal.fields, read.text) if checkable else _unchecked(proposal.fields)
    proposal.validations = validate_invoice(proposal.fields, company_vat=company_vat)
    return proposal


def _ask_model(client: ProviderClient, read: ReadResult, proposal: InvoiceProposal) -> InvoiceFields:
    """The model's reading: of the text, or of the image itself when OCR read nothing and the provider has
    ``vision`` (see :mod:`erpai.ingest.reading` for why OCR wins when both are there). A provider timeout
    is raised (nothing is stored); an unusable answer leaves the parsers' reading with a note."""
    image = read.image if read.path == "vision" else None
    try:
        return extract_invoice_fields(client, text=read.text, image=image, media_type=read.media_type)
    except ProviderError as exc:
        if exc.code == "timeout":
            raise
        proposal.notes.append(f"the model's extraction failed: {exc.message}")
    except DomainError as exc:
        proposal.notes.append(f"the model's extraction failed: {exc.message}")
    return InvoiceFields()


def _flags(fields: InvoiceFields, text: str) -> list[Flag]:
    proposed = {name: (kind, getattr(fields, name)) for name, kind in FIELD_KINDS.items()}
    return check_against_source(text, proposed)


def _unchecked(fields: InvoiceFields) -> list[Flag]:
    return [
        Flag(field=name, value=str(getattr(fields, name)), reason="not checked: the document has no text")
        for name in FIELD_KINDS
        if getattr(fields, name) is not None
    ]
