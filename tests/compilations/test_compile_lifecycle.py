from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from erpai.ai_models.models import AIModel
from erpai.compilations.models import Compilation, ModelHit
from erpai.notifications.models import Notification
from erpai.providers.models import Provider
from erpai.qas.models import ModelQA
from tests.compilations.factories import admin_with_token, local_provider, model_with_qas
from tests.conftest import wait_for_jobs


def _compile(client: TestClient, headers: dict[str, str], model_id: int) -> dict[str, object]:
    started = client.post(f"/api/v1/models/{model_id}/compile", headers=headers)
    assert started.status_code == 202, started.text
    assert started.json()["status"] == "N"
    wait_for_jobs()
    body: dict[str, object] = client.get(
        f"/api/v1/compilations/{started.json()['id']}", headers=headers
    ).json()
    return body


def test_compile_then_ask_answers_paraphrase_and_rejects_unknown(
    live_client: TestClient, live_session: Session
) -> None:
    user, headers = admin_with_token(live_session)
    model = model_with_qas(live_session, name="HR", user=user, provider=local_provider(live_session))
    build = _compile(live_client, headers, model.id)
    assert build["status"] == "C" and build["is_successful"] is True, build["error_message"]
    log = str(build["build_log"])
    assert "Validation:" in log and "in-scope accuracy" in log and "Activation: activated" in log
    keys = {
        a["asset_key"]
        for a in live_client.get(f"/api/v1/compilations/{build['id']}/assets", headers=headers).json()
    }
    assert {"embedder", "threshold", "metrics", "artifact_sha256"} <= keys

    answer = live_client.post(
        f"/api/v1/models/{model.id}/ask",
        json={"question": "how many paid vacation days do I get each year"},
        headers=headers,
    ).json()
    assert answer["answered"] is True
    assert answer["answer"] == "You get 25 working days of paid leave a year."
    assert answer["source_type"] == "qa" and answer["compilation_id"] == build["id"]

    unknown = live_client.post(
        f"/api/v1/models/{model.id}/ask",
        json={"question": "What is the capital of Mongolia?"},
        headers=headers,
    ).json()
    assert unknown["answered"] is False and unknown["answer"] is None
    assert unknown["reason"] == "below_threshold" and unknown["fallback_answer"] == "I don't know."
    assert answer["reason"] is None and answer["fallback_answer"] is None
    strict = live_client.patch(
        f"/api/v1/models/{model.id}", json={"operating_point": "0.99999"}, headers=headers
    )
    assert strict.status_code == 200, strict.text
    refused = live_client.post(
        f"/api/v1/models/{model.id}/ask",
        json={"question": "how many paid vacation days do I get each year"},
        headers=headers,
    ).json()
    assert refused["answered"] is False and refused["reason"] == "below_threshold"
    assert refused["confidence"] == pytest.approx(answer["confidence"])
    hits = live_client.get(f"/api/v1/models/{model.id}/hits", headers=headers).json()
    assert hits["total"] == 3 and {h["answered"] for h in hits["items"]} == {True, False}


def test_completion_notifies_the_user_who_started_it(live_client: TestClient, live_session: Session) -> None:
    user, headers = admin_with_token(live_session)
    model = model_with_qas(live_session, name="HR", user=user, provider=local_provider(live_session))
    _compile(live_client, headers, model.id)
    notes = list(live_session.scalars(select(Notification).where(Notification.user_id == user.id)))
    assert len(notes) == 1 and "completed successfully" in notes[0].message and "'HR'" in notes[0].message


def test_failed_compile_keeps_the_last_good_build(live_client: TestClient, live_session: Session) -> None:
    user, headers = admin_with_token(live_session)
    model = model_with_qas(live_session, name="HR", user=user, provider=local_provider(live_session))
    good = _compile(live_client, headers, model.id)
    # Break the next build inside the worker: the provider now names an embedder that does not exist.
    live_session.execute(update(Provider).values(config_json='{"embedder": "no-such-embedder"}'))
    live_session.commit()
    bad = _compile(live_client, headers, model.id)
    assert bad["status"] == "C" and bad["is_successful"] is False
    assert "no-such-embedder" in str(bad["error_message"])
    live_session.rollback()  # end any read snapshot
    live_session.expire_all()
    assert live_session.get(AIModel, model.id).conversational_compilation_id == good["id"]  # type: ignore[union-attr]
    answer = live_client.post(
        f"/api/v1/models/{model.id}/ask",
        json={"question": "where do I submit expense reports"},
        headers=headers,
    ).json()
    assert answer["compilation_id"] == good["id"] and answer["answered"] is True
    failed_note = live_session.scalars(
        select(Notification).where(Notification.data_object_id == bad["id"])
    ).one()
    assert "failed" in failed_note.message and failed_note.title == "Compilation failed"


def test_second_compile_while_one_runs_is_409(live_client: TestClient, live_session: Session) -> None:
    user, headers = admin_with_token(live_session)
    model = model_with_qas(live_session, name="HR", user=user, provider=local_provider(live_session))
    live_session.add(Compilation(model_id=model.id, user_id=user.id, status="R"))
    live_session.commit()
    response = live_client.post(f"/api/v1/models/{model.id}/compile", headers=headers)
    assert response.status_code == 409 and "already being compiled" in response.json()["detail"]


