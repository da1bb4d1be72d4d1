"""The rules of erpai.permissions.service, on both databases."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from erpai.ai_models.models import AIModel
from erpai.chat.models import ChatGroup, ChatMember
from erpai.common import PageParams
from erpai.errors import Conflict, Forbidden, InvalidInput, NotFound
from erpai.permissions import service
from erpai.permissions.models import ModelGrant
from erpai.qas import service as qas
from erpai.qas.schemas import QACreate, QAFilters
from erpai.training import service as training
from erpai.training.models import TrainingConversation
from erpai.users.models import User, UserType
from tests.conftest import make_user
from tests.qas.conftest import add_model

Actor = tuple[User, dict[str, str]]
ALL = PageParams(limit=500, offset=0)


def _rights(db: Session, user: User, model: AIModel) -> tuple[bool, bool]:
    return (
        service.can_use_model(db, user=user, model_id=model.id),
        service.can_train_model(db, user=user, model_id=model.id),
    )


def test_a_model_without_grants_is_usable_by_all_and_trainable_by_admins(
    db: Session, admin: Actor, member: Actor
) -> None:
    model = add_model(db, "Open")
    assert _rights(db, member[0], model) == (True, False)
    assert _rights(db, admin[0], model) == (True, True)
    with pytest.raises(Forbidden) as denied:
        service.require_train_model(db, user=member[0], model_id=model.id)
    assert denied.value.field == "model_id" and "Open" in denied.value.message
    with pytest.raises(NotFound):
        service.require_use_model(db, user=member[0], model_id=999_999)


def test_grants_restrict_use_and_train_implies_use(db: Session, admin: Actor, member: Actor) -> None:
    model = add_model(db, "Payroll")
    otto, _ = make_user(db, "otto")
    ann, _ = make_user(db, "ann")
    service.grant(db, model_id=model.id, user_id=otto.id, right="use", actor=admin[0])
    service.grant(db, model_id=model.id, user_id=ann.id, right="train", actor=admin[0])
    assert _rights(db, otto, model) == (True, False)
    assert _rights(db, ann, model) == (True, True)
    assert _rights(db, member[0], model) == (False, False)  # the model now has grants: others may not use it
    assert _rights(db, admin[0], model) == (True, True)
    grants = service.list_grants(db, model_id=model.id, actor=admin[0])
    assert [(g.user_login, g.right, g.granted_by_user_id) for g in grants] == [
        ("otto", "use", admin[0].id),
        ("ann", "train", admin[0].id),
    ]
    service.revoke(db, model_id=model.id, grant_id=grants[1].id, actor=admin[0])
    assert _rights(db, ann, model) == (False, False)


def test_only_admins_grant_and_only_to_people_once(db: Session, admin: Actor, member: Actor) -> None:
    model = add_model(db, "Payroll")
    with pytest.raises(Forbidden):
        service.grant(db, model_id=model.id, user_id=member[0].id, right="train", actor=member[0])
    bot = User(login="bot", name="Bot", user_type=UserType.VIRTUAL.value)
    db.add(bot)
    db.commit()
    with pytest.raises(InvalidInput) as virtual:
        service.grant(db, model_id=model.id, user_id=bot.id, right="use", actor=admin[0])
    assert virtual.value.field == "user_id"
    with pytest.raises(InvalidInput) as bad_right:
        service.grant(db, model_id=model.id, user_id=member[0].id, right="own", actor=admin[0])
    assert bad_right.value.field == "right"
    service.grant(db, model_id=model.id, user_id=member[0].id, right="use", actor=admin[0])
    with pytest.raises(Conflict):
        service.grant(db, model_id=model.id, user_id=member[0].id, right="use", actor=admin[0])
    other = add_model(db, "Other")
    grant_id = service.list_grants(db, model_id=model.id, actor=admin[0])[0].id
    with pytest.raises(NotFound):
        service.revoke(db, model_id=other.id, grant_id=grant_id, actor=admin[0])
    with pytest.raises(Forbidden):
        service.revoke(db, model_id=model.id, grant_id=grant_id, actor=member[0])


def test_deleting_a_model_deletes_its_grants(db: Session, admin: Actor, member: Actor) -> None:
    model = add_model(db, "Temp", trainers=(member[0],))
    db.delete(model)
    db.commit()
    assert db.scalars(select(ModelGrant)).all() == []


def test_qa_list_without_a_model_shows_only_trained_models(db: Session, admin: Actor, member: Actor) -> None:
    mine = add_model(db, "Mine", trainers=(member[0],))
    theirs = add_model(db, "Theirs")
    for model in (mine, theirs):
        qas.create_qa(db, data=QACreate(model_id=model.id, question=f"{model.name}?"), actor=admin[0])
    otto, _ = make_user(db, "otto")

    def listed(user: User) -> list[str]:
        return [q.question for q in qas.list_qas(db, params=ALL, filters=QAFilters(), actor=user)[0]]

    assert listed(member[0]) == ["Mine?"]
    assert listed(admin[0]) == ["Mine?", "Theirs?"]
    assert listed(otto) == []
    with pytest.raises(Forbidden):
        qas.list_qas(db, params=ALL, filters=QAFilters(model_id=theirs.id), actor=member[0])


def test_a_chat_made_conversation_is_readable_by_the_group_and_the_trainers(
    db: Session, admin: Actor, member: Actor
) -> None:
    model = add_model(db, "Support")
    trainer, _ = make_user(db, "trainer")
    service.grant(db, model_id=model.id, user_id=trainer.id, right="train", actor=admin[0])
    outsider, _ = make_user(db, "outsider")
    group = ChatGroup(name="Office")
    db.add(group)
    db.flush()
    db.add(ChatMember(group_id=group.id, user_id=member[0].id))
    chat = TrainingConversation(
        model_id=model.id, origin="CHT", origin_object_type="chat_group", origin_object_id=group.id
    )
    typed = TrainingConversation(model_id=model.id, origin="USR")
    db.add_all([chat, typed])
    db.commit()

    def listed(user: User) -> list[int]:
        return [c.id for c in training.list_conversations(db, params=ALL, actor=user)[0]]

    assert listed(member[0]) == [chat.id]
    assert listed(trainer) == listed(admin[0]) == [chat.id, typed.id]
    assert listed(outsider) == []
    assert training.read_conversation(db, conversation_id=chat.id, actor=member[0]) is chat
    with pytest.raises(NotFound) as hidden:
        training.read_conversation(db, conversation_id=chat.id, actor=outsider)
    assert hidden.value.message == f"training conversation {chat.id} does not exist"
    with pytest.raises(Forbidden):
        training.read_conversation(db, conversation_id=typed.id, actor=member[0])
    with pytest.raises(Forbidden):  # members read it but only trainers change it
        training.delete_conversation(db, conversation_id=chat.id, actor=member[0])
    training.delete_conversation(db, conversation_id=chat.id, actor=trainer)
