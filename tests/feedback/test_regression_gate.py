"""A corrected answer from the review inbox is learnt by the next build, and a later build that forgets it
is held back by the quality gate (a regression case), on both databases."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from erpai.ai_models.models import AIModel
from erpai.qas.models import ModelQA
from tests.compilations.factories import admin_with_token, local_provider, model_with_qas
from tests.conftest import wait_for_jobs

QUESTION = "Can I bring my dog to the office?"
CORRECTION = "Dogs are welcome in the office on Fridays."


def _compile(client: TestClient, headers: dict[str, str], model_id: int) -> dict[str, object]:
    started = client.post(f"/api/v1/models/{model_id}/compile", headers=headers)
    assert started.status_code == 202, started.text
    wait_for_jobs()
    body: dict[str, object] = client.get(
        f"/api/v1/compilations/{started.json()['id']}", headers=headers
    ).json()
    return body


def _active(session: Session, model_id: int) -> int | None:
    session.rollback()  # end any read snapshot
    session.expire_all()
    model = session.get(AIModel, model_id)
    assert model is not None
    return model.conversational_compilation_id


def test_a_build_that_forgets_a_correction_is_held_back(
    live_client: TestClient, live_session: Session
) -> None:
    user, headers = admin_with_token(live_session)
    model = model_with_qas(live_session, name="HR", user=user, provider=local_provider(live_session))
    model.quality_gate_margin = 1.0  # the validation score alone never holds a build back here
    live_session.commit()
    first = _compile(live_client, headers, model.id)
    asked = live_client.post(f"/api/v1/models/{model.id}/ask", headers=headers, json={"question": QUESTION})
    assert asked.json()["answer"] != CORRECTION
    live_client.post(
        f"/api/v1/hits/{asked.json()['hit_id']}/feedback",
        headers=headers,
        json={"rating": "down", "reason": "Fridays are dog days."},
    )
    inbox = live_client.get(f"/api/v1/models/{model.id}/inbox", headers=headers).json()
    assert [i["question"] for i in inbox["items"]] == [QUESTION]
    resolved = live_client.post(
        f"/api/v1/models/{model.id}/inbox/resolve",
        headers=headers,
        json={"hit_id": inbox["items"][0]["hit_ids"][0], "answer": CORRECTION},
    ).json()

    learnt = _compile(live_client, headers, model.id)
    assert "Activation: activated" in str(learnt["build_log"]), learnt["build_log"]
    again = live_client.post(
        f"/api/v1/models/{model.id}/ask",
        headers=headers,
        json={"question": "Am I allowed to bring my dog to the office?"},
    ).json()
    assert again["answer"] == CORRECTION
    assert _active(live_session, model.id) == learnt["id"] != first["id"]

    # Someone deactivates the learnt Q&A: the next build no longer knows the corrected answer.
    live_session.execute(
        update(ModelQA).where(ModelQA.id == resolved["training_qa_id"]).values(is_active=False)
    )
    live_session.commit()
    forgetful = _compile(live_client, headers, model.id)
    log = str(forgetful["build_log"])
    assert forgetful["is_successful"] is True and "forgets 1 corrected answer" in log, log
    assert QUESTION in log
    assert _active(live_session, model.id) == learnt["id"]

    # Without the quality gate the same build goes live: it is the regression case that held it back.
    live_session.execute(update(AIModel).where(AIModel.id == model.id).values(quality_gate_enabled=False))
    live_session.commit()
    ungated = _compile(live_client, headers, model.id)
    assert "Activation: activated" in str(ungated["build_log"])
    assert _active(live_session, model.id) == ungated["id"]
