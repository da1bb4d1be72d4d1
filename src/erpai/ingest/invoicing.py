"""From reviewed invoice fields to a draft purchase invoice: the three validations, supplier matching and
smart mapping (domain.md §2.14). No commits here: :func:`erpai.ingest.service.confirm_invoice` runs these in
its one transaction.

- **Recipient**: the invoice's customer must be the current enterprise company (setting
  ``ingest.enterprise_company_id``; 0 = the only one), matched by registration number, VAT number or
  normalised name.
- **Duplicate**: no non-void purchase invoice with the same supplier, number and enterprise company (409).
- **Valid invoice**: an invoice (not "not_invoice"), the required fields present, net + VAT = total
  within 0.01.
- **Supplier**: the party with the same registration number, else the same VAT number, else the same
  normalised name (:mod:`erpai.ingest.names`); else a new party from the recognised data.
- **Smart mapping**: when the supplier's latest non-void invoice of the last 365 days has exactly one line,
  its product and quantity are reused with amount = the new net; else one line (quantity 1) of the product
  in the setting ``ingest.default_service_product_id``.
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from erpai.db import utcnow
from erpai.errors import Conflict, InvalidInput
from erpai.ingest.fields import InvoiceFields
from erpai.ingest.names import normalise_company_name
from erpai.ingest.parsers import compact_vat
from erpai.records.models import EnterpriseCompany, Party, Product, PurchaseInvoice, PurchaseInvoiceLine
from erpai.settings.service import get_int_setting

ROUNDING = Decimal("0.01")
COMPANY_SETTING = "ingest.enterprise_company_id"
SERVICE_PRODUCT_SETTING = "ingest.default_service_product_id"
LOOKBACK = timedelta(days=365)
NUMBER_MAX = 64  # purchase_invoices.document_number
NAME_CANDIDATES = 500  # parties whose name holds the key's first word, compared after normalisation
# (field, what the message calls it) in the order they are checked
REQUIRED = (
    ("number", "the invoice number"),
    ("issue_date", "the invoice date"),
    ("currency", "the currency"),
    ("net", "the net amount"),
    ("vat", "the VAT amount"),
    ("total", "the total"),
)


def compact_code(value: str | None) -> str | None:
    """A registration or VAT number without spaces, dots, dashes or slashes, upper case."""
    code = re.sub(r"[\s./-]", "", value or "").upper()
    return code or None


def check_valid_invoice(fields: InvoiceFields, *, supplier_known: bool) -> None:
    """An invoice with its required fields, whose net + VAT = total (InvalidInput naming the field)."""
    if fields.document_type == "not_invoice":
        raise InvalidInput(
            "document_type: the document is not an invoice; only purchase invoices and credit notes are "
            "imported",
            field="document_type",
        )
    if not supplier_known and not (fields.supplier_name or "").strip():
        raise InvalidInput(
            "supplier_name: the supplier is missing (choose one or type its name)", field="supplier_name"
        )
    if not any((fields.customer_name, fields.customer_vat, fields.customer_registration)):
        raise InvalidInput(
            "customer_name: the recipient (customer) is missing: the invoice must name the company it is for",
            field="customer_name",
        )
    for name, what in REQUIRED:
        value = getattr(fields, name)
        if value is None or (isinstance(value, str) and not value.strip()):
            raise InvalidInput(f"{name}: {what} is missing; it is required to import the invoice", field=name)
    if len(fields.number or "") > NUMBER_MAX:
        raise InvalidInput(f"number: at most {NUMBER_MAX} characters", field="number")
    if not re.fullmatch(r"[A-Za-z]{3}", fields.currency or ""):
        raise InvalidInput("currency: an ISO 4217 code of three letters, e.g. EUR", field="currency")
    assert fields.net is not None and fields.vat is not None and fields.total is not None
    if abs(fields.net + fields.vat - fields.total) > ROUNDING:
        raise InvalidInput(
            f"total: net {fields.net} + VAT {fields.vat} = {fields.net + fields.vat}, but the total is "
            f"{fields.total} (more than {ROUNDING} apart)",
            field="total",
        )


def current_enterprise_company(session: Session) -> EnterpriseCompany:
    """The company of the setting ``ingest.enterprise_company_id``, else the only enterprise company."""
    company_id = get_int_setting(session, key=COMPANY_SETTING)
    if company_id:
        company = session.get(EnterpriseCompany, company_id)
        if company is None:
            raise InvalidInput(
                f"the setting {COMPANY_SETTING} names enterprise company {company_id}, which does not exist",
                field=COMPANY_SETTING,
            )
        return company
    companies = session.scalars(select(EnterpriseCompany).order_by(EnterpriseCompany.id).limit(2)).all()
    if len(companies) != 1:
        found = "none exists" if not companies else "there are several"
        raise InvalidInput(
            f"the current enterprise company is not known ({found}): create one, or set {COMPANY_SETTING}",
            field=COMPANY_SETTING,
        )
    return companies[0]


def is_recipient(company: EnterpriseCompany, fields: InvoiceFields) -> bool:
    """The invoice's customer is ``company``: same registration number, VAT number or normalised name."""
    pairs = (
        (compact_code(fields.customer_registration), compact_code(company.registration_number)),
        (compact_code(fields.customer_vat), compact_code(company.vat_number)),
    )
    if any(ours is not None and ours == theirs for theirs, ours in pairs):
        return True
    key = normalise_company_name(fields.customer_name or "")
    return bool(key) and key == normalise_company_name(company.name)


