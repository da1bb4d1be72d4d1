"""``erpai demo``: loads the demo company once (idempotent) and compiles its models."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from erpai import demo_data as data
from erpai.ai_models.models import AIModel
from erpai.chat.models import ChatGroup, ChatMember
from erpai.db import utcnow
from erpai.providers.models import Provider
from erpai.qas.models import ModelQA
from erpai.training.models import TrainingConversation, TrainingConversationMessage
from erpai.users.models import ApiToken, User, UserType
from erpai.users.service import create_token

MODEL_NAMES = {"master": "Northwind Master", "marketing": "Northwind Marketing", "sales": "Northwind Sales"}
DEMO_TOKEN_NAME = "demo"


def _user(session: Session, login: str, name: str, *, admin: bool = False, virtual: bool = False) -> User:
    user = session.scalar(select(User).where(User.login == login))
    if user is None:
        kind = UserType.VIRTUAL.value if virtual else UserType.INTERNAL.value
        user = User(login=login, name=name, is_admin=admin, user_type=kind)
        session.add(user)
        session.flush()
    return user


def _model(session: Session, key: str, system: str, provider: Provider, parent: AIModel | None) -> AIModel:
    name = MODEL_NAMES[key]
    virtual = _user(session, f"ai-{key}", name.replace("Northwind ", "AI ") + " Assistant", virtual=True)
    model = AIModel(
        name=name,
        system_message=system,
        provider_id=provider.id,
        build_assistant=False,
        parent_model_id=parent.id if parent else None,
        virtual_user_id=virtual.id,
        is_default=key == "master",
    )
    session.add(model)
    session.flush()
    return model


def _qas(session: Session, model: AIModel, rows: list[tuple[str, str, str]], author: User) -> None:
    for question, answer, qa_type in rows:
        session.add(
            ModelQA(
                model_id=model.id,
                question=question,
                answer=answer,
                qa_type=qa_type,
                section="Demo",
                added_by_user_id=author.id,
            )
        )


def _conversations(session: Session, models: dict[str, AIModel], author: User) -> None:
    for key, turns in data.CONVERSATIONS:
        conversation = TrainingConversation(
            model_id=models[key].id, created_by_user_id=author.id, notes="Demo"
        )
        conversation.messages = [
            TrainingConversationMessage(
                message_no=i, participant_role=role, participant_name=name, contents=text
            )
            for i, (role, name, text) in enumerate(turns, start=1)
        ]
        session.add(conversation)


def _chat_group(session: Session, people: list[User], models: dict[str, AIModel]) -> None:
    group = ChatGroup(
        name="Northwind team", created_by_user_id=people[0].id, last_interaction_time_utc=utcnow()
    )
    session.add(group)
    session.flush()
    members = [(p.id, "A" if i == 0 else "M") for i, p in enumerate(people)]
    members += [(m.virtual_user_id, "M") for k, m in models.items() if k != "master" and m.virtual_user_id]
    session.add_all(ChatMember(group_id=group.id, user_id=uid, role=role) for uid, role in members)


def load_demo(session: Session) -> tuple[bool, list[AIModel]]:
    """Creates the demo company unless it exists. Returns (created, models). One transaction."""
    existing = list(session.scalars(select(AIModel).where(AIModel.name.in_(MODEL_NAMES.values()))))
    if existing:
        return False, existing
    admin = _user(session, "admin", "Administrator", admin=True)
    people = [admin, _user(session, "maria", "Maria Petrova"), _user(session, "ivan", "Ivan Georgiev")]
    provider = session.scalar(select(Provider).where(Provider.name == "Local (embedded)"))
    if provider is None:
        provider = Provider(
            name="Local (embedded)", kind="local", base_model_name="local", notes="No API key needed"
        )
        session.add(provider)
        session.flush()
    session.execute(update(AIModel).values(is_default=False))
    master = _model(session, "master", data.MASTER_SYSTEM, provider, None)
    models = {
        "master": master,
        "marketing": _model(session, "marketing", data.MARKETING_SYSTEM, provider, master),
        "sales": _model(session, "sales", data.SALES_SYSTEM, provider, master),
    }
    for key, rows in (
        ("master", data.MASTER_QAS),
        ("marketing", data.MARKETING_QAS),
        ("sales", data.SALES_QAS),
    ):
        _qas(session, models[key], rows, admin)
    _conversations(session, models, admin)
    _chat_group(session, people, models)
    session.commit()
    return True, list(models.values())


def fresh_admin_token(session: Session) -> tuple[int, str]:
    """Revokes earlier demo tokens; returns (admin id, new token), so `make run` twice leaves one valid."""
    admin = session.scalar(select(User).where(User.login == "admin"))
    if admin is None:
        admin = _user(session, "admin", "Administrator", admin=True)
        session.commit()
    session.execute(
        update(ApiToken)
        .where(
            ApiToken.user_id == admin.id,
            ApiToken.name == DEMO_TOKEN_NAME,
            ApiToken.revoked_time_utc.is_(None),
        )
        .values(revoked_time_utc=utcnow())
    )
    session.commit()
    return admin.id, create_token(session, user_id=admin.id, name=DEMO_TOKEN_NAME)[1]
