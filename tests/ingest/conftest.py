from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from erpai.providers.config import OpenAIConfig
from erpai.providers.openai_client import OpenAIProvider
from tests.fakes.openai_server import FakeOpenAI
from tests.ingest.corpus import generate


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("ingest_corpus")
    generate(out)
    return out


@pytest.fixture(scope="session")
def truth(corpus: Path) -> dict[str, dict[str, Any]]:
    return {doc["file"]: doc for doc in json.loads((corpus / "truth.json").read_text())}


@pytest.fixture
def fake_llm() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(api_key="sk-test-ingest") as fake:
        yield fake


@pytest.fixture
def chat_client(fake_llm: FakeOpenAI) -> Iterator[OpenAIProvider]:
    config = OpenAIConfig(
        base_url=fake_llm.url, timeout_seconds=1, max_retries=0, deadline_seconds=3, supports_fine_tune=False
    )
    client = OpenAIProvider(name="fake", base_model="gpt-4o-mini", config=config, api_key="sk-test-ingest")
    yield client
    client.close()
