"""Rows the model, assistant and notification tests build on."""

from __future__ import annotations

from sqlalchemy.orm import Session

from erpai.ai_models.models import AIModel
from erpai.providers.models import Provider
from erpai.users.models import User
from erpai.users.schemas import UserCreate
from erpai.users.service import create_user


def make_provider(db: Session, name: str = "local") -> Provider:
    provider = Provider(name=name, kind="local", base_model_name="minilm")
    db.add(provider)
    db.flush()
    return provider


def make_virtual_user(db: Session, login: str) -> User:
    return create_user(db, data=UserCreate(login=login, name=login, user_type="virtual"), actor_id=None)


def make_model(db: Session, name: str, **values: object) -> AIModel:
    model = AIModel(name=name, **values)
    db.add(model)
    db.flush()
    return model
