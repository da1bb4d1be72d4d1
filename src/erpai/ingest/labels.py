"""Fields read from invoice text by their labels (EN / DE / BG), without AI.

What a model is not needed for: the value right after a label such as 'Invoice No.', 'Rechnungsdatum' or
'Сума за плащане'. It fills a proposal as far as it reaches when no chat provider is there, and gives the
model's answer a second opinion. A field whose label is not found stays empty.
"""

from __future__ import annotations

import re

from erpai.ingest import parsers
from erpai.ingest.fields import DocumentType, InvoiceFields

_SEP = r"\s*(?:[:#№]|No\.?|Nr\.?)?\s*[:#№]?\s*"

_LABELS: dict[str, str] = {
    "number": r"invoice\s*(?:no\.?|number|#)|rechnungs?\s*(?:nr\.?|nummer)|фактура\s*(?:№|номер)",
    "issue_date": r"(?:invoice\s*)?date|rechnungsdatum|datum|дата(?:\s*на\s*издаване)?",
    "supplier_name": r"supplier|seller|from|lieferant|verkäufer|доставчик",
    "customer_name": r"customer|bill\s*to|buyer|kunde|rechnungsempfänger|получател|клиент",
    "net": r"net(?:\s*amount)?|subtotal|nettobetrag|netto|данъчна\s*основа",
    "vat": r"(?:vat(?:\s*amount)?|mwst\.?|ust\.?|ддс)(?:\s*\d+(?:[.,]\d+)?\s*%)?",
    "total": r"total(?:\s*due)?|amount\s*due|gesamtbetrag|gesamt|summe|сума\s*за\s*плащане|общо",
}

_CURRENCIES = {"EUR": r"EUR|€", "USD": r"USD|US\$", "GBP": r"GBP|£", "BGN": r"BGN|лв\.?", "CHF": r"CHF"}


def _after_label(text: str, label: str) -> str | None:
    """The rest of the first line that starts with ``label`` (or the next line when that rest is empty)."""
    pattern = re.compile(
        rf"^\s*(?:{label})\b(?![-\s]*(?:id|no\b|nr|number|nummer|№|reg))\s*[:#№]?\s*(.*)$", re.I | re.M
    )
    for match in pattern.finditer(text):
        rest = match.group(1).strip()
        if rest:
            return rest
        following = text[match.end() :].lstrip("\n").split("\n", 1)[0].strip()
        if following:
            return following
    return None


def read_by_labels(text: str) -> InvoiceFields:
    fields = InvoiceFields()
    number = re.search(rf"(?:{_LABELS['number']}){_SEP}([A-Z0-9][\w/-]*\d[\w/-]*)", text, re.I)
    fields.number = number.group(1) if number else None
    date_text = _after_label(text, _LABELS["issue_date"])
    found_dates = parsers.find_dates(date_text or "") or parsers.find_dates(text)
    fields.issue_date = found_dates[0] if found_dates else None
    fields.supplier_name = _name(_after_label(text, _LABELS["supplier_name"]))
    fields.customer_name = _name(_after_label(text, _LABELS["customer_name"]))
    vats = parsers.find_vat_numbers(text)
    fields.supplier_vat = vats[0] if vats else None
    fields.customer_vat = vats[1] if len(vats) > 1 else None
    for name in ("net", "vat", "total"):
        rest = _after_label(text, _LABELS[name])
        amounts = [parsers.parse_amount(m) for m in re.findall(r"\d[\d.,' \u00a0]*\d|\d", rest or "")]
        values = [a for a in amounts if a is not None]
        setattr(fields, name, values[-1] if values else None)
    fields.currency = _currency(text)
    fields.document_type = _document_type(text)
    return fields


def _name(rest: str | None) -> str | None:
    if rest is None:
        return None
    return re.split(r"\s{3,}|\t|,\s*(?=\d)", rest)[0].strip() or None


def _currency(text: str) -> str | None:
    counts = {code: len(re.findall(rf"(?<![A-Za-z])(?:{rx})", text)) for code, rx in _CURRENCIES.items()}
    best = max(counts, key=lambda code: counts[code])
    return best if counts[best] else None


def _document_type(text: str) -> DocumentType | None:
    head = text[:2000].lower()
    if not head.strip():
        return None  # nothing read: unknown, not "not an invoice"
    if re.search(r"credit\s*note|gutschrift|кредитно\s*известие", head):
        return "credit_note"
    if re.search(r"invoice|rechnung|фактура", head):
        return "purchase_invoice"
    return "not_invoice"
