"""Business records (decisions.md "Business records"): one table per kind, plain typed columns."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, ForeignKey, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from erpai.db import Base, utcnow

Money = Numeric(18, 4)


class RecordBase:
    id: Mapped[int] = mapped_column(primary_key=True)
    created_time_utc: Mapped[datetime] = mapped_column(default=utcnow)
    updated_time_utc: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class EnterpriseCompany(RecordBase, Base):
    """One of the company's own legal entities."""

    __tablename__ = "enterprise_companies"

    name: Mapped[str] = mapped_column(String(256), unique=True)
    registration_number: Mapped[str | None] = mapped_column(String(64))
    vat_number: Mapped[str | None] = mapped_column(String(64))
    address: Mapped[str | None] = mapped_column(Text)


class Party(RecordBase, Base):
    """A supplier or customer."""

    __tablename__ = "parties"

    name: Mapped[str] = mapped_column(String(256))
    normalized_name: Mapped[str] = mapped_column(String(256), index=True)
    registration_number: Mapped[str | None] = mapped_column(String(64), index=True)
    vat_number: Mapped[str | None] = mapped_column(String(64))
    address: Mapped[str | None] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(String(256))
    phone: Mapped[str | None] = mapped_column(String(64))


class PartyBankAccount(RecordBase, Base):
    __tablename__ = "party_bank_accounts"

    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id", ondelete="CASCADE"), index=True)
    bank_account_code: Mapped[str] = mapped_column(String(64))
    bank_name: Mapped[str | None] = mapped_column(String(256))


class Product(RecordBase, Base):
    """``name`` holds one value per language: ``{"en": "Chair", "de": "Stuhl"}``."""

    __tablename__ = "products"

    name: Mapped[dict[str, str]] = mapped_column(JSON)
    short_name: Mapped[str | None] = mapped_column(String(64))
    unit: Mapped[str | None] = mapped_column(String(32))
    default_price: Mapped[Decimal | None] = mapped_column(Money)


class PurchaseInvoice(RecordBase, Base):
    __tablename__ = "purchase_invoices"

    enterprise_company_id: Mapped[int] = mapped_column(
        ForeignKey("enterprise_companies.id", ondelete="RESTRICT"), index=True
    )
    supplier_id: Mapped[int] = mapped_column(ForeignKey("parties.id", ondelete="RESTRICT"), index=True)
    document_number: Mapped[str] = mapped_column(String(64))
    document_date: Mapped[date | None]
    currency: Mapped[str | None] = mapped_column(String(3))
    net_amount: Mapped[Decimal | None] = mapped_column(Money)
    vat_amount: Mapped[Decimal | None] = mapped_column(Money)
    total_amount: Mapped[Decimal | None] = mapped_column(Money)
    state: Mapped[str] = mapped_column(String(16), default="draft")
    attachment: Mapped[str | None] = mapped_column(Text)
    # The original document (set by an ingest confirm): GET /api/v1/ingest/files/{id}.
    attachment_file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_files.id", ondelete="SET NULL"))


class PurchaseInvoiceLine(RecordBase, Base):
    __tablename__ = "purchase_invoice_lines"

    purchase_invoice_id: Mapped[int] = mapped_column(
        ForeignKey("purchase_invoices.id", ondelete="CASCADE"), index=True
    )
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id", ondelete="RESTRICT"))
    quantity: Mapped[Decimal | None] = mapped_column(Money)
    unit_price: Mapped[Decimal | None] = mapped_column(Money)
    amount: Mapped[Decimal | None] = mapped_column(Money)


class Lead(RecordBase, Base):
    __tablename__ = "leads"

    first_name: Mapped[str | None] = mapped_column(String(128))
    last_name: Mapped[str | None] = mapped_column(String(128))
    email: Mapped[str | None] = mapped_column(String(256))
    phone: Mapped[str | None] = mapped_column(String(64))
    role_in_company: Mapped[str | None] = mapped_column(String(128))
    company_name: Mapped[str | None] = mapped_column(String(256))
    notes: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(String(64))


class Todo(RecordBase, Base):
    __tablename__ = "todos"

    title: Mapped[str] = mapped_column(String(256))
    description: Mapped[str | None] = mapped_column(Text)
    assigned_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    owner_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    linked_record: Mapped[str | None] = mapped_column(String(128))
    linked_chat_group_id: Mapped[int | None] = mapped_column(
        ForeignKey("chat_groups.id", ondelete="SET NULL")
    )
    due_date: Mapped[date | None]
    state: Mapped[str] = mapped_column(String(16), default="open")
