"""Exports over the API: fine-tune data identical to the upload, conversations round trip, hit history
with filters (streamed in batches), build logs and metrics."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from erpai.compilations.models import ModelHit
from erpai.config import get_settings
from erpai.exports import service
from erpai.training.models import TrainingConversation
from tests.answering.helpers import TEST_KEY, openai_provider
from tests.compilations.factories import HR_QAS, admin_with_token, model_with_qas
from tests.compilations.test_finetune import MORE_QAS
from tests.conftest import make_user, wait_for_jobs
from tests.ecosystem_helpers import compiled_model
from tests.fakes.openai_server import FakeOpenAI

BOSS = {"Authorization": "Bearer tok-boss"}
CONVERSATION = {
    "messages": [
        {"role": "user", "name": "Jane Doe", "content": "Can I bring my dog to the office?"},
        {"role": "assistant", "content": "Yes, on Fridays."},
    ],
    "notes": "pets",
}


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOpenAI]:
    monkeypatch.setattr(get_settings(), "fine_tune_poll_seconds", 0.01)
    with FakeOpenAI(api_key=TEST_KEY) as server:
        yield server


def test_training_export_is_byte_for_byte_the_fine_tune_upload(
    live_client: TestClient, live_session: Session, fake: FakeOpenAI
) -> None:
    user, _ = admin_with_token(live_session)
    model = model_with_qas(
        live_session,
        name="HR Team",
        user=user,
        provider=openai_provider(live_session, fake),
        qas=HR_QAS + MORE_QAS,
    )
    body = {"model_id": model.id, **CONVERSATION}
    assert live_client.post("/api/v1/training-conversations", json=body, headers=BOSS).status_code == 201
    exported = live_client.get(f"/api/v1/models/{model.id}/export/training?format=openai", headers=BOSS)
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("application/x-ndjson")

    started = live_client.post(f"/api/v1/models/{model.id}/compile", json={"kind": "fine_tune"}, headers=BOSS)
    assert started.status_code == 202, started.text
    wait_for_jobs()
    (upload,) = fake.files.values()
    assert exported.content == upload["content"]
    lines = [json.loads(line) for line in exported.text.splitlines()]
    assert len(lines) == len(HR_QAS + MORE_QAS) + 1 and lines[-1]["messages"][1]["name"] == "Jane_Doe"

    dpo = live_client.get(f"/api/v1/models/{model.id}/export/training?kind=dpo", headers=BOSS)
    assert dpo.status_code == 200 and dpo.text == ""  # no Train AI corrections yet
    refused = live_client.get(f"/api/v1/models/{model.id}/export/training?format=csv", headers=BOSS)
    assert refused.status_code == 422 and refused.json()["field"] == "format"


def test_conversations_export_imports_back(live_client: TestClient, live_session: Session) -> None:
    user, _ = admin_with_token(live_session)
    source = model_with_qas(live_session, name="Source", user=user, provider=None)
    target = model_with_qas(live_session, name="Target", user=user, provider=None)
    live_client.post(
        "/api/v1/training-conversations", json={"model_id": source.id, **CONVERSATION}, headers=BOSS
    )
    exported = live_client.get(f"/api/v1/models/{source.id}/training-conversations/export", headers=BOSS)
    assert exported.status_code == 200
    imported = live_client.post(
        f"/api/v1/models/{target.id}/training-conversations/import", content=exported.content, headers=BOSS
    )
    assert imported.json() == {"imported": 1}
    live_session.rollback()
    copy = live_session.scalars(
        select(TrainingConversation).where(TrainingConversation.model_id == target.id)
    ).one()
    assert [(m.participant_name, m.contents) for m in copy.messages] == [
        ("Jane Doe", "Can I bring my dog to the office?"),
        (None, "Yes, on Fridays."),
    ]
    assert copy.notes == "pets"


def _hits(session: Session, model_id: int) -> None:
    rows = [
        ("openai", True, datetime(2026, 1, 10, 12)),
        ("openai", False, datetime(2026, 2, 10, 12)),
        ("mcp", True, datetime(2026, 2, 11, 12)),
        ("api", True, datetime(2026, 3, 1, 12)),
        ("openai", True, datetime(2026, 3, 2, 12)),
    ]
    for number, (channel, answered, when) in enumerate(rows):
        question, answer = f'q{number}, "quoted"', "a" if answered else None
        hit = ModelHit(
            model_id=model_id, channel=channel, question=question, answer=answer, answered=answered
        )
        session.add(hit)
        hit.score, hit.time_utc = 0.5, when
    session.commit()


def test_hit_history_export_filters_and_streams_in_batches(
    live_client: TestClient, live_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    user, _ = admin_with_token(live_session)
    model = model_with_qas(live_session, name="HR", user=user, provider=None)
    _hits(live_session, model.id)
    monkeypatch.setattr(service, "BATCH", 2)

    everything = live_client.get("/api/v1/hits/export", headers=BOSS)
    table = list(csv.DictReader(io.StringIO(everything.text)))
    assert [r["question"] for r in table] == [f'q{i}, "quoted"' for i in range(5)]
    assert table[1]["answer"] == "" and table[1]["answered"] == "False"

    query = f"model_id={model.id}&channel=openai&answered=true&since=2026-01-15T00:00:00&until=2026-12-31"
    query += "&format=jsonl"
    picked = live_client.get(f"/api/v1/hits/export?{query}", headers=BOSS)
    rows = [json.loads(line) for line in picked.text.splitlines()]
    assert [r["question"] for r in rows] == ['q4, "quoted"'] and rows[0]["channel"] == "openai"

    _, member = make_user(live_session, "jane")
    assert live_client.get("/api/v1/hits/export", headers=member).status_code == 403
    assert live_client.get("/api/v1/hits/export?model_id=999", headers=BOSS).status_code == 404


def test_build_log_and_metrics(live_client: TestClient, live_session: Session) -> None:
    model, _ = compiled_model(live_session)
    _, member = make_user(live_session, "jane")  # before the requests: they write (token last use)
    build = model.conversational_compilation_id
    log = live_client.get(f"/api/v1/compilations/{build}/log", headers=BOSS)
    assert log.status_code == 200 and log.headers["content-type"].startswith("text/plain")
    assert "accuracy" in log.text.lower()
    metrics = live_client.get(f"/api/v1/compilations/{build}/metrics", headers=BOSS).json()
    assert metrics["active"] is True and metrics["model_id"] == model.id
    assert 0.0 <= metrics["metrics"]["in_scope_accuracy"] <= 1.0 and "embedder" in metrics["assets"]
    assert metrics["validation_score"] == metrics["metrics"]["validation_score"]
    assert live_client.get(f"/api/v1/compilations/{build}/log", headers=member).status_code == 403
    assert live_client.get("/api/v1/compilations/999/metrics", headers=BOSS).status_code == 404


def test_model_export_and_import_over_the_api(live_client: TestClient, live_session: Session) -> None:
    user, _ = admin_with_token(live_session)
    model = model_with_qas(live_session, name="Source", user=user, provider=None)
    live_client.post(
        "/api/v1/training-conversations", json={"model_id": model.id, **CONVERSATION}, headers=BOSS
    )
    exported = live_client.get(f"/api/v1/models/{model.id}/export", headers=BOSS)
    assert exported.status_code == 200 and exported.text.startswith('{"kind": "erpai-model"')

    imported = live_client.post("/api/v1/models/import?name=Copy", content=exported.content, headers=BOSS)
    assert imported.status_code == 201, imported.text
    body = imported.json()
    assert (body["name"], body["qas"], body["conversations"]) == ("Copy", 11, 1) and body[
        "model_id"
    ] != model.id
    clash = live_client.post("/api/v1/models/import", content=exported.content, headers=BOSS)
    assert clash.status_code == 409 and clash.json()["field"] == "name"
    broken = live_client.post("/api/v1/models/import", content=b'{"kind": "qa"}\n', headers=BOSS)
    assert broken.status_code == 422 and broken.json()["errors"][0]["line"] == 1
    _, member = make_user(live_session, "jane")
    assert live_client.get(f"/api/v1/models/{model.id}/export", headers=member).status_code == 403