def check_recipient(company: EnterpriseCompany, fields: InvoiceFields) -> None:
    if not is_recipient(company, fields):
        named = fields.customer_name or fields.customer_vat or fields.customer_registration
        raise InvalidInput(
            f"customer_name: the invoice is for '{named}', not for the current enterprise company "
            f"'{company.name}' (compared by registration number, VAT number and normalised name)",
            field="customer_name",
        )


def match_supplier(session: Session, fields: InvoiceFields) -> Party | None:
    """Registration number first, then VAT number, then the normalised name; None: a new supplier."""
    for column, value in (
        (Party.registration_number, compact_code(fields.supplier_registration)),
        (Party.vat_number, compact_vat(fields.supplier_vat or "") or compact_code(fields.supplier_vat)),
    ):
        if value is None:
            continue
        compacted = func.upper(func.replace(func.replace(func.replace(column, " ", ""), ".", ""), "-", ""))
        found = session.scalars(select(Party).where(compacted == value).order_by(Party.id).limit(1)).first()
        if found is not None:
            return found
    return match_supplier_by_name(session, fields.supplier_name)


def match_supplier_by_name(session: Session, name: str | None) -> Party | None:
    key = normalise_company_name(name or "")
    if not key:
        return None
    word = max(key.split(), key=len)
    stmt = (
        select(Party)
        .where(Party.normalized_name.contains(word, autoescape=True))
        .order_by(Party.id)
        .limit(NAME_CANDIDATES)
    )
    return next((p for p in session.scalars(stmt) if normalise_company_name(p.name) == key), None)


def chosen_supplier(session: Session, supplier_id: int) -> Party:
    party = session.get(Party, supplier_id)
    if party is None:
        raise InvalidInput(f"supplier_id: party {supplier_id} does not exist", field="supplier_id")
    return party


def new_party_values(fields: InvoiceFields) -> dict[str, Any]:
    """A new supplier's fields from the recognised data (the caller checked that there is a name)."""
    values = {
        "name": (fields.supplier_name or "").strip()[:256],
        "registration_number": (fields.supplier_registration or None) and fields.supplier_registration[:64],
        "vat_number": (fields.supplier_vat or None) and fields.supplier_vat[:64],
        "address": fields.supplier_address or None,
    }
    return {name: value for name, value in values.items() if value}


def check_duplicate(session: Session, *, company_id: int, supplier_id: int, number: str) -> None:
    stmt = select(PurchaseInvoice.id).where(
        PurchaseInvoice.enterprise_company_id == company_id,
        PurchaseInvoice.supplier_id == supplier_id,
        PurchaseInvoice.document_number == number,
        PurchaseInvoice.state != "void",
    )
    existing = session.scalars(stmt.limit(1)).first()
    if existing is not None:
        raise Conflict(
            f"number: purchase invoice {existing} of this supplier and enterprise company already has the "
            f"number '{number}' (void it first to import this one again)",
            field="number",
        )


LineSource = Literal["previous_invoice", "default_service_product"]


def mapped_lines(
    session: Session, *, supplier_id: int | None, net: Decimal
) -> tuple[list[dict[str, Any]], LineSource]:
    """The smart mapping, the lines' fields: the previous single line reused with amount = net, else the
    service product (``supplier_id`` None: a new supplier, no previous invoice)."""
    previous = _previous_single_line(session, supplier_id) if supplier_id is not None else None
    if previous is not None:
        quantity = previous.quantity
        price = (net / quantity).quantize(Decimal("0.0001")) if quantity else None
        line = {"product_id": previous.product_id, "quantity": quantity, "unit_price": price, "amount": net}
        return [line], "previous_invoice"
    product_id = _service_product(session)
    return [
        {"product_id": product_id, "quantity": Decimal(1), "unit_price": net, "amount": net}
    ], "default_service_product"


def _previous_single_line(session: Session, supplier_id: int) -> PurchaseInvoiceLine | None:
    """The only line of the supplier's latest non-void invoice dated within the last 365 days."""
    since = (utcnow() - LOOKBACK).date()
    latest = session.scalars(
        select(PurchaseInvoice.id)
        .where(
            PurchaseInvoice.supplier_id == supplier_id,
            PurchaseInvoice.state != "void",
            PurchaseInvoice.document_date >= since,
        )
        .order_by(PurchaseInvoice.document_date.desc(), PurchaseInvoice.id.desc())
        .limit(1)
    ).first()
    if latest is None:
        return None
    lines = session.scalars(
        select(PurchaseInvoiceLine).where(PurchaseInvoiceLine.purchase_invoice_id == latest).limit(2)
    ).all()
    return lines[0] if len(lines) == 1 else None


def _service_product(session: Session) -> int:
    product_id = get_int_setting(session, key=SERVICE_PRODUCT_SETTING)
    if not product_id:
        raise InvalidInput(
            f"the supplier has no single-line invoice of the last year to copy, and no default service "
            f"product is set: set {SERVICE_PRODUCT_SETTING} to a product id",
            field=SERVICE_PRODUCT_SETTING,
        )
    if session.get(Product, product_id) is None:
        raise InvalidInput(
            f"the setting {SERVICE_PRODUCT_SETTING} names product {product_id}, which does not exist",
            field=SERVICE_PRODUCT_SETTING,
        )
    return product_id
