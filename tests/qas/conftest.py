"""Fixtures shared by the Q&A and training-conversation tests (training/conftest.py re-exports them)."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from erpai.ai_models.models import AIModel
from erpai.users.models import User
from tests.conftest import grant_right


def add_model(db: Session, name: str, *, trainers: tuple[User, ...] = ()) -> AIModel:
    model = AIModel(name=name)
    db.add(model)
    db.commit()
    for user in trainers:
        grant_right(db, model_id=model.id, user=user)
    return model


@pytest.fixture
def model(db: Session, member: tuple[User, dict[str, str]]) -> AIModel:
    """'Support', trained by the ``member`` (jane)."""
    return add_model(db, "Support", trainers=(member[0],))
