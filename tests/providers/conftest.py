from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from erpai.providers.config import OpenAIConfig
from erpai.providers.openai_client import OpenAIProvider
from tests.fakes.openai_server import FakeOpenAI

TEST_KEY = "sk-test-Zq81secretVALUE77a1b2"


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(api_key=TEST_KEY) as fake:
        yield fake


class SleepRecorder:
    """Stands in for time.sleep: records the pauses the retrier chose, waits not at all."""

    def __init__(self) -> None:
        self.pauses: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.pauses.append(seconds)


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()


MakeClient = Callable[..., OpenAIProvider]


@pytest.fixture
def make_client(fake_openai: FakeOpenAI, sleeps: SleepRecorder) -> Iterator[MakeClient]:
    made: list[OpenAIProvider] = []

    def make(*, api_key: str | None = TEST_KEY, real_sleep: bool = False, **config: Any) -> OpenAIProvider:
        settings: dict[str, Any] = {
            "base_url": fake_openai.url,
            "embedding_model": "text-embedding-3-small",
            "timeout_seconds": 5,
            "backoff_base_seconds": 0.01,
            "backoff_max_seconds": 0.05,
            **config,
        }
        client = OpenAIProvider(
            name="fake",
            base_model="gpt-4o-mini",
            config=OpenAIConfig(**settings),
            api_key=api_key,
            sleep=time.sleep if real_sleep else sleeps,
        )
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()
