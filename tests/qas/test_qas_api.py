from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from erpai.ai_models.models import AIModel
from erpai.audit.models import AuditEntry
from erpai.db import utcnow
from erpai.qas.models import ModelQA
from erpai.users.models import User
from tests.conftest import make_user
from tests.qas.conftest import add_model

Login = tuple[User, dict[str, str]]


def _add(client: TestClient, headers: dict[str, str], model_id: int, **values: Any) -> Any:
    response = client.post(
        "/api/v1/qas", json={"model_id": model_id, "question": "Q?", **values}, headers=headers
    )
    assert response.status_code == 201, response.text
    return response.json()


def test_create_stamps_adder_and_time_and_applies_defaults(
    client: TestClient, db: Session, member: Login, model: AIModel
) -> None:
    before = utcnow()
    qa = _add(client, member[1], model.id, question="  How do I return goods?  ", answer="Within 30 days.")
    assert qa["added_by_user_id"] == member[0].id
    assert qa["question"] == "How do I return goods?"
    assert (qa["section"], qa["qa_type"], qa["is_active"]) == ("General", "training", True)
    assert qa["deactivation_time_utc"] is None
    row = db.get(ModelQA, qa["id"])
    assert row is not None and row.qa_type == "T"
    assert before - timedelta(seconds=1) <= row.creation_time_utc <= utcnow()
    assert db.scalar(
        select(AuditEntry).where(AuditEntry.entity == "model_qa", AuditEntry.entity_id == qa["id"])
    )


def test_stamps_are_read_only(client: TestClient, member: Login, model: AIModel) -> None:
    for field, value in (("added_by_user_id", 1), ("creation_time_utc", "2020-01-01T00:00:00")):
        body = {"model_id": model.id, "question": "Q?", field: value}
        response = client.post("/api/v1/qas", json=body, headers=member[1])
        assert response.status_code == 422 and response.json()["field"] == field
    qa = _add(client, member[1], model.id)
    patch = client.patch(f"/api/v1/qas/{qa['id']}", json={"added_by_user_id": 1}, headers=member[1])
    assert patch.status_code == 422


def test_empty_answer_means_do_not_answer_and_validation_type(
    client: TestClient, member: Login, model: AIModel
) -> None:
    qa = _add(
        client, member[1], model.id, question="What is the CEO's salary?", answer="   ", qa_type="validation"
    )
    assert qa["answer"] == "" and qa["qa_type"] == "validation"


def test_bad_input_is_422_naming_the_field(client: TestClient, member: Login, model: AIModel) -> None:
    cases = [
        ({"question": "   "}, "question"),
        ({"section": "x" * 129}, "section"),
        ({"qa_type": "T"}, "qa_type"),
        ({"is_active": "maybe"}, "is_active"),
    ]
    for values, field in cases:
        body = {"model_id": model.id, "question": "Q?", **values}
        response = client.post("/api/v1/qas", json=body, headers=member[1])
        assert response.status_code == 422, values
        assert response.json()["field"] == field
        assert field in response.json()["detail"]


def test_unknown_model_is_404_naming_model_id(client: TestClient, member: Login) -> None:
    response = client.post("/api/v1/qas", json={"model_id": 999_999, "question": "Q?"}, headers=member[1])
    assert response.status_code == 404 and response.json()["field"] == "model_id"


def test_unauthenticated_is_401(client: TestClient, model: AIModel) -> None:
    assert client.get("/api/v1/qas").status_code == 401
    assert client.post("/api/v1/qas", json={"model_id": model.id, "question": "Q?"}).status_code == 401


def test_only_trainers_or_admins_may_update_or_delete(
    client: TestClient, db: Session, admin: Login, member: Login, model: AIModel
) -> None:
    _, other = make_user(db, "otto")
    qa = _add(client, member[1], model.id)
    url = f"/api/v1/qas/{qa['id']}"
    forbidden = client.patch(url, json={"answer": "no"}, headers=other)
    assert forbidden.status_code == 403
    assert client.delete(url, headers=other).status_code == 403
    assert client.patch(url, json={"answer": "by owner"}, headers=member[1]).json()["answer"] == "by owner"
    assert client.patch(url, json={"section": "Returns"}, headers=admin[1]).json()["section"] == "Returns"
    assert client.delete(url, headers=admin[1]).status_code == 204
    assert client.get(url, headers=member[1]).status_code == 404
    assert client.patch(url, json={"answer": "x"}, headers=admin[1]).status_code == 404


def test_deactivation_stamps_and_reactivation_clears(
    client: TestClient, member: Login, model: AIModel
) -> None:
    qa = _add(client, member[1], model.id)
    url = f"/api/v1/qas/{qa['id']}"
    off = client.patch(url, json={"is_active": False}, headers=member[1]).json()
    assert off["is_active"] is False and off["deactivation_time_utc"] is not None
    again = client.patch(url, json={"is_active": False, "notes": "still off"}, headers=member[1]).json()
    assert again["deactivation_time_utc"] == off["deactivation_time_utc"]
    on = client.patch(url, json={"is_active": True}, headers=member[1]).json()
    assert on["is_active"] is True and on["deactivation_time_utc"] is None
    created_off = _add(client, member[1], model.id, is_active=False)
    assert created_off["deactivation_time_utc"] is not None


def test_patch_refuses_null_and_blank_question(client: TestClient, member: Login, model: AIModel) -> None:
    qa = _add(client, member[1], model.id)
    url = f"/api/v1/qas/{qa['id']}"
    for body in ({"question": None}, {"question": " "}, {"is_active": None}):
        response = client.patch(url, json=body, headers=member[1])
        assert response.status_code == 422 and response.json()["field"] == next(iter(body))
    assert client.patch(url, json={"section": "  "}, headers=member[1]).json()["section"] == "General"


def test_list_filters_and_paging(client: TestClient, db: Session, member: Login, model: AIModel) -> None:
    other_model = add_model(db, "Sales", trainers=(member[0],))
    _add(client, member[1], model.id, question="Refund policy?", answer="30 days", section="Returns")
    _add(
        client,
        member[1],
        model.id,
        question="Opening hours?",
        answer="9 to 5 (100% sure)",
        qa_type="validation",
    )
    _add(client, member[1], model.id, question="Old rule?", answer="gone", is_active=False)
    _add(client, member[1], other_model.id, question="Refund for sales?")

    def questions(**params: Any) -> list[str]:
        response = client.get("/api/v1/qas", params=params, headers=member[1])
        assert response.status_code == 200, response.text
        return [item["question"] for item in response.json()["items"]]

    assert len(questions(model_id=model.id)) == 3
    assert questions(model_id=model.id, qa_type="validation") == ["Opening hours?"]
    assert questions(model_id=model.id, is_active=False) == ["Old rule?"]
    assert questions(section="Returns") == ["Refund policy?"]
    assert questions(q="REFUND") == ["Refund policy?", "Refund for sales?"]
    assert questions(q="30 DAYS") == ["Refund policy?"]
    assert questions(q="100%") == ["Opening hours?"]  # LIKE wildcards are matched literally
    page = client.get(
        "/api/v1/qas", params={"model_id": model.id, "limit": 2, "offset": 2}, headers=member[1]
    ).json()
    assert page["total"] == 3 and [i["question"] for i in page["items"]] == ["Old rule?"]
    assert client.get("/api/v1/qas", params={"qa_type": "X"}, headers=member[1]).status_code == 422
