"""Grounded answers against the fake OpenAI server: curated first, grounding sent, provenance kept."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from erpai.ai_models.models import AIModel
from erpai.compilations.models import ModelHit
from erpai.providers.models import Provider
from erpai.users.models import User
from tests.answering.helpers import TEST_KEY, openai_provider
from tests.compilations.factories import admin_with_token, model_with_qas
from tests.conftest import wait_for_jobs
from tests.fakes.openai_server import FakeOpenAI

VACATION = "You get 25 working days of paid leave a year."


def _compiled(client: TestClient, session: Session, fake: FakeOpenAI) -> tuple[AIModel, dict[str, str]]:
    user, headers = admin_with_token(session)
    model = model_with_qas(session, name="HR", user=user, provider=openai_provider(session, fake))
    started = client.post(f"/api/v1/models/{model.id}/compile", headers=headers)
    assert started.status_code == 202, started.text
    wait_for_jobs()
    return model, headers


def _chat_requests(fake: FakeOpenAI) -> list[dict[str, Any]]:
    return [r.body for r in fake.requests_to("POST", "/v1/chat/completions")]


def test_grounded_answer_cites_the_qa_and_sends_chain_matches_and_context(
    live_client: TestClient, live_session: Session, fake: FakeOpenAI
) -> None:
    model, headers = _compiled(live_client, live_session, fake)
    live_session.execute(update(AIModel).values(prefer_curated_answer=False))
    live_session.commit()
    fake.chat_reply = "Twenty-five working days."
    context = [{"role": "user", "name": "Jane Doe", "content": "Hi, I'm new here."}]
    body = {"question": "how many paid vacation days do I get each year", "context": context}
    answer = live_client.post(f"/api/v1/models/{model.id}/ask", json=body, headers=headers).json()

    assert answer["generated"] is True and answer["answer"] == "Twenty-five working days."
    assert answer["chat_model"] == "gpt-4o-mini" and answer["compilation_id"] is not None
    first = answer["sources"][0]
    assert first["source_type"] == "qa" and first["answer"] == VACATION
    assert answer["source_type"] == "qa" and answer["source_id"] == first["source_id"]
    (sent,) = _chat_requests(fake)
    messages = sent["messages"]
    assert sent["model"] == "gpt-4o-mini"
    assert messages[0] == {"role": "system", "content": "You are the HR assistant."}
    assert messages[1]["role"] == "system" and VACATION in messages[1]["content"]
    assert f"Q&A #{first['source_id']}" in messages[1]["content"]
    assert messages[2] == {"role": "user", "name": "Jane_Doe", "content": "Hi, I'm new here."}
    assert messages[-1] == {"role": "user", "content": body["question"]}
    hit = live_session.scalars(select(ModelHit)).one()
    assert hit.answer == "Twenty-five working days." and hit.answered is True


def test_curated_first_skips_the_provider_and_unknown_questions_go_to_it(
    live_client: TestClient, live_session: Session, fake: FakeOpenAI
) -> None:
    model, headers = _compiled(live_client, live_session, fake)
    url = f"/api/v1/models/{model.id}/ask"
    curated = live_client.post(url, json={"question": "how many vacation days a year?"}, headers=headers)
    assert curated.json()["answer"] == VACATION and curated.json()["generated"] is False
    assert _chat_requests(fake) == []

    fake.chat_reply = "I can only help with company questions."
    unknown = live_client.post(url, json={"question": "What is the capital of Mongolia?"}, headers=headers)
    assert unknown.json()["generated"] is True and unknown.json()["source_id"] is None
    assert unknown.json()["answer"] == "I can only help with company questions."
    assert len(_chat_requests(fake)) == 1


def _unbuilt_chat_model(db: Session, fake: FakeOpenAI, user: User) -> AIModel:
    parent = AIModel(name="Master", system_message="Be polite.", build_assistant=False)
    db.add(parent)
    db.flush()
    model = model_with_qas(db, name="Sales", user=user, provider=openai_provider(db, fake), parent=parent)
    return model


def test_no_build_answers_from_the_base_model_and_the_system_chain(
    client: TestClient, db: Session, admin: tuple[User, dict[str, str]], fake: FakeOpenAI
) -> None:
    model = _unbuilt_chat_model(db, fake, admin[0])
    fake.chat_reply = "Hello from the base model."
    result = client.post(f"/api/v1/models/{model.id}/ask", json={"question": "hi"}, headers=admin[1]).json()
    assert result["generated"] is True and result["compilation_id"] is None and result["sources"] == []
    assert result["answer"] == "Hello from the base model." and result["chat_model"] == "gpt-4o-mini"
    (sent,) = _chat_requests(fake)
    assert sent["messages"] == [
        {"role": "system", "content": "Be polite.\n\nYou are the Sales assistant."},
        {"role": "user", "content": "hi"},
    ]


def test_a_provider_failure_is_a_clear_error_without_the_key(
    client: TestClient, db: Session, admin: tuple[User, dict[str, str]], fake: FakeOpenAI
) -> None:
    model = _unbuilt_chat_model(db, fake, admin[0])
    fake.fail("POST /v1/chat/completions", status=503, message=f"overloaded, key {TEST_KEY}")
    response = client.post(f"/api/v1/models/{model.id}/ask", json={"question": "hi"}, headers=admin[1])
    assert response.status_code == 503 and response.json()["field"] == "provider"
    assert "provider 'OpenAI' chat" in response.json()["detail"] and TEST_KEY not in response.text
    assert db.scalars(select(ModelHit)).all() == []


def test_a_provider_without_chat_answers_from_the_build_only(
    client: TestClient, db: Session, admin: tuple[User, dict[str, str]], fake: FakeOpenAI
) -> None:
    model = _unbuilt_chat_model(db, fake, admin[0])
    db.execute(update(Provider).values(config_json=f'{{"base_url": "{fake.url}", "supports_chat": false}}'))
    db.commit()
    result = client.post(f"/api/v1/models/{model.id}/ask", json={"question": "hi"}, headers=admin[1]).json()
    assert result["answered"] is False and result["generated"] is False
    assert _chat_requests(fake) == []
