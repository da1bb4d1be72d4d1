"""Shared set-up of the AI-tools tests: the local OpenAI-wire server as the default model's provider."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.ai_models.factories import make_model
from tests.fakes.openai_server import FakeOpenAI

API_KEY = "sk-test-tools"


def use_fake_provider(
    client: TestClient, db: Session, admin_headers: dict[str, str], fake: FakeOpenAI
) -> None:
    """Registers ``fake`` as an OpenAI provider (2 s timeout, no retries) of a new default model."""
    body = {
        "name": "fake-llm",
        "kind": "openai",
        "base_model_name": "gpt-4o-mini",
        "api_key": API_KEY,
        "config": {"base_url": fake.url, "max_retries": 0, "timeout_seconds": 2, "supports_fine_tune": False},
    }
    created = client.post("/api/v1/providers", json=body, headers=admin_headers)
    assert created.status_code == 201, created.text
    make_model(db, "Default", is_default=True, provider_id=created.json()["id"])
