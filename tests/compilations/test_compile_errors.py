from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from erpai.ai_models.models import AIModel
from erpai.users.models import User
from tests.compilations.factories import model_with_qas


def _model(db: Session, user: User, *, provider: bool = True, qas: bool = True) -> AIModel:
    from erpai.providers.models import Provider

    row = Provider(name="Local", kind="local", base_model_name="local") if provider else None
    if row is not None:
        db.add(row)
        db.flush()
    return model_with_qas(
        db, name="HR", user=user, provider=row, qas=[] if not qas else [("q?", "a.")], validation=[]
    )


def test_compile_unknown_model_is_404(client: TestClient, admin: tuple[User, dict[str, str]]) -> None:
    response = client.post("/api/v1/models/999999/compile", headers=admin[1])
    assert response.status_code == 404 and response.json()["field"] == "model_id"


def test_compile_without_qas_is_422(
    client: TestClient, db: Session, admin: tuple[User, dict[str, str]]
) -> None:
    model = _model(db, admin[0], qas=False)
    response = client.post(f"/api/v1/models/{model.id}/compile", headers=admin[1])
    assert response.status_code == 422 and "nothing to learn" in response.json()["detail"]


def test_compile_without_provider_is_422(
    client: TestClient, db: Session, admin: tuple[User, dict[str, str]]
) -> None:
    model = _model(db, admin[0], provider=False)
    response = client.post(f"/api/v1/models/{model.id}/compile", headers=admin[1])
    assert response.status_code == 422 and response.json()["field"] == "provider_id"


def test_compile_needs_admin(client: TestClient, db: Session, member: tuple[User, dict[str, str]]) -> None:
    model = _model(db, member[0])
    assert client.post(f"/api/v1/models/{model.id}/compile", headers=member[1]).status_code == 403


def test_bad_build_kind_is_422(client: TestClient, db: Session, admin: tuple[User, dict[str, str]]) -> None:
    model = _model(db, admin[0])
    response = client.post(f"/api/v1/models/{model.id}/compile", json={"kind": "magic"}, headers=admin[1])
    assert response.status_code == 422 and response.json()["field"] == "kind"


def test_empty_question_is_422(client: TestClient, db: Session, admin: tuple[User, dict[str, str]]) -> None:
    model = _model(db, admin[0])
    for question in ("", "   "):
        response = client.post(
            f"/api/v1/models/{model.id}/ask", json={"question": question}, headers=admin[1]
        )
        assert response.status_code == 422 and response.json()["field"] == "question"


def test_ask_unknown_model_is_404(client: TestClient, admin: tuple[User, dict[str, str]]) -> None:
    response = client.post("/api/v1/models/424242/ask", json={"question": "hello?"}, headers=admin[1])
    assert response.status_code == 404


def test_ask_uncompiled_model_says_so(
    client: TestClient, db: Session, admin: tuple[User, dict[str, str]]
) -> None:
    model = _model(db, admin[0])
    model.fallback_answer = "Ask HR, please."
    db.commit()
    body = client.post(f"/api/v1/models/{model.id}/ask", json={"question": "q?"}, headers=admin[1]).json()
    assert body["answered"] is False and body["compilation_id"] is None
    assert body["reason"] == "no_build" and body["fallback_answer"] == "Ask HR, please."


def test_compilations_are_read_only(client: TestClient, admin: tuple[User, dict[str, str]]) -> None:
    for method in ("put", "patch", "delete"):
        response = getattr(client, method)("/api/v1/compilations/1", headers=admin[1])
        assert response.status_code == 405


def test_activating_unknown_or_failed_build_is_rejected(
    client: TestClient, db: Session, admin: tuple[User, dict[str, str]]
) -> None:
    from erpai.compilations.models import Compilation

    assert client.post("/api/v1/compilations/777777/activate", headers=admin[1]).status_code == 404
    model = _model(db, admin[0])
    failed = Compilation(model_id=model.id, user_id=admin[0].id, status="C", is_successful=False)
    db.add(failed)
    db.commit()
    assert client.post(f"/api/v1/compilations/{failed.id}/activate", headers=admin[1]).status_code == 409
