"""Business records over the API: every kind's errors name the field, paging, filters, languages, import."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from erpai.users.models import User

Auth = tuple[User, dict[str, str]]
URL = "/api/v1/records"


def _post(client: TestClient, auth: Auth, kind: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(f"{URL}/{kind}", json=body, headers=auth[1])
    assert response.status_code == 201, response.text
    return dict(response.json()["record"])


def _error(response: Any, status: int, field: str) -> str:
    assert response.status_code == status, response.text
    assert response.json()["field"] == field, response.text
    return str(response.json()["detail"])


@pytest.mark.parametrize(
    ("kind", "body", "field"),
    [
        ("enterprise_companies", {"vat_number": "X"}, "name"),
        ("enterprise_companies", {"name": "A", "colour": "red"}, "colour"),
        ("parties", {"name": "x" * 300}, "name"),
        ("parties", {"name": ["a"]}, "name"),
        ("party_bank_accounts", {"party_id": 999999, "bank_account_code": "DE1"}, "party_id"),
        ("party_bank_accounts", {"party_id": "abc", "bank_account_code": "DE1"}, "party_id"),
        ("products", {"name": {"xx": "Chair"}}, "name.xx"),
        ("products", {"name": "Chair", "default_price": "cheap"}, "default_price"),
        ("purchase_invoices", {"enterprise_company_id": 1, "supplier_id": 1}, "document_number"),
        ("purchase_invoice_lines", {"purchase_invoice_id": 999999}, "purchase_invoice_id"),
        ("leads", {"first_name": "A", "notes": 3.5, "source": ["x"]}, "source"),
        ("todos", {"title": "Call", "state": "later"}, "state"),
        ("todos", {"title": "Call", "due_date": "tomorrow"}, "due_date"),
        ("todos", {"title": "Call", "assigned_user_id": 999999}, "assigned_user_id"),
    ],
)
def test_bad_input_is_422_naming_the_field(
    client: TestClient, member: Auth, kind: str, body: dict[str, Any], field: str
) -> None:
    _error(client.post(f"{URL}/{kind}", json=body, headers=member[1]), 422, field)


def test_unknown_kind_and_missing_record_are_404(client: TestClient, member: Auth) -> None:
    _error(client.get(f"{URL}/widgets", headers=member[1]), 404, "kind")
    _error(client.get(f"{URL}/parties/999999", headers=member[1]), 404, "record_id")
    _error(client.patch(f"{URL}/parties/999999", json={"phone": "1"}, headers=member[1]), 404, "record_id")


def test_invoice_with_lines_paging_and_filters(client: TestClient, member: Auth, admin: Auth) -> None:
    company = _post(client, member, "enterprise_companies", {"name": "Our Co", "vat_number": "DE1"})
    parties = [
        _post(client, member, "parties", {"name": f"Supplier {i}", "email": f"s{i}@x.io"}) for i in range(5)
    ]
    invoice = _post(
        client,
        member,
        "purchase_invoices",
        {
            "enterprise_company_id": company["id"],
            "supplier_id": parties[0]["id"],
            "document_number": "INV-1",
            "document_date": "2026-01-31",
            "currency": "EUR",
            "net_amount": "100.50",
            "total_amount": 121.6,
        },
    )
    assert (
        invoice["state"] == "draft"
        and invoice["net_amount"] == 100.5
        and invoice["document_date"] == "2026-01-31"
    )
    product = _post(client, member, "products", {"name": "Chair", "unit": "pcs", "default_price": 20})
    line = _post(
        client,
        member,
        "purchase_invoice_lines",
        {"purchase_invoice_id": invoice["id"], "product_id": product["id"], "quantity": 2, "amount": 40},
    )
    lines = client.get(
        f"{URL}/purchase_invoice_lines", params={"purchase_invoice_id": invoice["id"]}, headers=member[1]
    )
    assert [r["id"] for r in lines.json()["items"]] == [line["id"]]
    page = client.get(f"{URL}/parties", params={"limit": 2, "offset": 2}, headers=member[1]).json()
    assert page["total"] == 5 and [p["name"] for p in page["items"]] == ["Supplier 2", "Supplier 3"]
    found = client.get(f"{URL}/parties", params={"email": "S4@"}, headers=member[1]).json()
    assert [p["name"] for p in found["items"]] == ["Supplier 4"]
    _error(client.get(f"{URL}/parties", params={"colour": "red"}, headers=member[1]), 422, "colour")
    posted = client.patch(
        f"{URL}/purchase_invoices/{invoice['id']}", json={"state": "posted"}, headers=member[1]
    )
    assert posted.json()["record"]["state"] == "posted"
    assert client.delete(f"{URL}/parties/{parties[4]['id']}", headers=member[1]).status_code == 403
    assert client.delete(f"{URL}/parties/{parties[4]['id']}", headers=admin[1]).status_code == 204


def test_product_names_per_active_language(client: TestClient, member: Auth, admin: Auth) -> None:
    _error(client.post(f"{URL}/products", json={"name": {"de": "Stuhl"}}, headers=member[1]), 422, "name.de")
    client.put("/api/v1/settings/records.active_languages", json={"value": "en,de"}, headers=admin[1])
    product = _post(client, member, "products", {"name": {"en": "Chair", "de": "Stuhl"}})
    assert product["name"] == {"en": "Chair", "de": "Stuhl"}
    plain = _post(client, member, "products", {"name": "Table"})
    assert plain["name"] == {"en": "Table"}


def test_import_is_all_or_nothing_with_row_errors(client: TestClient, admin: Auth, member: Auth) -> None:
    bad = "name,vat_number,email\nACME,DE1,a@acme.io\n,DE2,\nGlobex,DE3,\n"
    rejected = client.post(f"{URL}/parties/import", params={"format": "csv"}, content=bad, headers=admin[1])
    assert rejected.status_code == 422
    assert rejected.json()["errors"] == [
        {"loc": ["line", 3, "name"], "msg": "name is required", "type": "invalid_row", "line": 3}
    ]
    assert client.get(f"{URL}/parties", headers=admin[1]).json()["total"] == 0
    good = bad.replace(",DE2,", "Initech,DE2,")
    done = client.post(f"{URL}/parties/import", params={"format": "csv"}, content=good, headers=admin[1])
    assert done.json() == {"imported": 3, "warnings": []}
    jsonl = '{"name": {"en": "Chair"}, "unit": "pcs"}\n{"name": "Desk", "default_price": "x"}\n'
    rejected = client.post(
        f"{URL}/products/import", params={"format": "jsonl"}, content=jsonl, headers=admin[1]
    )
    assert rejected.json()["errors"][0]["loc"] == ["line", 2, "default_price"]
    client.put("/api/v1/settings/records.active_languages", json={"value": "en,de"}, headers=admin[1])
    csv_ml = "name.en,name.de,unit\nChair,Stuhl,pcs\n"
    assert client.post(
        f"{URL}/products/import", params={"format": "csv"}, content=csv_ml, headers=admin[1]
    ).json() == {"imported": 1, "warnings": []}
    item = client.get(f"{URL}/products", headers=admin[1]).json()["items"][0]
    assert item["name"] == {"en": "Chair", "de": "Stuhl"}
    companies = "name\nOur Co\nOur Co\n"
    dup = client.post(
        f"{URL}/enterprise_companies/import", params={"format": "csv"}, content=companies, headers=admin[1]
    )
    _error(dup, 409, "name")
    _error(
        client.post(
            f"{URL}/leads/import", params={"format": "csv"}, content="first_name\nA\n", headers=admin[1]
        ),
        422,
        "kind",
    )
    assert (
        client.post(
            f"{URL}/parties/import", params={"format": "csv"}, content=good, headers=member[1]
        ).status_code
        == 403
    )
