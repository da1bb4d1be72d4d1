"""Each action's semantics (decisions.md), the rule-save checks, the cache and the host-ERP endpoint."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.fakes.openai_server import FakeOpenAI
from tests.rules.conftest import Auth, make_rule

EVALUATE = "/api/v1/rules/evaluate"
HOST = {"entity": "Invoice", "fields": ["Iban", "Note", "Party.Name"]}


def _host_rule(client: TestClient, admin: Auth, kind: str, **action: Any) -> dict[str, Any]:
    body = {"type": kind, "prompt": "Is '{Iban}' ok for {Party.Name}?", **action}
    if kind != "AISET":
        body.setdefault("message", "Bad IBAN {Iban}")
    return make_rule(client, admin, name=f"r-{kind}", event="commit", actions=[body], **HOST)


def _evaluate(client: TestClient, auth: Auth, **record: Any) -> dict[str, Any]:
    body = {
        "entity": "Invoice",
        "event": "commit",
        "record": {"Iban": "X1", "Party": {"Name": "ACME"}, **record},
    }
    response = client.post(EVALUATE, json=body, headers=auth[1])
    assert response.status_code == 200, response.text
    return dict(response.json())


@pytest.mark.parametrize(
    ("answer", "passes"),
    [("true", True), ("TRUE", True), (" true \n", True), ("false", False), ("yes, it is true", False)],
)
def test_aivalidate_passes_only_on_true(
    client: TestClient, admin: Auth, default_model: Any, fake_openai: FakeOpenAI, answer: str, passes: bool
) -> None:
    _host_rule(client, admin, "AIVALIDATE")
    fake_openai.script(answer)
    result = _evaluate(client, admin)
    assert (result["errors"] == []) is passes
    assert fake_openai.chat_calls()[-1].body["messages"][-1]["content"] == "Is 'X1' ok for ACME?"
    if not passes:
        assert result["errors"][0]["message"] == "Bad IBAN X1"


def test_timeout_fails_validation_and_sets_empty(
    client: TestClient, admin: Auth, default_model: Any, fake_openai: FakeOpenAI
) -> None:
    validate = _host_rule(client, admin, "AIVALIDATE", timeout_ms=200)
    fake_openai.fail("POST /v1/chat/completions", hang=3, times=2)
    result = _evaluate(client, admin)
    assert result["errors"][0]["reason"] == "no answer within 200 ms"
    assert result["runs"][0]["outcome"] == "timed_out"
    make_rule(
        client,
        admin,
        name="set",
        event="commit",
        entity="Invoice",
        fields=["Iban", "Note"],
        actions=[{"type": "AISET", "attribute": "Note", "prompt": "note for {Iban}", "timeout_ms": 200}],
    )
    client.patch(f"/api/v1/rules/{validate['id']}", json={"enabled": False}, headers=admin[1])
    result = _evaluate(client, admin, Note="old")
    assert result["record"]["Note"] == "" and result["set"] == {"Note": ""}


def test_provider_error_gives_empty_set_and_a_warning(
    client: TestClient, admin: Auth, default_model: Any, fake_openai: FakeOpenAI
) -> None:
    _host_rule(client, admin, "AIWARNING")
    fake_openai.fail("POST /v1/chat/completions", status=500, times=1)
    result = _evaluate(client, admin)
    assert result["errors"] == [] and len(result["warnings"]) == 1
    assert result["runs"][0]["outcome"] == "error"


def test_aiset_trims_and_later_actions_see_the_value(
    client: TestClient, admin: Auth, default_model: Any, fake_openai: FakeOpenAI
) -> None:
    make_rule(
        client,
        admin,
        name="s",
        event="commit",
        entity="Invoice",
        fields=["Iban", "Note"],
        actions=[
            {"type": "AISET", "attribute": "Note", "prompt": "note for {Iban}"},
            {"type": "AIWARNING", "prompt": "check {Note}", "message": "m"},
        ],
    )
    fake_openai.script("  hello  ", "true")
    result = _evaluate(client, admin)
    assert result["record"]["Note"] == "hello"
    assert fake_openai.chat_calls()[-1].body["messages"][-1]["content"] == "check hello"


def test_cache_answers_the_same_prompt_once_and_logs_it(
    client: TestClient, admin: Auth, default_model: Any, fake_openai: FakeOpenAI
) -> None:
    _host_rule(client, admin, "AIVALIDATE")
    fake_openai.script("true", "false")
    first, second = _evaluate(client, admin), _evaluate(client, admin)
    assert first["errors"] == second["errors"] == []
    assert len(fake_openai.chat_calls()) == 1
    assert [first["runs"][0]["cached"], second["runs"][0]["cached"]] == [False, True]
    cached = client.get("/api/v1/rules/runs", params={"cached": True}, headers=admin[1]).json()
    assert cached["total"] == 1 and cached["items"][0]["tokens"] is None
    client.put("/api/v1/settings/rules.cache_ttl_seconds", json={"value": 0}, headers=admin[1])
    _evaluate(client, admin, Iban="X2")
    _evaluate(client, admin, Iban="X2")
    assert len(fake_openai.chat_calls()) == 3


def test_no_default_model_refuses_the_rule_and_reports_at_firing(
    client: TestClient, admin: Auth, default_model: Any, fake_openai: FakeOpenAI
) -> None:
    _host_rule(client, admin, "AIVALIDATE")
    client.patch(f"/api/v1/models/{default_model['id']}", json={"is_default": False}, headers=admin[1])
    result = _evaluate(client, admin)
    assert "no model is the default" in result["errors"][0]["reason"]
    refused = client.post(
        "/api/v1/rules",
        json={
            "name": "n",
            "event": "commit",
            "actions": [{"type": "AISET", "attribute": "Iban", "prompt": "x"}],
            **HOST,
        },
        headers=admin[1],
    )
    assert refused.status_code == 422 and "no model is the default" in refused.json()["detail"]


@pytest.mark.parametrize(
    ("body", "field", "text"),
    [
        (
            {
                "entity": "products",
                "event": "create",
                "actions": [{"type": "AISET", "attribute": "ShortName", "prompt": "{Nmae}"}],
            },
            "actions[1].prompt",
            "unknown field '{Nmae}'",
        ),
        (
            {
                "entity": "party_bank_accounts",
                "event": "create",
                "actions": [{"type": "AIWARNING", "prompt": "{Party.Nope}", "message": "m"}],
            },
            "actions[1].prompt",
            "'{Party.Nope}'",
        ),
        (
            {
                "entity": "products",
                "event": "attribute_changed",
                "attribute": "Colour",
                "actions": [{"type": "AIWARNING", "prompt": "p", "message": "m"}],
            },
            "attribute",
            "attribute_changed needs",
        ),
        (
            {
                "entity": "products",
                "event": "create",
                "actions": [{"type": "AISET", "attribute": "Name", "prompt": "p"}],
            },
            "actions[1]",
            "AISET needs a text field",
        ),
        (
            {"entity": "products", "event": "create", "actions": [{"type": "AIVALIDATE", "prompt": "p"}]},
            "actions[1].message",
            "needs a message",
        ),
        (
            {
                "entity": "Nowhere",
                "event": "create",
                "actions": [{"type": "AIVALIDATE", "prompt": "p", "message": "m"}],
            },
            "entity",
            "not an erpai record kind",
        ),
    ],
)
def test_rule_save_errors_name_the_field(
    client: TestClient, admin: Auth, default_model: Any, body: dict[str, Any], field: str, text: str
) -> None:
    response = client.post("/api/v1/rules", json={"name": "bad", **body}, headers=admin[1])
    assert response.status_code == 422, response.text
    assert response.json()["field"] == field and text in response.json()["detail"]


def test_relation_interpolation_reads_the_related_record(
    client: TestClient, admin: Auth, default_model: Any, fake_openai: FakeOpenAI
) -> None:
    make_rule(
        client,
        admin,
        name="acct",
        entity="party_bank_accounts",
        event="create",
        actions=[{"type": "AIWARNING", "prompt": "{BankAccountCode} of {Party.Name}", "message": "m"}],
    )
    party = client.post("/api/v1/records/parties", json={"name": "ACME"}, headers=admin[1]).json()["record"]
    fake_openai.script("true")
    client.post(
        "/api/v1/records/party_bank_accounts",
        json={"party_id": party["id"], "bank_account_code": "DE1"},
        headers=admin[1],
    )
    assert fake_openai.chat_calls()[-1].body["messages"][-1]["content"] == "DE1 of ACME"


def test_rules_are_admin_only_and_try_runs_a_disabled_rule(
    client: TestClient, admin: Auth, member: Auth, default_model: Any, fake_openai: FakeOpenAI
) -> None:
    rule = _host_rule(client, admin, "AIWARNING")
    assert client.get("/api/v1/rules", headers=member[1]).status_code == 403
    assert client.get("/api/v1/rules/runs", headers=member[1]).status_code == 403
    client.patch(f"/api/v1/rules/{rule['id']}", json={"enabled": False}, headers=admin[1])
    assert _evaluate(client, admin)["runs"] == []
    fake_openai.script("nope")
    tried = client.post(
        f"/api/v1/rules/{rule['id']}/try",
        json={"record": {"Iban": "Z", "Party": {"Name": "B"}}},
        headers=admin[1],
    )
    assert tried.status_code == 200 and tried.json()["warnings"][0]["message"] == "Bad IBAN Z"


def test_evaluate_fires_attribute_changed_only_for_changed_fields(
    client: TestClient, admin: Auth, default_model: Any, fake_openai: FakeOpenAI
) -> None:
    make_rule(
        client,
        admin,
        name="IBAN",
        entity="PartyBankAccounts",
        fields=["BankAccountCode", "Party.Name"],
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
    body: dict[str, Any] = {
        "entity": "PartyBankAccounts",
        "event": "update",
        "changed": ["Note"],
        "record": {"BankAccountCode": "99999", "Party": {"Name": "ACME"}},
    }
    assert client.post(EVALUATE, json=body, headers=admin[1]).json()["runs"] == []
    fake_openai.script("false")
    result = client.post(EVALUATE, json={**body, "changed": ["BankAccountCode"]}, headers=admin[1]).json()
    assert result["errors"][0]["message"] == "The provided IBAN 99999 isn't valid!"
    assert result["errors"][0]["reason"] == "the model answered 'false'"
    assert result["runs"][0]["outcome"] == "failed" and result["runs"][0]["tokens"] == 15
