"""Thumbs up / down on answers and the review inbox, through the API, on both databases."""

from __future__ import annotations

import csv
import io
from contextlib import nullcontext

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from erpai.ai_models.models import AIModel
from erpai.compilations.models import ModelHit
from erpai.db import stream_sessions
from erpai.feedback.inbox import normalise
from erpai.qas.models import ModelQA
from erpai.users.models import User
from tests.conftest import grant_right, make_user

Headers = dict[str, str]


def _model(db: Session, name: str = "Support") -> AIModel:
    model = AIModel(name=name, build_assistant=False)
    db.add(model)
    db.commit()
    return model


def _hit(
    db: Session,
    model: AIModel,
    question: str,
    *,
    user: User | None = None,
    answered: bool = False,
    score: float = 0.0,
    answer: str | None = None,
) -> ModelHit:
    hit = ModelHit(
        model_id=model.id,
        user_id=user.id if user else None,
        question=question,
        answered=answered,
        score=score,
        answer=answer,
        channel="api",
    )
    db.add(hit)
    db.commit()
    return hit


def _feedback(client: TestClient, hit: ModelHit, headers: Headers, **body: object) -> object:
    return client.post(f"/api/v1/hits/{hit.id}/feedback", headers=headers, json=body)


def test_the_asker_and_trainers_rate_an_answer_others_may_not(
    client: TestClient, db: Session, admin: tuple[User, Headers], member: tuple[User, Headers]
) -> None:
    model = _model(db)
    jane, jane_headers = member
    trainer, trainer_headers = make_user(db, "trainer")
    grant_right(db, model_id=model.id, user=trainer)
    _, other_headers = make_user(db, "other")
    hit = _hit(db, model, "Do you ship abroad?", user=jane, answered=True, score=0.9, answer="No.")

    given = client.post(
        f"/api/v1/hits/{hit.id}/feedback",
        headers=jane_headers,
        json={"rating": "down", "reason": "We ship to the EU."},
    )
    assert given.status_code == 200, given.text
    body = given.json()
    assert (body["feedback"], body["feedback_reason"], body["feedback_user_id"]) == (
        "down",
        "We ship to the EU.",
        jane.id,
    )
    assert body["feedback_time_utc"].endswith("Z") or "+00:00" in body["feedback_time_utc"]
    refused = client.post(f"/api/v1/hits/{hit.id}/feedback", headers=other_headers, json={"rating": "up"})
    assert refused.status_code == 403
    by_trainer = client.post(
        f"/api/v1/hits/{hit.id}/feedback", headers=trainer_headers, json={"rating": "up"}
    )
    assert by_trainer.status_code == 200 and by_trainer.json()["feedback_reason"] is None
    db.expire_all()
    stored = db.get(ModelHit, hit.id)
    assert stored is not None and (stored.feedback, stored.feedback_user_id) == ("up", trainer.id)


def test_bad_feedback_is_refused_naming_the_field(
    client: TestClient, db: Session, admin: tuple[User, Headers]
) -> None:
    _, headers = admin
    hit = _hit(db, _model(db), "Parking?")
    assert (
        client.post(f"/api/v1/hits/{hit.id}/feedback", headers=headers, json={"rating": "meh"}).status_code
        == 422
    )
    long = client.post(
        f"/api/v1/hits/{hit.id}/feedback", headers=headers, json={"rating": "down", "reason": "x" * 2_001}
    )
    assert long.status_code == 422 and "reason" in long.text
    missing = client.post("/api/v1/hits/999999/feedback", headers=headers, json={"rating": "up"})
    assert missing.status_code == 404 and "hit_id" in missing.text
    db.expire_all()
    assert db.get(ModelHit, hit.id).feedback is None  # type: ignore[union-attr]


def test_hit_history_and_export_show_and_filter_feedback(
    client: TestClient, db: Session, admin: tuple[User, Headers]
) -> None:
    user, headers = admin
    model = _model(db)
    good = _hit(db, model, "Opening hours?", user=user, answered=True, score=0.9, answer="9 to 5.")
    bad = _hit(db, model, "Parking?", user=user, answered=True, score=0.8, answer="None.")
    _hit(db, model, "Unrated?", user=user)
    _feedback(client, good, headers, rating="up")
    _feedback(client, bad, headers, rating="down", reason="Level -1 has parking.")
    downs = client.get(f"/api/v1/models/{model.id}/hits", headers=headers, params={"feedback": "down"}).json()
    assert [(h["id"], h["feedback_reason"]) for h in downs["items"]] == [(bad.id, "Level -1 has parking.")]
    # the export streams in short sessions of its own: here, the test's (uncommitted-safe) session
    client.app.dependency_overrides[stream_sessions] = lambda: lambda: nullcontext(db)  # type: ignore[attr-defined]
    exported = client.get("/api/v1/hits/export", headers=headers, params={"model_id": model.id})
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert {r["question"]: r["feedback"] for r in rows} == {
        "Opening hours?": "up",
        "Parking?": "down",
        "Unrated?": "",
    }
    only_up = client.get(
        "/api/v1/hits/export", headers=headers, params={"model_id": model.id, "feedback": "up"}
    )
    assert [r["question"] for r in csv.DictReader(io.StringIO(only_up.text))] == ["Opening hours?"]


