from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from erpai.ai_models.models import AIModel
from erpai.audit.models import AuditEntry
from erpai.providers import get_provider
from erpai.providers.models import Provider
from erpai.security import decrypt_secret
from erpai.users.models import User
from tests.fakes.openai_server import FakeOpenAI
from tests.providers.conftest import TEST_KEY

URL = "/api/v1/providers"
Auth = tuple[User, dict[str, str]]


def _openai_body(name: str = "OpenAI Main", **extra: Any) -> dict[str, Any]:
    return {"name": name, "kind": "openai", "base_model_name": "gpt-4o-mini", "api_key": TEST_KEY, **extra}


def test_create_read_list_show_only_the_mask(client: TestClient, admin: Auth, db: Session) -> None:
    created = client.post(URL, json=_openai_body(config={"organization": "org-1"}), headers=admin[1])
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["api_key_mask"] == "sk-…a1b2" and body["has_api_key"] is True
    assert "api_key" not in body
    assert body["capabilities"] == ["chat", "embeddings", "fine_tune"]
    assert body["config"]["organization"] == "org-1" and body["config"]["max_retries"] == 3

    assert client.get(f"{URL}/{body['id']}", headers=admin[1]).json() == body
    assert client.get(URL, headers=admin[1]).json()["items"] == [body]
    row = db.get(Provider, body["id"])
    assert row is not None and row.api_key_encrypted and TEST_KEY not in row.api_key_encrypted
    assert decrypt_secret(row.api_key_encrypted) == TEST_KEY


def test_the_raw_column_holds_no_plain_key(client: TestClient, admin: Auth, db: Session) -> None:
    client.post(URL, json=_openai_body(), headers=admin[1])
    raw = db.execute(text("SELECT api_key_encrypted, api_key_mask, config_json FROM providers")).one()
    assert all(TEST_KEY not in (value or "") for value in raw)
    audit = db.scalars(select(AuditEntry.changes_json).where(AuditEntry.entity == "provider")).all()
    assert audit and all(TEST_KEY not in (c or "") for c in audit)


def test_local_provider_needs_no_key_and_only_embeds(client: TestClient, admin: Auth) -> None:
    created = client.post(URL, json={"name": "Local", "kind": "local"}, headers=admin[1])
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["capabilities"] == ["embeddings"]
    assert body["config"]["embedder"] == body["base_model_name"] != ""
    assert body["api_key_mask"] is None


def test_paging_and_filters(client: TestClient, admin: Auth) -> None:
    for i in range(3):
        client.post(
            URL,
            json=_openai_body(f"Gateway {i}", config={"base_url": "http://gw.local/v1"}),
            headers=admin[1],
        )
    client.post(URL, json={"name": "Local", "kind": "local"}, headers=admin[1])

    page = client.get(URL, params={"limit": 2, "offset": 1}, headers=admin[1]).json()
    assert (page["total"], len(page["items"]), page["offset"]) == (4, 2, 1)
    assert [
        p["name"] for p in client.get(URL, params={"kind": "local"}, headers=admin[1]).json()["items"]
    ] == ["Local"]
    named = client.get(URL, params={"name": "gateway 1"}, headers=admin[1]).json()["items"]
    assert [p["name"] for p in named] == ["Gateway 1"]


def test_config_is_validated_by_the_kind(client: TestClient, admin: Auth) -> None:
    cases = [
        ({"timeout_seconds": -1}, "config.timeout_seconds"),
        ({"base_url": "ftp://x"}, "config.base_url"),
        ({"temperature": 1}, "config.temperature"),  # extra keys are forbidden
    ]
    for config, field in cases:
        response = client.post(URL, json=_openai_body(config=config), headers=admin[1])
        assert response.status_code == 422, config
        assert response.json()["field"] == field
        assert response.json()["detail"].startswith(field)
    local = client.post(
        URL, json={"name": "L", "kind": "local", "config": {"embedder": "nope"}}, headers=admin[1]
    )
    assert local.status_code == 422 and local.json()["field"] == "config.embedder"
    assert client.get(URL, headers=admin[1]).json()["total"] == 0  # nothing half-written


def test_kind_and_key_rules(client: TestClient, admin: Auth) -> None:
    unknown = client.post(URL, json={"name": "X", "kind": "gemini", "base_model_name": "g"}, headers=admin[1])
    assert (unknown.status_code, unknown.json()["field"]) == (422, "kind")
    no_key = client.post(URL, json={**_openai_body(), "api_key": None}, headers=admin[1])
    assert (no_key.status_code, no_key.json()["field"]) == (422, "api_key")
    keyed_local = client.post(URL, json={"name": "L", "kind": "local", "api_key": TEST_KEY}, headers=admin[1])
    assert (keyed_local.status_code, keyed_local.json()["field"]) == (422, "api_key")
    assert TEST_KEY not in keyed_local.text
    no_model = client.post(URL, json={**_openai_body(), "base_model_name": None}, headers=admin[1])
    assert (no_model.status_code, no_model.json()["field"]) == (422, "base_model_name")
    # A self-hosted server (Ollama, vLLM) may need no key.
    ollama = _openai_body("Ollama", api_key=None, config={"base_url": "http://localhost:11434/v1"})
    assert client.post(URL, json=ollama, headers=admin[1]).status_code == 201


def test_duplicate_name_is_a_conflict(client: TestClient, admin: Auth) -> None:
    client.post(URL, json=_openai_body(), headers=admin[1])
    response = client.post(URL, json=_openai_body(), headers=admin[1])
    assert (response.status_code, response.json()["field"]) == (409, "name")


