"""Deterministic finders in ordinary code: e-mails, phone numbers, IBANs, VAT numbers, dates, amounts.

Each ``find_*`` returns the values found in a text, normalised (the form :mod:`erpai.ingest.checking`
compares); each ``normalise_*`` turns one proposed value into that same form, or None when it is not one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TypeVar

from erpai.ingest.checksums import VAT_FORMATS, iban_ok, vat_checksum_ok

T = TypeVar("T")

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,24}(?![\w-])")
# International (+, 00), national (trunk 0, or an area code in brackets) or the North-American 3-3-4 form.
_PHONE = re.compile(
    r"(?<![\w+/.-])(?:(?:\+|00|0|\(0?)\d[\d ()./-]{5,22}\d|\d{3}[-. ]\d{3}[-. ]\d{4})(?![\w-])"
)
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){10,30}\b")
# Overlapping candidates ('VAT GB…' must not hide 'GB…'), trimmed group by group until one has a format.
_VAT = re.compile(r"(?=\b([A-Z]{2}[ .-]?[0-9A-Z](?:[ .-]?[0-9A-Z]){7,13}))")


def normalise_email(value: str) -> str | None:
    value = value.strip().strip("<>").strip()
    return value.lower() if _EMAIL.fullmatch(value) else None


def find_emails(text: str) -> list[str]:
    return _unique(m.group(0).lower() for m in _EMAIL.finditer(text))


def normalise_phone(value: str) -> str | None:
    """Digits only, a leading '+' for an international number (00 → +); 7 to 15 digits."""
    value = value.strip()
    plus = value.startswith("+") or value.startswith("00")
    digits = re.sub(r"\D", "", value)
    if value.startswith("00"):
        digits = digits[2:]
    if not re.fullmatch(r"[\d ()./+-]+", value) or not 7 <= len(digits) <= 15:
        return None
    return ("+" if plus else "") + digits


def find_phones(text: str) -> list[str]:
    found = []
    without_ibans = _IBAN.sub(" ", text.upper())  # an IBAN's digit groups look like a phone number
    for match in _PHONE.finditer(without_ibans):
        raw = match.group(0)
        if _looks_like_date(raw) or _looks_like_amount(raw):
            continue
        phone = normalise_phone(raw)
        if phone is not None:
            found.append(phone)
    return _unique(found)


def _looks_like_date(raw: str) -> bool:
    return bool(re.fullmatch(r"\d{1,4}[./-]\d{1,2}[./-]\d{2,4}", raw.strip()))


def _looks_like_amount(raw: str) -> bool:
    return bool(re.fullmatch(r"\d{1,3}(?:[ .,]\d{3})*[.,]\d{2}", raw.strip()))


def normalise_iban(value: str) -> str | None:
    compact = re.sub(r"\s", "", value).upper()
    return compact if iban_ok(compact) else None


def find_ibans(text: str) -> list[str]:
    """IBANs that pass mod-97 (a candidate that fails is not one)."""
    return _unique(iban for m in _IBAN.finditer(text.upper()) if (iban := normalise_iban(m.group(0))))


def compact_vat(value: str) -> str | None:
    """'DE 123.456.789' → 'DE123456789' when the national part has the country's format (no checksum)."""
    compact = re.sub(r"[\s.-]", "", value).upper()
    if compact.startswith("GR"):
        compact = "EL" + compact[2:]
    pattern = VAT_FORMATS.get(compact[:2])
    return compact if pattern is not None and re.fullmatch(pattern, compact[2:]) else None


def normalise_vat(value: str) -> str | None:
    """The compact VAT number when its format and (where defined) its check digits are right."""
    compact = compact_vat(value)
    return compact if compact is not None and vat_checksum_ok(compact) is not False else None


