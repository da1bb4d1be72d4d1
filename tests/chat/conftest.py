"""Chat fixtures: arbiters (a model and its virtual user), groups, a fake answerer, SSE sessions."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from erpai.ai_models.models import AIModel
from erpai.answering.schemas import AnswerResult, ContextMessage
from erpai.db import stream_sessions
from erpai.users.models import User, UserType

Headers = dict[str, str]


def make_arbiter(db: Session, name: str, login: str) -> AIModel:
    """A model that speaks in chats through a virtual user (no build)."""
    vuser = User(login=login, name=name, user_type=UserType.VIRTUAL.value)
    db.add(vuser)
    db.flush()
    model = AIModel(name=name, build_assistant=False, virtual_user_id=vuser.id)
    db.add(model)
    db.commit()
    return model


def make_group(
    client: TestClient, headers: Headers, name: str = "Marketing", members: list[int] | None = None
) -> int:
    response = client.post(
        "/api/v1/chat/groups", json={"name": name, "member_ids": members or []}, headers=headers
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def post(client: TestClient, headers: Headers, group_id: int, text: str, **extra: Any) -> Any:
    response = client.post(
        f"/api/v1/chat/groups/{group_id}/comments", json={"text": text, **extra}, headers=headers
    )
    assert response.status_code == 201, response.text
    return response.json()


class FakeAnswering:
    """Stands in for answer_question: records the calls and answers from a script."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.answer: str | None = "Twice a week."
        self.error: Exception | None = None

    def __call__(
        self,
        session: Session,
        *,
        model_id: int,
        question: str,
        context: list[ContextMessage] | None = None,
        channel: str = "api",
        user_id: int | None = None,
        commit: bool = True,
    ) -> AnswerResult:
        self.calls.append(
            {"model_id": model_id, "question": question, "context": context, "channel": channel}
        )
        if self.error is not None:
            raise self.error
        return AnswerResult(
            answer=self.answer, confidence=0.9 if self.answer else 0.0, answered=bool(self.answer)
        )


@pytest.fixture
def fake_answering(monkeypatch: pytest.MonkeyPatch) -> FakeAnswering:
    fake = FakeAnswering()
    monkeypatch.setattr("erpai.answering.service.answer_question", fake)
    return fake


@pytest.fixture
def stream_client(client: TestClient, db: Session) -> TestClient:
    """The SSE stream polls with the test's session instead of opening new ones."""

    @contextmanager
    def same_session() -> Iterator[Session]:
        yield db

    opener: Callable[[], Any] = same_session
    client.app.dependency_overrides[stream_sessions] = lambda: opener  # type: ignore[attr-defined]
    return client


class RecordingBackend:
    """A job backend that only records: tests run the jobs themselves, in the test's session."""

    def __init__(self) -> None:
        self.jobs: list[tuple[str, dict[str, Any]]] = []

    def enqueue(self, name: str, kwargs: dict[str, Any]) -> None:
        self.jobs.append((name, kwargs))

    def wait_idle(self, timeout: float = 60.0) -> bool:
        return True


@pytest.fixture(autouse=True)
def jobs() -> Iterator[RecordingBackend]:
    from erpai.jobs.queue import set_backend

    backend = RecordingBackend()
    set_backend(backend)
    yield backend
    set_backend(None)
