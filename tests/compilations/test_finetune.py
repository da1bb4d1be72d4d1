"""Fine-tune builds against the fake OpenAI server: data, upload, job, events, activation, and failures."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from erpai.ai_models.models import AIModel
from erpai.compilations.models import CompilationAsset
from erpai.config import get_settings
from erpai.users.models import User
from tests.answering.helpers import TEST_KEY, openai_provider
from tests.compilations.factories import HR_QAS, admin_with_token, local_provider, model_with_qas
from tests.conftest import wait_for_jobs
from tests.fakes.openai_server import FakeOpenAI

MORE_QAS = [
    ("When is payday?", "Salaries are paid on the last working day of the month."),
    ("On which day do we get our salary?", "Salaries are paid on the last working day of the month."),
    ("Can I work from home?", "You may work from home up to two days a week."),
    ("How many remote days are allowed?", "You may work from home up to two days a week."),
]


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOpenAI]:
    monkeypatch.setattr(get_settings(), "fine_tune_poll_seconds", 0.01)
    with FakeOpenAI(api_key=TEST_KEY) as server:
        yield server


def _compile(client: TestClient, headers: dict[str, str], model_id: int, kind: str) -> dict[str, Any]:
    started = client.post(f"/api/v1/models/{model_id}/compile", json={"kind": kind}, headers=headers)
    assert started.status_code == 202, started.text
    wait_for_jobs()
    body: dict[str, Any] = client.get(f"/api/v1/compilations/{started.json()['id']}", headers=headers).json()
    return body


def _model(session: Session, fake: FakeOpenAI, *, qas: list[tuple[str, str]] = HR_QAS + MORE_QAS) -> AIModel:
    user, _ = admin_with_token(session)
    return model_with_qas(
        session, name="HR Team", user=user, provider=openai_provider(session, fake), qas=qas
    )


def _headers(session: Session) -> dict[str, str]:
    assert session.scalar(select(User.login)) == "boss"
    return {"Authorization": "Bearer tok-boss"}


def _active(session: Session, model_id: int) -> int | None:
    session.rollback()  # end any read snapshot
    session.expire_all()
    return session.get(AIModel, model_id).conversational_compilation_id  # type: ignore[union-attr]


def test_fine_tune_end_to_end(live_client: TestClient, live_session: Session, fake: FakeOpenAI) -> None:
    model = _model(live_session, fake)
    headers = _headers(live_session)
    build = _compile(live_client, headers, model.id, "fine_tune")
    assert build["is_successful"] is True, build["error_message"]
    assert build["kind"] == "fine_tune" and build["compiled_model_name"].startswith("ft:gpt-4o-mini:")
    (upload,) = fake.files.values()
    lines = [json.loads(line) for line in upload["content"].decode().splitlines()]
    assert upload["purpose"] == "fine-tune" and len(lines) == 12
    assert lines[0]["messages"][0] == {"role": "system", "content": "You are the HR Team assistant."}
    (job,) = fake.jobs.values()
    assert job.suffix == "hr-team" and job.model == "gpt-4o-mini" and job.status == "succeeded"
    log = build["build_log"]
    for expected in ("Validation:", "data check passed", "estimated cost", "Created fine-tuning job: ftjob-"):
        assert expected in log, log
    assert "status: succeeded" in log and log.rstrip().endswith(
        "Activation: activated: this build now answers for the model"
    )
    assets = {
        a["asset_key"]: a["value"]
        for a in live_client.get(f"/api/v1/compilations/{build['id']}/assets", headers=headers).json()
    }
    assert assets["fine_tune_job_id"] == job.id and assets["fine_tune_file_id"] in fake.files
    assert assets["fine_tuned_model"] == build["compiled_model_name"]
    assert _active(live_session, model.id) == build["id"]

    fake.chat_reply = "Answer from the fine-tuned model."
    asked = live_client.post(
        f"/api/v1/models/{model.id}/ask",
        json={"question": "What is the capital of Mongolia?"},
        headers=headers,
    ).json()
    assert asked["generated"] is True and asked["chat_model"] == build["compiled_model_name"]
    assert fake.requests_to("POST", "/v1/chat/completions")[0].body["model"] == build["compiled_model_name"]
    assert TEST_KEY not in log


FAILURES: dict[str, tuple[str, dict[str, Any], str]] = {
    "model_not_available": (
        "POST /v1/fine_tuning/jobs",
        {"status": 400, "code": "model_not_available", "message": f"model not available to {TEST_KEY}"},
        "the model is not available to this account",
    ),
    "permission": (
        "POST /v1/files",
        {"status": 403, "message": f"fine-tuning is closed to this organization ({TEST_KEY})"},
        "it may be closed to the account",
    ),
}


@pytest.mark.parametrize("case", [*FAILURES, "job_failed"])
def test_a_failing_fine_tune_keeps_the_last_good_build(
    case: str, live_client: TestClient, live_session: Session, fake: FakeOpenAI
) -> None:
    model = _model(live_session, fake)
    headers = _headers(live_session)
    good = _compile(live_client, headers, model.id, "retrieval")
    if case == "job_failed":
        fake.job_outcome, expected = "failed", "ended failed: the training file failed validation"
    else:
        route, failure, expected = FAILURES[case]
        fake.fail(route, **failure)
    bad = _compile(live_client, headers, model.id, "fine_tune")
    assert bad["is_successful"] is False and expected in bad["error_message"]
    assert bad["compiled_model_name"] is None and _active(live_session, model.id) == good["id"]
    assert TEST_KEY not in bad["error_message"] + bad["build_log"]


def test_too_few_examples_fail_before_anything_is_uploaded(
    live_client: TestClient, live_session: Session, fake: FakeOpenAI
) -> None:
    model = _model(live_session, fake, qas=HR_QAS)
    bad = _compile(live_client, _headers(live_session), model.id, "fine_tune")
    assert bad["is_successful"] is False
    assert "fewer than 10 examples (8)" in bad["error_message"] and "data check FAILED" in bad["build_log"]
    assert fake.requests_to("POST", "/v1/files") == []


def test_fine_tune_on_a_provider_without_it_is_422(live_client: TestClient, live_session: Session) -> None:
    user, headers = admin_with_token(live_session)
    model = model_with_qas(live_session, name="HR", user=user, provider=local_provider(live_session))
    response = live_client.post(
        f"/api/v1/models/{model.id}/compile", json={"kind": "fine_tune"}, headers=headers
    )
    assert response.status_code == 422 and "'fine_tune' capability" in response.json()["detail"]


def _wait_for_asset(session: Session, key: str) -> str:
    for _ in range(500):
        session.rollback()
        value = session.scalar(select(CompilationAsset.value).where(CompilationAsset.asset_key == key))
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"no {key} asset appeared")


def test_cancel_stops_the_provider_job_and_keeps_the_last_good_build(
    live_client: TestClient, live_session: Session, fake: FakeOpenAI
) -> None:
    model = _model(live_session, fake)
    headers = _headers(live_session)
    good = _compile(live_client, headers, model.id, "retrieval")
    fake.job_steps = ["validating_files", "running", "running"]  # "running" forever, until cancelled
    started = live_client.post(
        f"/api/v1/models/{model.id}/compile", json={"kind": "fine_tune"}, headers=headers
    )
    job_id = _wait_for_asset(live_session, "fine_tune_job_id")
    cancelled = live_client.post(f"/api/v1/compilations/{started.json()['id']}/cancel", headers=headers)
    assert cancelled.status_code == 200, cancelled.text
    wait_for_jobs()
    build = live_client.get(f"/api/v1/compilations/{started.json()['id']}", headers=headers).json()
    assert build["is_successful"] is False and build["error_message"] == "cancelled by boss"
    assert f"provider job {job_id} cancelled" in build["build_log"]
    assert fake.jobs[job_id].status == "cancelled" and _active(live_session, model.id) == good["id"]
    again = live_client.post(f"/api/v1/compilations/{started.json()['id']}/cancel", headers=headers)
    assert again.status_code == 409