def find_vat_numbers(text: str, *, checked: bool = True) -> list[str]:
    """VAT numbers in the text; ``checked=False`` keeps those whose check digits fail too."""
    normalise = normalise_vat if checked else compact_vat
    found = []
    for match in _VAT.finditer(text.upper()):
        groups = re.split(r"([ .-])", match.group(1))
        for end in range(len(groups), 0, -2):
            vat = normalise("".join(groups[:end]))
            if vat is not None:
                found.append(vat)
                break
    return _unique(found)


_MONTHS: dict[str, int] = {}
for _names in (
    "january february march april may june july august september october november december",
    "januar februar märz april mai juni juli august september oktober november dezember",
    "януари февруари март април май юни юли август септември октомври ноември декември",
    "jan feb mar apr may jun jul aug sep oct nov dec",
    "jan feb mär apr mai jun jul aug sep okt nov dez",
):
    for _number, _name in enumerate(_names.split(), start=1):
        _MONTHS[_name] = _number
_MONTHS["jänner"] = 1
_MONTHS["sept"] = 9

_NUMERIC_DATE = re.compile(r"(?<!\d)(\d{1,2})[./](\d{1,2})[./](\d{4}|\d{2})(?!\d)")
_ISO_DATE = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")
_WORD_DATE = re.compile(r"(?<!\d)(\d{1,2})\.?\s+([^\W\d_]{3,10})\.?,?\s+(\d{4})(?!\d)")
_WORD_DATE_US = re.compile(r"\b([^\W\d_]{3,10})\.?\s+(\d{1,2}),?\s+(\d{4})(?!\d)")


def _make_date(year: int, month: int, day: int) -> date | None:
    if year < 100:
        year += 2000
    try:
        return date(year, month, day)
    except ValueError:
        return None


def find_dates(text: str) -> list[date]:
    """Day-first numeric dates (dd.mm.yyyy, dd/mm/yyyy), ISO dates, and dates with a month name (EN/DE/BG)."""
    found: list[date | None] = []
    found += [_make_date(int(y), int(m), int(d)) for d, m, y in _NUMERIC_DATE.findall(text)]
    found += [_make_date(int(y), int(m), int(d)) for y, m, d in _ISO_DATE.findall(text)]
    for d, month, y in _WORD_DATE.findall(text):
        if (number := _MONTHS.get(month.lower())) is not None:
            found.append(_make_date(int(y), number, int(d)))
    for month, d, y in _WORD_DATE_US.findall(text):
        if (number := _MONTHS.get(month.lower())) is not None:
            found.append(_make_date(int(y), number, int(d)))
    return _unique(d for d in found if d is not None)


def normalise_date(value: str) -> date | None:
    dates = find_dates(value)
    return dates[0] if len(dates) == 1 else None


_AMOUNT = re.compile(
    r"(?<![\d.,])\d{1,3}(?:(?:[ .,'\u00a0\u202f])\d{3})*(?:[.,]\d{1,2})?(?![\d])|\d+(?:[.,]\d{1,2})?"
)


def parse_amount(raw: str) -> Decimal | None:
    """'1.234,56', '1,234.56', '1 234,56', "1'234.56", '1234.5' → Decimal; the last separator followed by
    one or two digits is the decimal one."""
    text = re.sub(r"[\s\u00a0\u202f']", "", raw.strip())
    text = re.sub(r"^[^\d-]+|[^\d]+$", "", text)  # currency symbols and codes around it
    if not re.fullmatch(r"-?\d[\d.,]*", text):
        return None
    decimal_part = re.search(r"[.,](\d{1,2})$", text)
    if decimal_part:
        whole = re.sub(r"[.,]", "", text[: decimal_part.start()])
        text = f"{whole}.{decimal_part.group(1)}"
    else:
        text = re.sub(r"[.,]", "", text)
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def find_amounts(text: str) -> list[Decimal]:
    """Every number in the text read as an amount, without sign (a superset: the checker asks 'does this
    value occur'; a credit note's minus is written in too many ways to trust)."""
    return _unique(a for m in _AMOUNT.finditer(text) if (a := parse_amount(m.group(0))) is not None)


def _unique(values: Iterable[T]) -> list[T]:
    return list(dict.fromkeys(values))
