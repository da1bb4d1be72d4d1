"""The permission model through the API: the defects it fixes, the grants endpoints, build logs."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from erpai.audit.models import AuditEntry
from erpai.compilations.models import Compilation, CompilationAsset
from erpai.qas.models import ModelQA
from erpai.training.models import TrainingConversation
from erpai.users.models import User, UserType
from tests.chat.conftest import make_arbiter, make_group, post
from tests.conftest import grant_right, make_user
from tests.qas.conftest import add_model

Actor = tuple[User, dict[str, str]]
V1 = "/api/v1"


def test_a_plain_user_cannot_add_training_data_to_a_model_they_do_not_train(
    client: TestClient, db: Session, member: Actor
) -> None:
    """The defect: every signed-in user could add or import Q&As and conversations for any model."""
    model = add_model(db, "Support")
    added = client.post(f"{V1}/qas", json={"model_id": model.id, "question": "Q?"}, headers=member[1])
    assert added.status_code == 403 and added.json()["field"] == "model_id"
    imported = client.post(
        f"{V1}/models/{model.id}/qas/import?format=csv", content="question,answer\nQ,A\n", headers=member[1]
    )
    assert imported.status_code == 403
    conversation = {"model_id": model.id, "messages": [{"role": "user", "content": "Hi"}]}
    assert (
        client.post(f"{V1}/training-conversations", json=conversation, headers=member[1]).status_code == 403
    )
    assert client.get(f"{V1}/models/{model.id}/qas/export", headers=member[1]).status_code == 403
    assert db.scalar(select(func.count()).select_from(ModelQA)) == 0
    grant_right(db, model_id=model.id, user=member[0])
    again = client.post(f"{V1}/qas", json={"model_id": model.id, "question": "Q?"}, headers=member[1])
    assert again.status_code == 201


def test_a_train_ai_conversation_is_hidden_from_non_members(
    client: TestClient, db: Session, admin: Actor, member: Actor
) -> None:
    """The defect: anyone could read a Train-AI conversation quoting a group they are not in."""
    model = add_model(db, "Support", trainers=(member[0],))
    colleague, colleague_headers = make_user(db, "omar")
    _, outsider = make_user(db, "otto")
    group = make_group(client, member[1], name="Board", members=[colleague.id])
    comment = post(client, colleague_headers, group, "Our salary budget is confidential")
    body = {"comment_ids": [comment["id"]], "model_id": model.id}
    assert (
        client.post(f"{V1}/chat/groups/{group}/train", json=body, headers=colleague_headers).status_code
        == 403
    )
    trained = client.post(f"{V1}/chat/groups/{group}/train", json=body, headers=member[1])
    assert trained.status_code == 201, trained.text
    url = f"{V1}/training-conversations/{trained.json()['training_conversation_id']}"
    for path in (url, url + "/messages"):
        hidden = client.get(path, headers=outsider)
        assert hidden.status_code == 404 and "confidential" not in hidden.text
        assert client.get(path, headers=colleague_headers).status_code == 200  # a member of the group
    assert client.get(f"{V1}/training-conversations", headers=outsider).json()["total"] == 0
    assert client.get(f"{V1}/training-conversations", headers=colleague_headers).json()["total"] == 1
    assert client.patch(url, json={"notes": "x"}, headers=colleague_headers).status_code == 403
    assert client.get(url, headers=admin[1]).status_code == 200


def test_train_ai_needs_membership_even_for_a_trainer(client: TestClient, db: Session, member: Actor) -> None:
    model = add_model(db, "Support")
    trainer, trainer_headers = make_user(db, "trainer")
    grant_right(db, model_id=model.id, user=trainer)
    group = make_group(client, member[1])
    comment = post(client, member[1], group, "Hello")
    body = {"comment_ids": [comment["id"]], "model_id": model.id}
    assert (
        client.post(f"{V1}/chat/groups/{group}/train", json=body, headers=trainer_headers).status_code == 403
    )
    assert db.scalar(select(func.count()).select_from(TrainingConversation)) == 0


def test_build_log_and_assets_only_for_trainers(
    client: TestClient, db: Session, admin: Actor, member: Actor
) -> None:
    model = add_model(db, "Support")
    build = Compilation(model_id=model.id, user_id=admin[0].id, status="C", build_log="accuracy 0.9")
    build.assets = [CompilationAsset(asset_key="index", value="{}")]
    db.add(build)
    db.commit()
    url = f"{V1}/compilations/{build.id}"
    seen = client.get(url, headers=member[1]).json()
    assert seen["build_log"] is None and seen["status"] == "C"
    listed = client.get(f"{V1}/compilations", headers=member[1]).json()["items"]
    assert [c["build_log"] for c in listed] == [None]
    assert client.get(url + "/assets", headers=member[1]).status_code == 403
    assert client.get(f"{V1}/models/{model.id}/hits", headers=member[1]).status_code == 403
    grant_right(db, model_id=model.id, user=member[0])
    assert client.get(url, headers=member[1]).json()["build_log"] == "accuracy 0.9"
    assert client.get(url + "/assets", headers=member[1]).status_code == 200
    assert client.get(f"{V1}/models/{model.id}/hits", headers=member[1]).status_code == 200


def test_asking_and_picking_a_model_need_the_use_right(
    client: TestClient, db: Session, member: Actor
) -> None:
    model = add_model(db, "Support")
    assert (
        client.post(f"{V1}/models/{model.id}/ask", json={"question": "Hi?"}, headers=member[1]).status_code
        == 200
    )
    user, headers = make_user(db, "otto")
    grant_right(db, model_id=model.id, user=user, right="use")  # now the model is restricted
    denied = client.post(f"{V1}/models/{model.id}/ask", json={"question": "Hi?"}, headers=member[1])
    assert denied.status_code == 403 and denied.json()["field"] == "model_id"
    picked = client.post(f"{V1}/assistant/conversations", json={"model_id": model.id}, headers=member[1])
    assert picked.status_code == 403
    assert (
        client.post(f"{V1}/models/{model.id}/ask", json={"question": "Hi?"}, headers=headers).status_code
        == 200
    )
    assert (
        client.post(f"{V1}/assistant/conversations", json={"model_id": model.id}, headers=headers).status_code
        == 201
    )


def test_grants_endpoints(client: TestClient, db: Session, admin: Actor, member: Actor) -> None:
    model = add_model(db, "Support")
    url = f"{V1}/models/{model.id}/grants"
    body = {"user_id": member[0].id, "right": "train"}
    assert client.post(url, json=body, headers=member[1]).status_code == 403
    created = client.post(url, json=body, headers=admin[1])
    assert created.status_code == 201
    assert created.json()["user_login"] == "jane" and created.json()["granted_by_user_id"] == admin[0].id
    assert client.post(url, json=body, headers=admin[1]).status_code == 409
    assert client.post(url, json={**body, "right": "own"}, headers=admin[1]).status_code == 422
    assert client.post(url, json={**body, "user_id": 999_999}, headers=admin[1]).status_code == 404
    bot = User(login="bot", name="Bot", user_type=UserType.VIRTUAL.value)
    db.add(bot)
    db.commit()
    virtual = client.post(url, json={"user_id": bot.id, "right": "use"}, headers=admin[1])
    assert virtual.status_code == 422 and virtual.json()["field"] == "user_id"
    assert [g["right"] for g in client.get(url, headers=admin[1]).json()] == ["train"]
    assert client.get(url, headers=member[1]).status_code == 403
    other = add_model(db, "Other")
    grant_id = created.json()["id"]
    assert client.delete(f"{V1}/models/{other.id}/grants/{grant_id}", headers=admin[1]).status_code == 404
    assert client.delete(f"{url}/{grant_id}", headers=admin[1]).status_code == 204
    assert client.get(url, headers=admin[1]).json() == []
    actions = db.scalars(select(AuditEntry.action).where(AuditEntry.entity == "model")).all()
    assert actions == ["grant", "revoke"]


def test_adding_an_arbiter_to_a_group_needs_the_use_right(
    client: TestClient, db: Session, member: Actor
) -> None:
    """Otherwise a group would be a way around the use right: its members ask the arbiter by mentioning it."""
    arbiter = make_arbiter(db, "Payroll AI", "payroll-ai")
    user, headers = make_user(db, "otto")
    grant_right(db, model_id=arbiter.id, user=user, right="use")
    body = {"name": "Mine", "member_ids": [arbiter.virtual_user_id]}
    refused = client.post(f"{V1}/chat/groups", json=body, headers=member[1])
    assert refused.status_code == 403 and refused.json()["field"] == "member_ids"
    group = make_group(client, member[1], name="Mine")
    added = client.post(
        f"{V1}/chat/groups/{group}/members", json={"user_id": arbiter.virtual_user_id}, headers=member[1]
    )
    assert added.status_code == 403 and added.json()["field"] == "user_id"
    assert client.post(f"{V1}/chat/groups", json=body, headers=headers).status_code == 201