def test_hierarchy_parent_consumes_children(live_client: TestClient, live_session: Session) -> None:
    user, headers = admin_with_token(live_session)
    provider = local_provider(live_session)
    master = model_with_qas(
        live_session,
        name="Master",
        user=user,
        provider=provider,
        qas=[("What are the office opening hours?", "We are open 8:00-17:00 on weekdays.")],
        validation=[],
    )
    model_with_qas(live_session, name="Sales", user=user, provider=provider, parent=master, validation=[])
    build = _compile(live_client, headers, master.id)
    assert "9 training examples" in str(build["build_log"])
    answer = live_client.post(
        f"/api/v1/models/{master.id}/ask",
        json={"question": "Where should I submit expense reports?"},
        headers=headers,
    ).json()
    assert answer["answer"] == "Submit expense reports in the Finance portal under Expenses."


def test_quality_gate_blocks_a_worse_build_until_activated(
    live_client: TestClient, live_session: Session
) -> None:
    user, headers = admin_with_token(live_session)
    model = model_with_qas(live_session, name="HR", user=user, provider=local_provider(live_session))
    good = _compile(live_client, headers, model.id)
    # Drop the expense answers: the validation question about expenses now fails.
    live_session.execute(
        update(ModelQA)
        .where(ModelQA.answer.like("Submit expense%"), ModelQA.qa_type == "T")
        .values(is_active=False)
    )
    live_session.commit()
    worse = _compile(live_client, headers, model.id)
    assert worse["is_successful"] is True and "quality gate" in str(worse["build_log"])
    live_session.rollback()  # end any read snapshot
    live_session.expire_all()
    assert live_session.get(AIModel, model.id).conversational_compilation_id == good["id"]  # type: ignore[union-attr]
    activated = live_client.post(f"/api/v1/compilations/{worse['id']}/activate", headers=headers)
    assert activated.status_code == 200
    rolled_back = live_client.post(f"/api/v1/compilations/{good['id']}/activate", headers=headers)
    assert rolled_back.status_code == 200
    live_session.rollback()  # end any read snapshot
    live_session.expire_all()
    assert live_session.get(AIModel, model.id).conversational_compilation_id == good["id"]  # type: ignore[union-attr]


def test_quality_gate_rescores_the_active_build_on_the_current_validation_set(
    live_client: TestClient, live_session: Session
) -> None:
    user, headers = admin_with_token(live_session)
    model = model_with_qas(live_session, name="HR", user=user, provider=local_provider(live_session))
    first = _compile(live_client, headers, model.id)
    # Validation questions no build can answer right (their answer is not taught): every build's score
    # drops, so only comparing on the same set lets an equally good build through.
    for n in range(6):
        live_session.add(
            ModelQA(
                model_id=model.id,
                question=f"What is the code of locker {n}?",
                answer=f"Locker {n} has code {n}{n}{n}.",
                qa_type="V",
                added_by_user_id=user.id,
            )
        )
    live_session.commit()
    second = _compile(live_client, headers, model.id)
    assert second["validation_score"] < first["validation_score"] - 0.02  # type: ignore[operator]
    assert "Activation: activated" in str(second["build_log"]), second["build_log"]
    live_session.rollback()
    live_session.expire_all()
    assert live_session.get(AIModel, model.id).conversational_compilation_id == second["id"]  # type: ignore[union-attr]


def test_auto_update_off_leaves_activation_to_an_admin(
    live_client: TestClient, live_session: Session
) -> None:
    user, headers = admin_with_token(live_session)
    model = model_with_qas(live_session, name="HR", user=user, provider=local_provider(live_session))
    live_session.execute(update(AIModel).values(auto_update_to_latest_build=False))
    live_session.commit()
    build = _compile(live_client, headers, model.id)
    assert "AutoUpdateToLatestBuild is off" in str(build["build_log"])
    before = live_client.post(
        f"/api/v1/models/{model.id}/ask", json={"question": "vacation days?"}, headers=headers
    )
    assert before.json()["compilation_id"] is None
    live_client.post(f"/api/v1/compilations/{build['id']}/activate", headers=headers)
    after = live_client.post(
        f"/api/v1/models/{model.id}/ask", json={"question": "vacation days?"}, headers=headers
    )
    assert after.json()["compilation_id"] == build["id"]


def test_hit_history_records_questions(live_client: TestClient, live_session: Session) -> None:
    user, headers = admin_with_token(live_session)
    model = model_with_qas(live_session, name="HR", user=user, provider=local_provider(live_session))
    _compile(live_client, headers, model.id)
    live_client.post(f"/api/v1/models/{model.id}/ask", json={"question": "wifi password?"}, headers=headers)
    hit = live_session.scalars(select(ModelHit)).one()
    assert hit.question == "wifi password?" and hit.user_id == user.id and hit.channel == "api"
