"""A stored key only goes to the host it was given for; header-bound values are checked on input."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from erpai.ai_models.models import AIModel
from erpai.cli.main import app
from erpai.providers.models import Provider
from erpai.security import encrypt_secret, mask_secret
from erpai.users.models import User
from tests.fakes.openai_server import FakeOpenAI
from tests.providers.conftest import TEST_KEY
from tests.providers.test_providers_cli import add_fake

URL = "/api/v1/providers"
Auth = tuple[User, dict[str, str]]
runner = CliRunner()


def _create(client: TestClient, admin: Auth, **config: Any) -> dict[str, Any]:
    body = {"name": "GW", "kind": "openai", "base_model_name": "gpt-4o-mini", "api_key": TEST_KEY}
    response = client.post(URL, json={**body, "config": config}, headers=admin[1])
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_moving_base_url_clears_the_key_and_says_so(
    client: TestClient, admin: Auth, fake_openai: FakeOpenAI
) -> None:
    provider = _create(client, admin, base_url="http://gw.local/v1")
    assert provider["notices"] == []
    moved = client.patch(
        f"{URL}/{provider['id']}", json={"config": {"base_url": fake_openai.url}}, headers=admin[1]
    )
    assert moved.status_code == 200, moved.text
    assert (moved.json()["has_api_key"], moved.json()["api_key_mask"]) == (False, None)
    assert any("API key was cleared" in n for n in moved.json()["notices"])
    client.post(f"{URL}/{provider['id']}/test", headers=admin[1])
    sent = {r.headers.get("Authorization") or r.headers.get("authorization") for r in fake_openai.requests}
    assert sent and all(TEST_KEY not in (header or "") for header in sent)


def test_moving_base_url_with_a_new_key_keeps_that_key(client: TestClient, admin: Auth) -> None:
    provider = _create(client, admin, base_url="http://gw.local/v1")
    body = {"config": {"base_url": "http://other.local/v1"}, "api_key": "sk-other-000000009999"}
    moved = client.patch(f"{URL}/{provider['id']}", json=body, headers=admin[1]).json()
    assert (moved["api_key_mask"], moved["notices"]) == ("sk-…9999", [])


def test_other_changes_keep_the_key(client: TestClient, admin: Auth) -> None:
    provider = _create(client, admin, base_url="http://gw.local/v1")
    same = {"config": {"base_url": "http://gw.local/v1/", "timeout_seconds": 5}, "notes": "x"}
    kept = client.patch(f"{URL}/{provider['id']}", json=same, headers=admin[1]).json()
    assert (kept["has_api_key"], kept["notices"]) == (True, [])


def test_back_to_openai_without_a_key_is_refused_and_nothing_changes(client: TestClient, admin: Auth) -> None:
    provider = _create(client, admin, base_url="http://gw.local/v1")
    refused = client.patch(f"{URL}/{provider['id']}", json={"config": {"base_url": None}}, headers=admin[1])
    assert (refused.status_code, refused.json()["field"]) == (422, "api_key")
    assert client.get(f"{URL}/{provider['id']}", headers=admin[1]).json()["has_api_key"] is True


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"api_key": "sk-ünïcode-123456"}, "api_key"),
        ({"api_key": "sk-with space-123456"}, "api_key"),
        ({"api_key": "sk-line\nbreak-123456"}, "api_key"),
        ({"config": {"organization": "org-ñ"}}, "config.organization"),
        ({"config": {"organization": "org 1\r\nX-Evil: 1"}}, "config.organization"),
        ({"config": {"base_url": "http://exämple.com/v1"}}, "config.base_url"),
        ({"config": {"base_url": "http://gw local/v1"}}, "config.base_url"),
        ({"config": {"base_url": "http:///v1"}}, "config.base_url"),
    ],
)
def test_header_bound_values_are_checked_on_input(
    client: TestClient, admin: Auth, body: dict[str, Any], field: str
) -> None:
    base = {"name": "GW", "kind": "openai", "base_model_name": "gpt-4o-mini", "api_key": TEST_KEY}
    created = client.post(URL, json={**base, **body}, headers=admin[1])
    assert (created.status_code, created.json()["field"]) == (422, field), created.text
    assert "ünïcode" not in created.text and "space-123456" not in created.text  # the key is not echoed
    provider = _create(client, admin, base_url="http://gw.local/v1")
    patched = client.patch(f"{URL}/{provider['id']}", json=body, headers=admin[1])
    assert (patched.status_code, patched.json()["field"]) == (422, field)
    assert client.get(f"{URL}/{provider['id']}", headers=admin[1]).json() == provider


def _store_raw_key(db: Session, provider_id: int, key: str) -> None:
    """A key saved before input was checked (or written around the API)."""
    row = db.get(Provider, provider_id)
    assert row is not None
    row.api_key_encrypted, row.api_key_mask = encrypt_secret(key), mask_secret(key)
    db.commit()


@pytest.mark.parametrize("key", ["sk-ünïcode-123456", "sk-line\nbreak-123456"])
def test_a_stored_unsendable_key_is_a_clear_provider_error(
    client: TestClient, admin: Auth, db: Session, fake_openai: FakeOpenAI, key: str
) -> None:
    provider = _create(client, admin, base_url=fake_openai.url, embedding_model="text-embedding-3-small")
    _store_raw_key(db, provider["id"], key)
    tested = client.post(f"{URL}/{provider['id']}/test", headers=admin[1])
    assert tested.status_code == 200, tested.text
    assert tested.json()["ok"] is False and "HTTP header" in " ".join(tested.json()["messages"])
    assert key not in tested.text
    model = AIModel(name="Sales", provider_id=provider["id"], build_assistant=False)
    db.add(model)
    db.commit()
    asked = client.post(f"/api/v1/models/{model.id}/ask", json={"question": "hi"}, headers=admin[1])
    assert asked.status_code == 502, asked.text
    assert asked.json()["field"] == "provider" and "HTTP header" in asked.json()["detail"]
    assert key not in asked.text
    assert fake_openai.requests == []  # nothing was sent, and nothing retried


@pytest.mark.usefixtures("cli_db")
def test_cli_update_says_the_key_was_cleared(
    fake_openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_fake(fake_openai, monkeypatch)
    moved = runner.invoke(app, ["provider", "update", "fake", "--base-url", "http://gw.local/v1", "--json"])
    assert moved.exit_code == 0, moved.output
    assert "API key was cleared" in moved.output
    monkeypatch.setenv("NEW_KEY", "sk-new-key-00000000beef")
    rekeyed = runner.invoke(
        app, ["provider", "update", "fake", "--base-url", fake_openai.url, "--api-key-env", "NEW_KEY"]
    )
    assert rekeyed.exit_code == 0 and "cleared" not in rekeyed.output
    shown = json.loads(runner.invoke(app, ["provider", "show", "fake", "--json"]).output)
    assert shown["api_key_mask"] == "sk-…beef"
    bad = runner.invoke(app, ["provider", "update", "fake", "--organization", "örg"])
    assert bad.exit_code != 0 and "error:" in bad.output and "config.organization" in bad.output
