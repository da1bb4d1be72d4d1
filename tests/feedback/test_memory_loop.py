"""Feedback that teaches: a question corrected in the review inbox is answered as corrected by the next build
(its memory), also where the small-company head would side with another answer; the quality gate lets that
build through and holds back a later one that forgets; a question corrected as out of scope is refused, the
newest teaching winning over an older Q&A. On both databases."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from erpai.qas.models import ModelQA
from tests.compilations.factories import HR_QAS, admin_with_token, local_provider, model_with_qas
from tests.conftest import wait_for_jobs

APPROVALS = "The CFO approves purchase orders above 10,000 EUR and paid leave beyond 25 days a year."
QAS = [*HR_QAS[:6], (HR_QAS[6][0], APPROVALS), (HR_QAS[7][0], APPROVALS)]
# worded like the paid-leave questions: the head (closest question + prototype) answers it with paid leave
QUESTION = "Who approves how many days of paid leave I get per year?"
WIFI = HR_QAS[4][0]


def _compile(client: TestClient, headers: dict[str, str], model_id: int) -> str:
    started = client.post(f"/api/v1/models/{model_id}/compile", headers=headers)
    assert started.status_code == 202, started.text
    wait_for_jobs()
    body = client.get(f"/api/v1/compilations/{started.json()['id']}", headers=headers).json()
    assert body["is_successful"] is True, body
    return str(body["build_log"])


def _ask(client: TestClient, headers: dict[str, str], model_id: int, question: str) -> dict[str, Any]:
    response = client.post(f"/api/v1/models/{model_id}/ask", headers=headers, json={"question": question})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _correct(client: TestClient, headers: dict[str, str], model_id: int, hit_id: int, **action: str) -> int:
    """Thumbs down, then resolve the inbox row: the training Q&A's id."""
    client.post(f"/api/v1/hits/{hit_id}/feedback", headers=headers, json={"rating": "down"})
    resolved = client.post(
        f"/api/v1/models/{model_id}/inbox/resolve", headers=headers, json={"hit_id": hit_id, **action}
    )
    assert resolved.status_code == 200, resolved.text
    return int(resolved.json()["training_qa_id"])


def _history_tells_memory(
    client: TestClient, headers: dict[str, str], model_id: int, remembered: set[int], other: int
) -> None:
    """The hit history, the review inbox and the ask page's history say which answers came from memory
    (``remembered``: the hits answered or refused from memory; ``other``: one answered otherwise)."""
    hits = client.get(f"/api/v1/models/{model_id}/hits", headers=headers).json()["items"]
    assert {h["id"] for h in hits if h["from_memory"]} == remembered and len(hits) > len(remembered)
    for hit_id in {*remembered, other}:
        client.post(f"/api/v1/hits/{hit_id}/feedback", headers=headers, json={"rating": "down"})
    items = client.get(f"/api/v1/models/{model_id}/inbox", headers=headers).json()["items"]
    flagged = [i for i in items if i["latest_from_memory"]]
    assert {i["hit_ids"][0] for i in flagged} == remembered and len(items) > len(flagged)
    form = client.get("/sign-in")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert csrf is not None
    token = headers["Authorization"].split(" ", 1)[1]
    client.post("/sign-in", data={"token": token, "csrf_token": csrf.group(1), "next": "/"})
    page = client.get(f"/models/{model_id}/ask")
    assert page.status_code == 200 and page.text.count('<span class="tag">from memory</span>') == 2
    review = client.get(f"/models/{model_id}/review")
    assert review.status_code == 200 and review.text.count('<span class="tag">from memory</span>') == 2


def test_a_corrected_question_is_answered_as_corrected(
    live_client: TestClient, live_session: Session
) -> None:
    user, headers = admin_with_token(live_session)
    model = model_with_qas(live_session, name="HR", user=user, provider=local_provider(live_session), qas=QAS)
    model.quality_gate_margin = 1.0  # only the regression cases can hold a build back here
    live_session.commit()
    _compile(live_client, headers, model.id)
    asked = _ask(live_client, headers, model.id, QUESTION)
    assert asked["answer"] != APPROVALS and asked["from_memory"] is False
    wifi = _ask(live_client, headers, model.id, WIFI)
    assert wifi["answered"] is True

    learnt = _correct(live_client, headers, model.id, asked["hit_id"], answer=APPROVALS)
    _correct(live_client, headers, model.id, wifi["hit_id"], action="out_of_scope")
    log = _compile(live_client, headers, model.id)
    # without the memory the head answers both regression cases otherwise and the gate holds the build back
    assert "Activation: activated" in log, log
    again = _ask(live_client, headers, model.id, "  who approves how many days of paid leave I get per year ")
    assert (again["answer"], again["confidence"], again["from_memory"]) == (APPROVALS, 1.0, True)
    assert again["source_type"] == "qa" and again["source_id"] == learnt
    refused = _ask(live_client, headers, model.id, WIFI.upper())
    assert (refused["answered"], refused["reason"]) == (False, "taught_out_of_scope")
    assert refused["from_memory"] is True
    paraphrase = _ask(live_client, headers, model.id, "How many vacation days per year do I have?")
    plain = _ask(live_client, headers, model.id, HR_QAS[0][0])  # a Q&A, not a correction: the head answers
    assert paraphrase["from_memory"] is False and plain["from_memory"] is False
    assert plain["answer"] == HR_QAS[0][1]
    remembered = {again["hit_id"], refused["hit_id"]}
    _history_tells_memory(live_client, headers, model.id, remembered, paraphrase["hit_id"])

    # Someone deactivates the learnt Q&A: the next build forgets the correction and is held back.
    live_session.execute(update(ModelQA).where(ModelQA.id == learnt).values(is_active=False))
    live_session.commit()
    forgetful = _compile(live_client, headers, model.id)
    assert "forgets 1 corrected answer" in forgetful and QUESTION in forgetful, forgetful
