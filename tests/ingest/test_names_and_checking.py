"""Company-name keys, and the check of proposed values against the source text."""

from __future__ import annotations

from decimal import Decimal

import pytest

from erpai.ingest.checking import BAD_CHECKSUM, NOT_FOUND, check_against_source
from erpai.ingest.names import normalise_company_name, same_company


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("ACME-Handels GmbH", "acme handels"),
        ("„Acme Handels“ gmbh.", "acme handels"),
        ("Müller & Söhne GmbH & Co. KG", "müller söhne"),
        ("Foo Bar Ltd.", "foo bar"),
        ("FOO BAR LIMITED", "foo bar"),
        ("Widgets, Inc.", "widgets"),
        ("Widgets LLC", "widgets"),
        ('"Алфа Трейд" ЕООД', "алфа трейд"),
        ("ЕООД „Алфа Трейд“", "алфа трейд"),
        ("Beta OOD", "beta"),
        ("Gamma AD", "gamma"),
        ("Société Exemple S.A.", "société exemple"),
        ("Esempio S.r.l.", "esempio"),
        ("Voorbeeld B.V.", "voorbeeld"),
        ("AG", "ag"),  # a name that is only a legal form keeps it
    ],
)
def test_company_name_keys(name: str, key: str) -> None:
    assert normalise_company_name(name) == key


def test_same_company_and_different_companies() -> None:
    assert same_company("ACME GmbH", "Acme gmbh.")
    assert not same_company("ACME GmbH", "ACME Trading GmbH")
    assert not same_company("", "")


SOURCE = """INVOICE No. INV-7781   Date: 12/03/2026
Northwind Traders Ltd, 12 High Street, London — VAT GB980780684
Contact: Jane Roe, jane.roe@northwind.example, +44 20 7946 0958
IBAN GB82 WEST 1234 5698 7654 32
Net 1,000.00 GBP  VAT 200.00  Total 1,200.00 GBP"""


def test_values_the_source_supports_are_not_flagged() -> None:
    flags = check_against_source(
        SOURCE,
        {
            "supplier_name": ("company", "NORTHWIND TRADERS LIMITED"),
            "supplier_vat": ("vat", "GB 980 780 684"),
            "email": ("email", "Jane.Roe@northwind.example"),
            "phone": ("phone", "020 7946 0958"),  # national spelling of the number in the text
            "iban": ("iban", "GB82WEST12345698765432"),
            "date": ("date", "2026-03-12"),
            "net": ("amount", Decimal("1000.00")),
            "total": ("amount", "1200"),
            "first_name": ("text", "jane"),
            "empty": ("text", ""),
        },
    )
    assert flags == []


def test_invented_and_wrong_values_are_flagged_with_the_reason() -> None:
    flags = check_against_source(
        SOURCE,
        {
            "supplier_name": ("company", "Southwind Traders Ltd"),
            "supplier_vat": ("vat", "GB980780685"),
            "customer_vat": ("vat", "DE136695976"),
            "email": ("email", "info@northwind.example"),
            "bad_email": ("email", "not-an-email"),
            "phone": ("phone", "+44 20 7946 0000"),
            "iban": ("iban", "GB82WEST12345698765433"),
            "date": ("date", "2026-12-03"),
            "total": ("amount", 1250.0),
            "last_name": ("text", "Doe"),
        },
    )
    reasons = {f.field: f.reason for f in flags}
    assert reasons == {
        "supplier_name": NOT_FOUND,
        "supplier_vat": BAD_CHECKSUM,
        "customer_vat": NOT_FOUND,
        "email": NOT_FOUND,
        "bad_email": "not an e-mail address",
        "phone": NOT_FOUND,
        "iban": BAD_CHECKSUM,
        "date": NOT_FOUND,
        "total": NOT_FOUND,
        "last_name": NOT_FOUND,
    }
    assert flags[0].as_dict() == {
        "field": "supplier_name",
        "value": "Southwind Traders Ltd",
        "reason": NOT_FOUND,
    }
