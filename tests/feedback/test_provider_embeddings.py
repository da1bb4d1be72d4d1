"""Builds that embed with the provider's embedding model over the OpenAI wire (the local fake server)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from erpai.compilations.artifact import BuildArtifact
from erpai.compilations.models import CompilationArtifact, EmbeddingCacheEntry
from tests.answering.helpers import TEST_KEY, openai_provider
from tests.compilations.factories import HR_QAS, admin_with_token, model_with_qas
from tests.conftest import wait_for_jobs
from tests.fakes.openai_server import FakeOpenAI


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(api_key=TEST_KEY) as server:
        yield server


def _compile(client: TestClient, headers: dict[str, str], model_id: int) -> dict[str, object]:
    started = client.post(f"/api/v1/models/{model_id}/compile", headers=headers)
    assert started.status_code == 202, started.text
    wait_for_jobs()
    body: dict[str, object] = client.get(
        f"/api/v1/compilations/{started.json()['id']}", headers=headers
    ).json()
    return body


def _embedding_calls(fake: FakeOpenAI) -> list[dict[str, object]]:
    return [r.body for r in fake.requests if r.path == "/v1/embeddings"]


def test_a_build_embeds_with_the_providers_embedding_model_and_caches_by_provider_and_model(
    live_client: TestClient, live_session: Session, fake: FakeOpenAI
) -> None:
    user, headers = admin_with_token(live_session)
    provider = openai_provider(live_session, fake, embedding_model="fake-embed-1", build_embeddings=True)
    model = model_with_qas(live_session, name="HR", user=user, provider=provider)
    model.prefer_curated_answer = True
    live_session.commit()
    build = _compile(live_client, headers, model.id)
    assert build["is_successful"] is True, build["build_log"]
    name = f"provider:{provider.id}:fake-embed-1"
    row = live_session.get(CompilationArtifact, build["id"])
    assert row is not None and BuildArtifact.from_bytes(row.content).embedder == name
    calls = _embedding_calls(fake)
    assert calls and {c["model"] for c in calls} == {"fake-embed-1"}
    cached = live_session.scalar(
        select(func.count()).select_from(EmbeddingCacheEntry).where(EmbeddingCacheEntry.embedder == name)
    )
    assert cached is not None and cached >= len(HR_QAS)

    question, answer = HR_QAS[2]
    asked = live_client.post(f"/api/v1/models/{model.id}/ask", headers=headers, json={"question": question})
    assert asked.status_code == 200, asked.text
    assert asked.json()["answer"] == answer
    asked_calls = _embedding_calls(fake)[len(calls) :]
    assert [c["input"] for c in asked_calls] == [[question]]  # the question, with the build's model

    # A rebuild embeds nothing new: every text is in the cache under (provider, model).
    before = len(_embedding_calls(fake))
    again = _compile(live_client, headers, model.id)
    assert again["is_successful"] is True
    assert len(_embedding_calls(fake)) == before


def test_changing_the_embedding_model_asks_for_a_rebuild(
    live_client: TestClient, live_session: Session, fake: FakeOpenAI
) -> None:
    user, headers = admin_with_token(live_session)
    provider = openai_provider(live_session, fake, embedding_model="fake-embed-1", build_embeddings=True)
    model = model_with_qas(live_session, name="HR", user=user, provider=provider)
    _compile(live_client, headers, model.id)
    changed = live_client.patch(
        f"/api/v1/providers/{provider.id}",
        headers=headers,
        json={
            "config": {
                "base_url": fake.url,
                "max_retries": 0,
                "embedding_model": "fake-embed-2",
                "build_embeddings": True,
            }
        },
    )
    assert changed.status_code == 200, changed.text
    asked = live_client.post(
        f"/api/v1/models/{model.id}/ask", headers=headers, json={"question": HR_QAS[0][0]}
    )
    assert asked.status_code == 422 and "rebuild" in asked.json()["detail"]
