from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from tests.fakes.openai_server import FakeOpenAI
from tests.live_server import serve_app
from tests.providers.conftest import TEST_KEY


@pytest.fixture
def live_url(live_engine: Engine) -> Iterator[str]:
    with serve_app() as url:
        yield url


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(api_key=TEST_KEY) as server:
        yield server
