"""Fixtures shared by the Q&A and training-conversation tests (training/conftest.py re-exports them)."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from erpai.ai_models.models import AIModel


def add_model(db: Session, name: str) -> AIModel:
    model = AIModel(name=name)
    db.add(model)
    db.commit()
    return model


@pytest.fixture
def model(db: Session) -> AIModel:
    return add_model(db, "Support")

