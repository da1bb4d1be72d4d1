"""An assistant model compiled on a provider (the fake OpenAI server or the embedded one), and its users."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from erpai.ai_models.models import AIModel
from erpai.providers.models import Provider
from erpai.users.models import User
from tests.compilations.factories import admin_with_token, model_with_qas
from tests.conftest import make_user, wait_for_jobs

CONVERSATIONS = "/api/v1/assistant/conversations"
VACATION = "You get 25 working days of paid leave a year."
Actor = tuple[User, dict[str, str]]


def assistant_model(client: TestClient, session: Session, provider: Provider) -> tuple[AIModel, Actor]:
    """The HR model as an assistant model, compiled (an assistant build) and active."""
    admin = admin_with_token(session)
    model = model_with_qas(session, name="HR", user=admin[0], provider=provider)
    model.build_assistant = True
    model.fallback_answer = "Sorry, I have no answer for that."
    session.commit()
    started = client.post(f"/api/v1/models/{model.id}/compile", headers=admin[1])
    assert started.status_code == 202, started.text
    assert started.json()["kind"] == "assistant"
    wait_for_jobs()
    session.refresh(model)
    assert model.conversational_compilation_id is not None
    return model, admin


def user(session: Session, login: str) -> Actor:
    actor = make_user(session, login)
    session.commit()
    return actor


def start(client: TestClient, headers: dict[str, str], model_id: int) -> dict[str, Any]:
    response = client.post(CONVERSATIONS, json={"model_id": model_id}, headers=headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def say(client: TestClient, headers: dict[str, str], conversation_id: int, text: str) -> dict[str, Any]:
    response = client.post(
        f"{CONVERSATIONS}/{conversation_id}/messages", json={"content": text}, headers=headers
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body
