"""``POST /models/{id}/ask`` as server-sent events: source, deltas, done (or error)."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from erpai.ai_models.models import AIModel
from erpai.compilations.models import ModelHit
from tests.answering.helpers import TEST_KEY, openai_provider, parse_sse
from tests.compilations.factories import admin_with_token, model_with_qas
from tests.conftest import wait_for_jobs
from tests.fakes import openai_routes
from tests.fakes.openai_server import FakeOpenAI

VACATION = "You get 25 working days of paid leave a year."


def _compiled(client: TestClient, session: Session, fake: FakeOpenAI) -> tuple[AIModel, dict[str, str]]:
    user, headers = admin_with_token(session)
    model = model_with_qas(session, name="HR", user=user, provider=openai_provider(session, fake))
    assert client.post(f"/api/v1/models/{model.id}/compile", headers=headers).status_code == 202
    wait_for_jobs()
    return model, headers


def test_a_grounded_answer_streams_source_deltas_then_done(
    live_client: TestClient, live_session: Session, fake: FakeOpenAI
) -> None:
    model, headers = _compiled(live_client, live_session, fake)
    live_session.execute(update(AIModel).values(prefer_curated_answer=False))
    live_session.commit()
    fake.chat_reply = "You have twenty-five days of paid leave."
    response = live_client.post(
        f"/api/v1/models/{model.id}/ask?stream=true",
        json={"question": "how many paid vacation days do I get each year"},
        headers=headers,
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    events = parse_sse(response.text)
    names = [name for name, _ in events]
    assert names[0] == "source" and names[-1] == "done" and names.count("delta") > 1
    assert events[0][1]["generated"] is True and events[0][1]["sources"][0]["answer"] == VACATION
    streamed = "".join(data["text"] for name, data in events if name == "delta")
    done = events[-1][1]
    assert streamed == done["answer"] == "You have twenty-five days of paid leave."
    assert done["hit_id"] is not None
    live_session.rollback()  # end any read snapshot
    hit = live_session.get(ModelHit, done["hit_id"])
    assert hit is not None and hit.answer == streamed


def test_a_curated_answer_streams_as_one_delta(
    live_client: TestClient, live_session: Session, fake: FakeOpenAI
) -> None:
    model, headers = _compiled(live_client, live_session, fake)
    response = live_client.post(
        f"/api/v1/models/{model.id}/ask",
        json={"question": "how many vacation days a year?", "stream": True},
        headers=headers,
    )
    events = parse_sse(response.text)
    assert [name for name, _ in events] == ["source", "delta", "done"]
    assert events[1][1] == {"text": VACATION} and events[2][1]["generated"] is False
    assert fake.requests_to("POST", "/v1/chat/completions") == []


def _broken_stream(handler: openai_routes.OpenAIHandler, model: str, reply: str) -> None:
    """One good chunk, then the provider reports an error inside the stream."""
    handler.send_response(200)
    handler.send_header("Content-Type", "text/event-stream")
    handler.send_header("Connection", "close")
    handler.end_headers()
    handler._sse(model, {"role": "assistant", "content": "Partial "}, None)
    error = {"error": {"message": f"overloaded (key {TEST_KEY})", "type": "server_error", "code": None}}
    handler.wfile.write(b"event: error\ndata: " + json.dumps(error).encode() + b"\n\n")
    handler.wfile.flush()
    handler.close_connection = True


def test_an_error_midstream_becomes_an_error_event_and_no_hit(
    live_client: TestClient, live_session: Session, fake: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    model, headers = _compiled(live_client, live_session, fake)
    monkeypatch.setattr(openai_routes.OpenAIHandler, "_stream", _broken_stream)
    response = live_client.post(
        f"/api/v1/models/{model.id}/ask?stream=true",
        json={"question": "What is the capital of Mongolia?"},
        headers=headers,
    )
    events = parse_sse(response.text)
    assert [name for name, _ in events] == ["source", "delta", "error"]
    error = events[-1][1]
    assert error["field"] == "provider" and "chat stream" in error["detail"]
    assert TEST_KEY not in response.text
    live_session.rollback()
    assert live_session.scalars(select(ModelHit)).all() == []


def test_a_failure_before_the_first_token_is_a_plain_http_error(
    live_client: TestClient, live_session: Session, fake: FakeOpenAI
) -> None:
    model, headers = _compiled(live_client, live_session, fake)
    fake.fail("POST /v1/chat/completions", status=403, message="not allowed", code="permission_denied")
    response = live_client.post(
        f"/api/v1/models/{model.id}/ask?stream=true",
        json={"question": "What is the capital of Mongolia?"},
        headers=headers,
    )
    assert response.status_code == 502 and response.json()["field"] == "provider"
    assert "not allowed to do this" in response.json()["detail"]