def test_update_replaces_or_clears_the_key_and_merges_config(
    client: TestClient, admin: Auth, db: Session
) -> None:
    gateway = _openai_body(config={"base_url": "http://gw.local/v1", "max_retries": 5})
    provider = client.post(URL, json=gateway, headers=admin[1]).json()
    url = f"{URL}/{provider['id']}"

    replaced = client.patch(url, json={"api_key": "sk-new-0000000000ffff"}, headers=admin[1]).json()
    assert replaced["api_key_mask"] == "sk-…ffff"
    row = db.get(Provider, provider["id"])
    assert (
        row is not None and row.api_key_encrypted and decrypt_secret(row.api_key_encrypted).endswith("ffff")
    )

    merged = client.patch(
        url, json={"config": {"timeout_seconds": 9, "max_retries": None}}, headers=admin[1]
    ).json()
    assert merged["config"]["timeout_seconds"] == 9 and merged["config"]["max_retries"] == 3
    assert merged["config"]["base_url"] == "http://gw.local/v1"

    cleared = client.patch(url, json={"api_key": None}, headers=admin[1]).json()
    assert (cleared["api_key_mask"], cleared["has_api_key"]) == (None, False)
    kept = client.patch(url, json={"notes": "eu gateway"}, headers=admin[1]).json()
    assert kept["notes"] == "eu gateway" and kept["has_api_key"] is False


def test_a_new_base_url_needs_the_key_again(client: TestClient, admin: Auth, db: Session) -> None:
    gateway = _openai_body(config={"base_url": "http://gw.local/v1"})
    provider = client.post(URL, json=gateway, headers=admin[1]).json()
    url = f"{URL}/{provider['id']}"
    moved = client.patch(url, json={"config": {"base_url": "http://elsewhere.example/v1"}}, headers=admin[1])
    assert (moved.status_code, moved.json()["field"]) == (422, "api_key")
    assert client.get(url, headers=admin[1]).json()["config"]["base_url"] == "http://gw.local/v1"
    same = client.patch(url, json={"config": {"base_url": "http://gw.local/v1"}}, headers=admin[1])
    assert same.status_code == 200
    rekeyed = client.patch(
        url,
        json={"config": {"base_url": "http://elsewhere.example/v1"}, "api_key": "sk-other-000000009999"},
        headers=admin[1],
    )
    assert rekeyed.status_code == 200 and rekeyed.json()["api_key_mask"] == "sk-…9999"


def test_update_errors_leave_the_row_unchanged(client: TestClient, admin: Auth) -> None:
    provider = client.post(URL, json=_openai_body(), headers=admin[1]).json()
    url = f"{URL}/{provider['id']}"
    cleared = client.patch(url, json={"name": "Renamed", "api_key": None}, headers=admin[1])
    assert (cleared.status_code, cleared.json()["field"]) == (422, "api_key")  # OpenAI's own API needs a key
    bad = client.patch(url, json={"name": "Renamed", "config": {"max_retries": 99}}, headers=admin[1])
    assert (bad.status_code, bad.json()["field"]) == (422, "config.max_retries")
    stale = client.patch(url, json={"notes": "x", "object_version": 99}, headers=admin[1])
    assert stale.status_code == 409
    kind = client.patch(url, json={"kind": "local"}, headers=admin[1])
    assert (kind.status_code, kind.json()["field"]) == (422, "kind")
    assert client.get(url, headers=admin[1]).json() == provider


def test_delete_is_refused_while_a_model_uses_the_provider(
    client: TestClient, admin: Auth, db: Session
) -> None:
    provider = client.post(URL, json=_openai_body(), headers=admin[1]).json()
    model = AIModel(name="Sales", provider_id=provider["id"])
    db.add(model)
    db.flush()
    refused = client.delete(f"{URL}/{provider['id']}", headers=admin[1])
    assert refused.status_code == 409 and "Sales" in refused.json()["detail"]

    db.delete(model)
    db.flush()
    assert client.delete(f"{URL}/{provider['id']}", headers=admin[1]).status_code == 204
    assert client.get(f"{URL}/{provider['id']}", headers=admin[1]).status_code == 404


def test_only_admins(client: TestClient, member: Auth) -> None:
    assert client.get(URL, headers=member[1]).status_code == 403
    assert client.post(URL, json=_openai_body(), headers=member[1]).status_code == 403
    assert client.get(URL).status_code == 401


def test_missing_field_error_does_not_echo_the_key(client: TestClient, admin: Auth) -> None:
    response = client.post(URL, json={"kind": "openai", "api_key": TEST_KEY}, headers=admin[1])
    assert response.status_code == 422 and response.json()["field"] == "name"
    assert TEST_KEY not in response.text


def test_the_test_endpoint_and_the_client(
    client: TestClient, admin: Auth, db: Session, fake_openai: FakeOpenAI
) -> None:
    body = _openai_body(config={"base_url": fake_openai.url, "embedding_model": "text-embedding-3-small"})
    provider = client.post(URL, json=body, headers=admin[1]).json()
    result = client.post(f"{URL}/{provider['id']}/test", headers=admin[1]).json()
    assert result["ok"] is True and (result["chat"], result["embeddings"], result["fine_tune"]) == (
        True,
        True,
        True,
    )

    row = db.get(Provider, provider["id"])
    assert row is not None
    assert get_provider(row).chat([{"role": "user", "content": "ping"}]) == "echo: ping"

    client.patch(f"{URL}/{provider['id']}", json={"api_key": "sk-wrong-key-12345678"}, headers=admin[1])
    failed = client.post(f"{URL}/{provider['id']}/test", headers=admin[1]).json()
    assert failed["ok"] is False and "HTTP 401" in failed["messages"][0]
    assert "sk-wrong-key-12345678" not in str(failed)
