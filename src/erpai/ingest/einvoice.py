"""Structured e-invoices, read exactly and without AI: UBL 2.1 (Invoice, CreditNote) and UN/CEFACT CII
(Factur-X, ZUGFeRD, XRechnung CII) XML.

Elements are matched by local name, so any namespace prefix works. A document with a DOCTYPE is refused
(no entity expansion of any kind).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TypedDict

from erpai.errors import InvalidInput
from erpai.ingest.fields import InvoiceFields

CREDIT_NOTE_CODES = {"381", "396", "532"}


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _find(element: ET.Element | None, path: str) -> ET.Element | None:
    """The first element at a '/'-separated path of local names, or None."""
    for name in path.split("/"):
        if element is None:
            return None
        element = next((child for child in element if _local(child.tag) == name), None)
    return element


def _text(element: ET.Element | None, path: str) -> str | None:
    found = _find(element, path)
    text = (found.text or "").strip() if found is not None else ""
    return text or None


def _amount(element: ET.Element | None, path: str) -> Decimal | None:
    text = _text(element, path)
    try:
        return Decimal(text) if text is not None else None
    except InvalidOperation:
        return None


def _date(text: str | None) -> date | None:
    if text is None:
        return None
    digits = re.sub(r"\D", "", text)[:8]
    try:
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:8])) if len(digits) == 8 else None
    except ValueError:
        return None


def _join(*parts: str | None) -> str | None:
    text = ", ".join(p for p in parts if p)
    return text or None


def parse_xml(data: bytes) -> ET.Element:
    if re.search(rb"<!DOCTYPE", data[:4096], re.IGNORECASE):
        raise InvalidInput("XML with a DOCTYPE is not accepted", field="file")
    try:
        return ET.fromstring(data)
    except ET.ParseError as exc:
        raise InvalidInput(f"not well-formed XML: {exc}", field="file") from None


def is_einvoice(root: ET.Element) -> bool:
    return _local(root.tag) in {"Invoice", "CreditNote", "CrossIndustryInvoice"}


def read_einvoice(data: bytes) -> InvoiceFields:
    """The fields of a UBL or CII invoice; InvalidInput when the XML is neither."""
    root = parse_xml(data)
    kind = _local(root.tag)
    if kind in {"Invoice", "CreditNote"}:
        return _read_ubl(root)
    if kind == "CrossIndustryInvoice":
        return _read_cii(root)
    raise InvalidInput(f"the XML is not a UBL or CII invoice (its root element is {kind!r})", field="file")


# A party: name, VAT number, registration number, address.
PartyData = tuple[str | None, str | None, str | None, str | None]


class PartyFields(TypedDict):
    supplier_name: str | None
    supplier_vat: str | None
    supplier_registration: str | None
    supplier_address: str | None
    customer_name: str | None
    customer_vat: str | None
    customer_registration: str | None


def _party_fields(supplier: PartyData, customer: PartyData) -> PartyFields:
    """Both parties as invoice fields (the customer's address is not one)."""
    return PartyFields(
        supplier_name=supplier[0],
        supplier_vat=supplier[1],
        supplier_registration=supplier[2],
        supplier_address=supplier[3],
        customer_name=customer[0],
        customer_vat=customer[1],
        customer_registration=customer[2],
    )


def _ubl_party(party: ET.Element | None) -> PartyData:
    """name, VAT number, registration number, address of a UBL party."""
    name = _text(party, "PartyName/Name") or _text(party, "PartyLegalEntity/RegistrationName")
    address = _find(party, "PostalAddress")
    return (
        name,
        _text(party, "PartyTaxScheme/CompanyID"),
        _text(party, "PartyLegalEntity/CompanyID"),
        _join(
            _text(address, "StreetName"),
            _text(address, "PostalZone"),
            _text(address, "CityName"),
            _text(address, "Country/IdentificationCode"),
        ),
    )


def _read_ubl(root: ET.Element) -> InvoiceFields:
    credit = _local(root.tag) == "CreditNote" or _text(root, "InvoiceTypeCode") in CREDIT_NOTE_CODES
    supplier = _ubl_party(_find(root, "AccountingSupplierParty/Party"))
    customer = _ubl_party(_find(root, "AccountingCustomerParty/Party"))
    totals = _find(root, "LegalMonetaryTotal")
    return InvoiceFields(
        document_type="credit_note" if credit else "purchase_invoice",
        number=_text(root, "ID"),
        issue_date=_date(_text(root, "IssueDate")),
        **_party_fields(supplier, customer),
        net=_amount(totals, "TaxExclusiveAmount") or _amount(totals, "LineExtensionAmount"),
        vat=_amount(root, "TaxTotal/TaxAmount"),
        total=_amount(totals, "TaxInclusiveAmount") or _amount(totals, "PayableAmount"),
        currency=_text(root, "DocumentCurrencyCode"),
        notes=_text(root, "Note"),
    )


def _cii_party(party: ET.Element | None) -> PartyData:
    vat = None
    for registration in party if party is not None else []:
        if _local(registration.tag) == "SpecifiedTaxRegistration":
            number = _find(registration, "ID")
            if number is not None and number.get("schemeID") == "VA":
                vat = (number.text or "").strip() or None
    address = _find(party, "PostalTradeAddress")
    return (
        _text(party, "Name"),
        vat,
        _text(party, "SpecifiedLegalOrganization/ID"),
        _join(
            _text(address, "LineOne"),
            _text(address, "PostcodeCode"),
            _text(address, "CityName"),
            _text(address, "CountryID"),
        ),
    )


def _read_cii(root: ET.Element) -> InvoiceFields:
    document = _find(root, "ExchangedDocument")
    transaction = _find(root, "SupplyChainTradeTransaction")
    agreement = _find(transaction, "ApplicableHeaderTradeAgreement")
    settlement = _find(transaction, "ApplicableHeaderTradeSettlement")
    totals = _find(settlement, "SpecifiedTradeSettlementHeaderMonetarySummation")
    supplier = _cii_party(_find(agreement, "SellerTradeParty"))
    customer = _cii_party(_find(agreement, "BuyerTradeParty"))
    credit = _text(document, "TypeCode") in CREDIT_NOTE_CODES
    return InvoiceFields(
        document_type="credit_note" if credit else "purchase_invoice",
        number=_text(document, "ID"),
        issue_date=_date(_text(document, "IssueDateTime/DateTimeString")),
        **_party_fields(supplier, customer),
        net=_amount(totals, "TaxBasisTotalAmount"),
        vat=_amount(totals, "TaxTotalAmount"),
        total=_amount(totals, "GrandTotalAmount"),
        currency=_text(settlement, "InvoiceCurrencyCode"),
        notes=_text(document, "IncludedNote/Content"),
    )