def test_normalised_text_groups_case_spacing_and_punctuation() -> None:
    assert normalise("  Where can I PARK?? ") == normalise("where can i park") == "where can i park"
    assert normalise("Where can I park?") != normalise("Where can I eat?")


def test_inbox_groups_similar_questions_most_frequent_first(
    client: TestClient, db: Session, admin: tuple[User, Headers], member: tuple[User, Headers]
) -> None:
    user, headers = admin
    _, jane_headers = member
    model, other = _model(db), _model(db, "Other")
    for wording in ("Where can I park?", "where can i park", "Where can I PARK ?"):
        _hit(db, model, wording)  # refused, three times
    _hit(db, model, "Is there a canteen?", answered=True, score=0.3, answer="Maybe.")  # low confidence
    rated = _hit(db, model, "Opening hours?", user=user, answered=True, score=0.95, answer="24/7.")
    _hit(db, model, "Fine question?", answered=True, score=0.95, answer="Fine.")  # not for review
    _hit(db, other, "Where can I park?")  # another model's
    _feedback(client, rated, headers, rating="down", reason="We close at 5.")

    page = client.get(f"/api/v1/models/{model.id}/inbox", headers=headers)
    assert page.status_code == 200, page.text
    items = page.json()["items"]
    assert [(i["count"], i["kinds"]) for i in items] == [
        (3, ["refused"]),
        (1, ["thumbs_down"]),
        (1, ["low_confidence"]),
    ]
    assert items[0]["question"] == "Where can I PARK ?" and len(items[0]["hit_ids"]) == 3
    assert items[1]["feedback_reasons"] == ["We close at 5."]
    assert client.get(f"/api/v1/models/{model.id}/inbox", headers=jane_headers).status_code == 403
    stricter = client.get(f"/api/v1/models/{model.id}/inbox", headers=headers, params={"below": 0.2}).json()
    assert [i["kinds"] for i in stricter["items"]] == [["refused"], ["thumbs_down"]]


def test_resolving_an_inbox_group_adds_a_qa_and_a_regression_case(
    client: TestClient, db: Session, admin: tuple[User, Headers]
) -> None:
    _, headers = admin
    model, other = _model(db), _model(db, "Other")
    hits = [_hit(db, model, w) for w in ("Where can I park?", "where can I park")]
    foreign = _hit(db, other, "Where can I park?")
    url = f"/api/v1/models/{model.id}/inbox/resolve"
    no_answer = client.post(url, headers=headers, json={"hit_id": hits[0].id})
    assert no_answer.status_code == 422 and "answer" in no_answer.text
    wrong_model = client.post(url, headers=headers, json={"hit_id": foreign.id, "answer": "Level -1."})
    assert wrong_model.status_code == 422 and "hit_id" in wrong_model.text
    assert db.scalars(select(ModelQA).where(ModelQA.model_id == model.id)).all() == []

    done = client.post(url, headers=headers, json={"hit_id": hits[1].id, "answer": "On level -1."})
    assert done.status_code == 200, done.text
    result = done.json()
    assert result["resolved_hits"] == 2
    db.expire_all()
    training, regression = (
        db.get(ModelQA, result["training_qa_id"]),
        db.get(ModelQA, result["regression_qa_id"]),
    )
    assert training is not None and regression is not None
    assert (training.qa_type, training.is_regression, training.answer) == ("T", False, "On level -1.")
    assert (regression.qa_type, regression.is_regression, regression.question) == (
        "V",
        True,
        "where can I park",
    )
    assert client.get(f"/api/v1/models/{model.id}/inbox", headers=headers).json()["items"] == []
    assert client.get(f"/api/v1/models/{other.id}/inbox", headers=headers).json()["total"] == 1

    _hit(db, model, "Can I smoke inside?")
    smoke = client.get(f"/api/v1/models/{model.id}/inbox", headers=headers).json()["items"][0]
    oos = client.post(
        url, headers=headers, json={"hit_id": smoke["hit_ids"][0], "action": "out_of_scope"}
    ).json()
    db.expire_all()
    assert db.get(ModelQA, oos["training_qa_id"]).answer == ""  # type: ignore[union-attr]
    _hit(db, model, "Tell me a joke")
    joke = client.get(f"/api/v1/models/{model.id}/inbox", headers=headers).json()["items"][0]
    dismissed = client.post(
        url, headers=headers, json={"hit_id": joke["hit_ids"][0], "action": "dismiss"}
    ).json()
    assert dismissed == {"resolved_hits": 1, "training_qa_id": None, "regression_qa_id": None}
    assert client.get(f"/api/v1/models/{model.id}/inbox", headers=headers).json()["total"] == 0
