from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from erpai.rules.ai import prompt_cache
from erpai.users.models import User
from tests.fakes.openai_server import FakeOpenAI

Auth = tuple[User, dict[str, str]]


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    prompt_cache.clear()
    with FakeOpenAI() as fake:
        yield fake
    prompt_cache.clear()


@pytest.fixture
def default_model(client: TestClient, admin: Auth, fake_openai: FakeOpenAI) -> dict[str, Any]:
    """An OpenAI-wire provider on the local fake server, and a default model that uses it."""
    provider = client.post(
        "/api/v1/providers",
        json={
            "name": "Fake",
            "kind": "openai",
            "base_model_name": "gpt-4o-mini",
            "config": {"base_url": fake_openai.url, "max_retries": 0},
        },
        headers=admin[1],
    )
    assert provider.status_code == 201, provider.text
    model = client.post(
        "/api/v1/models",
        json={
            "name": "Rules",
            "is_default": True,
            "provider_id": provider.json()["id"],
            "system_message": "You are ACME's checker.",
        },
        headers=admin[1],
    )
    assert model.status_code == 201, model.text
    return dict(model.json())


def make_rule(client: TestClient, auth: Auth, **body: Any) -> dict[str, Any]:
    response = client.post("/api/v1/rules", json=body, headers=auth[1])
    assert response.status_code == 201, response.text
    return dict(response.json())
