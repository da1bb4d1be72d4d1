"""Checked against the source, not trusted: flag every proposed value the document does not support.

A model (small ones especially) invents e-mail addresses, phone numbers and amounts. Each proposed value is
normalised the way the deterministic parsers normalise what they find in the source text, and flagged when it
is not there ("not found in the document") or fails its check digits ("fails its checksum").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cached_property
from typing import Literal

from erpai.ingest import parsers
from erpai.ingest.checksums import iban_ok, vat_checksum_ok
from erpai.ingest.names import normalise_company_name

Kind = Literal["email", "phone", "iban", "vat", "date", "amount", "company", "text"]

NOT_FOUND = "not found in the document"
BAD_CHECKSUM = "fails its checksum"


@dataclass(frozen=True)
class Flag:
    field: str
    value: str
    reason: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "value": self.value, "reason": self.reason}


def _plain(text: str) -> str:
    """Case-folded words and digits only: how free text is compared."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(re.findall(r"\w+", text))


class Source:
    """A source text with what the parsers find in it, computed once per kind."""

    def __init__(self, text: str) -> None:
        self.text = text

    @cached_property
    def plain(self) -> str:
        return f" {_plain(self.text)} "

    @cached_property
    def emails(self) -> set[str]:
        return set(parsers.find_emails(self.text))

    @cached_property
    def phone_digits(self) -> list[str]:
        return [p.lstrip("+").lstrip("0") for p in parsers.find_phones(self.text)]

    @cached_property
    def ibans(self) -> set[str]:
        candidates = re.findall(r"[A-Z]{2}\d{2}(?: ?[A-Z0-9]){10,30}", self.text.upper())
        return {re.sub(r"\s", "", candidate) for candidate in candidates}

    @cached_property
    def vats(self) -> set[str]:
        return set(parsers.find_vat_numbers(self.text, checked=False))

    @cached_property
    def dates(self) -> set[date]:
        return set(parsers.find_dates(self.text))

    @cached_property
    def amounts(self) -> set[Decimal]:
        return set(parsers.find_amounts(self.text))


def check_value(source: Source, kind: Kind, value: object) -> str | None:
    """The reason ``value`` is flagged, or None when the source supports it."""
    if value is None or value == "":
        return None
    return _CHECKS[kind](source, value)


def _check_email(source: Source, value: object) -> str | None:
    email = parsers.normalise_email(str(value))
    if email is None:
        return "not an e-mail address"
    return None if email in source.emails else NOT_FOUND


def _check_phone(source: Source, value: object) -> str | None:
    phone = parsers.normalise_phone(str(value))
    if phone is None:
        return "not a phone number"
    digits = phone.lstrip("+").lstrip("0")
    for found in source.phone_digits:  # +49 30 1234567 is 030 1234567 written nationally
        shorter = min(found, digits, key=len)
        if len(shorter) >= 7 and (found.endswith(digits) or digits.endswith(found)):
            return None
    return NOT_FOUND


def _check_iban(source: Source, value: object) -> str | None:
    iban = re.sub(r"\s", "", str(value)).upper()
    if not iban_ok(iban):
        return BAD_CHECKSUM
    return None if iban in source.ibans else NOT_FOUND


def _check_vat(source: Source, value: object) -> str | None:
    vat = parsers.compact_vat(str(value))
    if vat is None:
        return "not a VAT number"
    if vat_checksum_ok(vat) is False:
        return BAD_CHECKSUM
    return None if vat in source.vats else NOT_FOUND


def _check_date(source: Source, value: object) -> str | None:
    day = value if isinstance(value, date) else parsers.normalise_date(str(value))
    if day is None:
        return "not a date"
    return None if day in source.dates else NOT_FOUND


def _check_amount(source: Source, value: object) -> str | None:
    if isinstance(value, int | float | Decimal):
        amount: Decimal | None = Decimal(str(value))
    else:
        amount = parsers.parse_amount(str(value))
    if amount is None:
        return "not an amount"
    return None if abs(amount) in source.amounts else NOT_FOUND


def _check_company(source: Source, value: object) -> str | None:
    key = normalise_company_name(str(value))
    if key and f" {_plain(key)} " in source.plain:
        return None
    return _check_text(source, value)


def _check_text(source: Source, value: object) -> str | None:
    plain = _plain(str(value))
    return None if not plain or f" {plain} " in source.plain else NOT_FOUND


_CHECKS = {
    "email": _check_email,
    "phone": _check_phone,
    "iban": _check_iban,
    "vat": _check_vat,
    "date": _check_date,
    "amount": _check_amount,
    "company": _check_company,
    "text": _check_text,
}


def check_against_source(source_text: str, proposed: Mapping[str, tuple[Kind, object]]) -> list[Flag]:
    """One flag per proposed value (field → (kind, value)) the source text does not support."""
    source = Source(source_text)
    flags = []
    for field, (kind, value) in proposed.items():
        reason = check_value(source, kind, value)
        if reason is not None:
            flags.append(Flag(field=field, value=str(value), reason=reason))
    return flags
