"""The reference's three examples, end to end through the API, against the local OpenAI-wire fake server."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.fakes.openai_server import FakeOpenAI
from tests.rules.conftest import Auth, make_rule


def test_aiset_short_name_when_the_product_name_changes(
    client: TestClient, admin: Auth, default_model: dict[str, Any], fake_openai: FakeOpenAI
) -> None:
    make_rule(
        client,
        admin,
        name="Short name",
        entity="products",
        event="attribute_changed",
        attribute="Name",
        actions=[
            {
                "type": "AISET",
                "attribute": "ShortName",
                "prompt": "Just return a 4-symbol abbreviation of this input: {Name}.",
            }
        ],
    )
    fake_openai.script(" OFCH \n")
    created = client.post("/api/v1/records/products", json={"name": "Office chair"}, headers=admin[1])
    assert created.status_code == 201, created.text
    assert created.json()["record"]["short_name"] == "OFCH"
    sent = fake_openai.chat_calls()[-1].body["messages"]
    assert sent[0] == {"role": "system", "content": "You are ACME's checker."}
    assert sent[-1]["content"] == "Just return a 4-symbol abbreviation of this input: Office chair."
    product = created.json()["record"]
    fake_openai.script("DESK")
    changed = client.patch(
        f"/api/v1/records/products/{product['id']}", json={"name": "Desk"}, headers=admin[1]
    )
    assert changed.json()["record"]["short_name"] == "DESK"
    calls = len(fake_openai.chat_calls())
    client.patch(f"/api/v1/records/products/{product['id']}", json={"unit": "pcs"}, headers=admin[1])
    assert len(fake_openai.chat_calls()) == calls  # Name did not change: the rule does not fire


def test_aivalidate_iban_blocks_the_save_with_nothing_written(
    client: TestClient, admin: Auth, default_model: dict[str, Any], fake_openai: FakeOpenAI
) -> None:
    rule = make_rule(
        client,
        admin,
        name="IBAN",
        entity="party_bank_accounts",
        event="attribute_changed",
        attribute="BankAccountCode",
        actions=[
            {
                "type": "AIVALIDATE",
                "prompt": "Is '{BankAccountCode}' a valid IBAN?",
                "message": "The provided IBAN {BankAccountCode} isn't valid!",
            }
        ],
    )
    party = client.post("/api/v1/records/parties", json={"name": "ACME"}, headers=admin[1]).json()["record"]
    fake_openai.script("false")
    refused = client.post(
        "/api/v1/records/party_bank_accounts",
        json={"party_id": party["id"], "bank_account_code": "99999"},
        headers=admin[1],
    )
    assert refused.status_code == 422, refused.text
    body = refused.json()
    assert body["detail"] == "rule 'IBAN' action 1 (AIVALIDATE): The provided IBAN 99999 isn't valid!"
    assert body["errors"][0]["loc"] == ["rule", rule["id"], 1]
    assert body["errors"][0]["msg"].startswith(
        "IBAN: The provided IBAN 99999 isn't valid! (the model answered"
    )
    listed = client.get("/api/v1/records/party_bank_accounts", headers=admin[1]).json()
    assert listed["total"] == 0
    fake_openai.script(" TRUE ")
    ok = client.post(
        "/api/v1/records/party_bank_accounts",
        json={"party_id": party["id"], "bank_account_code": "DE89370400440532013000"},
        headers=admin[1],
    )
    assert ok.status_code == 201, (ok.text, [c.body["messages"][-1] for c in fake_openai.chat_calls()])
    runs = client.get("/api/v1/rules/runs", params={"rule_id": rule["id"]}, headers=admin[1]).json()["items"]
    assert [r["outcome"] for r in runs] == ["passed", "failed"]


def test_aiwarning_on_a_party_name_saves_and_returns_the_warning(
    client: TestClient, admin: Auth, default_model: dict[str, Any], fake_openai: FakeOpenAI
) -> None:
    make_rule(
        client,
        admin,
        name="Real name",
        entity="parties",
        event="attribute_changed",
        attribute="Name",
        actions=[
            {
                "type": "AIWARNING",
                "prompt": "Does '{Name}' look like a real person or company name?",
                "message": "The provided name '{Name}' does not seem like a real one.",
                "timeout_ms": 10000,
            }
        ],
    )
    fake_openai.script("No.")
    saved = client.post("/api/v1/records/parties", json={"name": "A Rich"}, headers=admin[1])
    assert saved.status_code == 201, saved.text
    assert (
        saved.json()["warnings"][0]["message"] == "The provided name 'A Rich' does not seem like a real one."
    )
    assert saved.json()["record"]["normalized_name"] == "a rich"
    fake_openai.script("true")
    clean = client.post("/api/v1/records/parties", json={"name": "ACME Ltd."}, headers=admin[1])
    assert clean.json()["warnings"] == []


def test_a_long_aiset_answer_is_cut_to_the_field(
    client: TestClient, admin: Auth, default_model: dict[str, Any], fake_openai: FakeOpenAI
) -> None:
    make_rule(
        client,
        admin,
        name="Short",
        entity="products",
        event="create",
        actions=[{"type": "AISET", "attribute": "ShortName", "prompt": "Abbreviate {Name}"}],
    )
    fake_openai.script("A" * 500)
    created = client.post("/api/v1/records/products", json={"name": "Chair"}, headers=admin[1])
    assert created.status_code == 201 and created.json()["record"]["short_name"] == "A" * 64
