"""Deterministic parsers: published valid numbers pass, one changed digit fails; finders read real layouts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from erpai.ingest import parsers
from erpai.ingest.checksums import iban_ok, vat_checksum_ok

VALID_VATS = [
    "DE136695976", "BG175074752", "BG7523169263", "FR40303265045", "IT00743110157", "NL004495445B01",
    "GB980780684", "ATU13585627",
]  # fmt: skip


@pytest.mark.parametrize("vat", VALID_VATS)
def test_valid_vat_numbers_pass_and_a_changed_check_digit_fails(vat: str) -> None:
    assert vat_checksum_ok(vat) is True
    at = 10 if vat.startswith("NL") else len(vat) - 1  # NL: the 9th digit; 'B01' is a branch number
    changed = vat[:at] + str((int(vat[at]) + 1) % 10) + vat[at + 1 :]
    assert vat_checksum_ok(changed) is False


def test_a_country_without_check_digits_is_format_only() -> None:
    assert vat_checksum_ok("PL1234567890") is None
    assert parsers.normalise_vat("PL 123-456-78-90") == "PL1234567890"
    assert parsers.normalise_vat("PL12345") is None  # wrong format


def test_vat_normalisation_strips_spaces_dots_dashes_and_refuses_bad_check_digits() -> None:
    assert parsers.normalise_vat("de 136.695.976") == "DE136695976"
    assert parsers.normalise_vat("DE136695977") is None
    assert parsers.compact_vat("DE136695977") == "DE136695977"  # format right, checksum not asked


@pytest.mark.parametrize(
    "iban",
    [
        "DE89370400440532013000",
        "GB82WEST12345698765432",
        "BG80BNBG96611020345678",
        "FR1420041010050500013M02606",
    ],
)
def test_ibans_pass_mod_97_and_a_changed_digit_fails(iban: str) -> None:
    assert iban_ok(iban)
    assert not iban_ok(iban[:-1] + str((int(iban[-1]) + 1) % 10))


def test_iban_of_the_wrong_length_for_its_country_fails() -> None:
    assert not iban_ok("DE8937040044053201300")


SAMPLE = """Rechnung Nr. RE-2026-0042 vom 12.03.2026, fällig am 26. März 2026
USt-IdNr.: DE 136 695 976 · IBAN DE89 3704 0044 0532 0130 00 · BIC COBADEFFXXX
Tel. +49 (30) 123 45 67, Fax 030/1234568, E-Mail: Info@Acme-Handel.de
Netto 1.234,56 EUR  MwSt 19 % 234,57 EUR  Gesamt 1.469,13 EUR"""


def test_finders_read_a_german_invoice() -> None:
    assert parsers.find_emails(SAMPLE) == ["info@acme-handel.de"]
    assert parsers.find_ibans(SAMPLE) == ["DE89370400440532013000"]
    assert parsers.find_vat_numbers(SAMPLE) == ["DE136695976"]
    assert parsers.find_dates(SAMPLE) == [date(2026, 3, 12), date(2026, 3, 26)]
    amounts = parsers.find_amounts(SAMPLE)
    assert {Decimal("1234.56"), Decimal("234.57"), Decimal("1469.13")} <= set(amounts)
    phones = parsers.find_phones(SAMPLE)
    assert phones == ["+49301234567", "0301234568"]  # not the IBAN's digit groups, not the invoice number


def test_dates_in_english_german_bulgarian_and_iso() -> None:
    text = (
        "Invoice date: March 5, 2026; Lieferung 7. Februar 2026; "
        "дата 9 януари 2026 г.; due 2026-04-30; 1/2/26"  # noqa: RUF001 (Bulgarian on purpose)
    )
    assert parsers.find_dates(text) == [
        date(2026, 2, 1), date(2026, 4, 30), date(2026, 2, 7), date(2026, 1, 9), date(2026, 3, 5)
    ]  # fmt: skip
    assert parsers.find_dates("31.02.2026") == []  # no such day
    assert parsers.normalise_date("2026-03-12") == date(2026, 3, 12)


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("1.234,56", "1234.56"), ("1,234.56", "1234.56"), ("1 234,56 лв.", "1234.56"),
        ("1'234.56", "1234.56"),
        ("€ 12", "12"), ("EUR 12,5", "12.5"), ("1.234.567", "1234567"), ("0,99", "0.99"), ("-3,00", "-3.00"),
    ],
)  # fmt: skip
def test_amounts_in_every_usual_notation(raw: str, value: str) -> None:
    assert parsers.parse_amount(raw) == Decimal(value)


def test_not_amounts() -> None:
    assert parsers.parse_amount("abc") is None
    assert parsers.parse_amount("") is None


def test_emails_and_phones_normalise() -> None:
    assert parsers.normalise_email(" <Anna.Petrova@Example.BG> ") == "anna.petrova@example.bg"
    assert parsers.normalise_email("anna@") is None
    assert parsers.normalise_phone("0049 (89) 123-456") == "+4989123456"
    assert parsers.normalise_phone("+359 2 987 6543") == "+35929876543"
    assert parsers.normalise_phone("12") is None
    assert parsers.normalise_phone("call me") is None


def test_phones_in_free_text() -> None:
    text = "Call 555-123-4567 or (089) 12 34 56, mobile 0049 89 123456; order 2026-0042 on 12.03.2026"
    assert parsers.find_phones(text) == ["5551234567", "089123456", "+4989123456"]
