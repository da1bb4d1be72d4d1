"""The record kinds and their fields: one table of specs drives validation, the API, import and rules.

Rules name fields in PascalCase (``BankAccountCode``); the API and files use the column names
(``bank_account_code``). A reference field ``party_id`` is also the relation ``Party`` (``{Party.Name}``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from erpai.db import Base
from erpai.errors import NotFound
from erpai.records.models import (
    EnterpriseCompany,
    Lead,
    Party,
    PartyBankAccount,
    Product,
    PurchaseInvoice,
    PurchaseInvoiceLine,
    Todo,
)

FieldType = Literal["str", "text", "number", "date", "ref", "multilang", "choice"]


@dataclass(frozen=True)
class FieldSpec:
    name: str
    type: FieldType = "str"
    required: bool = False
    max_length: int | None = None
    ref: str | None = None  # the kind (or "users", "chat_groups") a ``ref`` points to
    choices: tuple[str, ...] = ()
    derived: bool = False  # computed by erpai, never written by callers

    @property
    def pascal(self) -> str:
        return pascal_case(self.name)

    @property
    def relation(self) -> str | None:
        """``party_id`` -> ``Party`` (one-level interpolation ``{Party.Name}``)."""
        return pascal_case(self.name.removesuffix("_id")) if self.type == "ref" else None


@dataclass(frozen=True)
class KindSpec:
    name: str
    model: type[Base]
    fields: tuple[FieldSpec, ...]
    importable: bool = False
    label_field: str = "name"

    def field(self, name: str) -> FieldSpec | None:
        return next((f for f in self.fields if f.name == name), None)

    def by_pascal(self, name: str) -> FieldSpec | None:
        return next((f for f in self.fields if f.pascal == name or f.name == name), None)


def pascal_case(snake: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in snake.split("_"))


def snake_case(pascal: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", pascal).lower()


def _s(name: str, n: int = 256, *, required: bool = False) -> FieldSpec:
    return FieldSpec(name, "str", required=required, max_length=n)


def _t(name: str) -> FieldSpec:
    return FieldSpec(name, "text")


def _n(name: str) -> FieldSpec:
    return FieldSpec(name, "number")


def _r(name: str, ref: str, *, required: bool = False) -> FieldSpec:
    return FieldSpec(name, "ref", ref=ref, required=required)


_COMPANY = (_s("registration_number", 64), _s("vat_number", 64), _t("address"))

KINDS: dict[str, KindSpec] = {
    spec.name: spec
    for spec in (
        KindSpec(
            "enterprise_companies", EnterpriseCompany, (_s("name", required=True), *_COMPANY), importable=True
        ),
        KindSpec(
            "parties",
            Party,
            (
                _s("name", required=True),
                FieldSpec("normalized_name", "str", derived=True),
                *_COMPANY,
                _s("email"),
                _s("phone", 64),
            ),
            importable=True,
        ),
        KindSpec(
            "party_bank_accounts",
            PartyBankAccount,
            (
                _r("party_id", "parties", required=True),
                _s("bank_account_code", 64, required=True),
                _s("bank_name"),
            ),
            label_field="bank_account_code",
        ),
        KindSpec(
            "products",
            Product,
            (
                FieldSpec("name", "multilang", required=True),
                _s("short_name", 64),
                _s("unit", 32),
                _n("default_price"),
            ),
            importable=True,
        ),
        KindSpec(
            "purchase_invoices",
            PurchaseInvoice,
            (
                _r("enterprise_company_id", "enterprise_companies", required=True),
                _r("supplier_id", "parties", required=True),
                _s("document_number", 64, required=True),
                FieldSpec("document_date", "date"),
                _s("currency", 3),
                _n("net_amount"),
                _n("vat_amount"),
                _n("total_amount"),
                FieldSpec("state", "choice", choices=("draft", "posted", "void")),
                _t("attachment"),
                FieldSpec("attachment_file_id", "number", derived=True),
            ),
            label_field="document_number",
        ),
        KindSpec(
            "purchase_invoice_lines",
            PurchaseInvoiceLine,
            (
                _r("purchase_invoice_id", "purchase_invoices", required=True),
                _r("product_id", "products"),
                _n("quantity"),
                _n("unit_price"),
                _n("amount"),
            ),
            label_field="id",
        ),
        KindSpec(
            "leads",
            Lead,
            (
                _s("first_name", 128),
                _s("last_name", 128),
                _s("email"),
                _s("phone", 64),
                _s("role_in_company", 128),
                _s("company_name"),
                _t("notes"),
                _s("source", 64),
            ),
            label_field="last_name",
        ),
        KindSpec(
            "todos",
            Todo,
            (
                _s("title", required=True),
                _t("description"),
                _r("assigned_user_id", "users"),
                _r("owner_user_id", "users"),
                _s("linked_record", 128),
                _r("linked_chat_group_id", "chat_groups"),
                FieldSpec("due_date", "date"),
                FieldSpec("state", "choice", choices=("open", "done", "cancelled")),
            ),
            label_field="title",
        ),
    )
}


def kind_spec(name: str) -> KindSpec:
    spec = KINDS.get(name)
    if spec is None:
        raise NotFound(f"unknown record kind '{name}'; kinds: {', '.join(KINDS)}", field="kind")
    return spec
