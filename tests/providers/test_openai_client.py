from __future__ import annotations

import json

import numpy as np
import pytest

from erpai.errors import MissingCapability
from erpai.providers import ProviderError, require_capability
from erpai.providers.finetune_data import check_jsonl, map_job_status, to_jsonl, training_examples
from tests.fakes.openai_server import FakeOpenAI
from tests.providers.conftest import MakeClient

GROUNDING = [
    {"role": "system", "content": "You answer for ACME. Known answers:\nQ: opening hours? A: 9-17"},
    {"role": "user", "content": "When are you open?"},
]


def test_chat_sends_the_messages_and_returns_the_reply(
    fake_openai: FakeOpenAI, make_client: MakeClient
) -> None:
    fake_openai.chat_reply = "We are open 9-17."
    reply = make_client().chat(GROUNDING, temperature=0.0, max_tokens=50)

    assert reply == "We are open 9-17."
    sent = fake_openai.requests_to("POST", "/v1/chat/completions")[-1]
    assert sent.body["messages"] == GROUNDING
    assert sent.body["model"] == "gpt-4o-mini"
    assert sent.body["temperature"] == 0.0
    assert sent.body["max_tokens"] == 50  # compatible servers get max_tokens
    assert sent.headers["authorization"].endswith("sk-test-Zq81secretVALUE77a1b2")


def test_chat_model_override(fake_openai: FakeOpenAI, make_client: MakeClient) -> None:
    make_client().chat(GROUNDING, model="ft:gpt-4o-mini:acme::1")
    assert (
        fake_openai.requests_to("POST", "/v1/chat/completions")[-1].body["model"] == "ft:gpt-4o-mini:acme::1"
    )


def test_chat_stream_yields_token_deltas(fake_openai: FakeOpenAI, make_client: MakeClient) -> None:
    fake_openai.chat_reply = "Open from nine to five."
    deltas = list(make_client().chat_stream(GROUNDING))

    assert len(deltas) == 5
    assert "".join(deltas) == "Open from nine to five."
    assert fake_openai.requests_to("POST", "/v1/chat/completions")[-1].body["stream"] is True


def test_chat_stream_errors_raise_before_the_first_token(
    fake_openai: FakeOpenAI, make_client: MakeClient
) -> None:
    fake_openai.fail("POST /v1/chat/completions", status=401, message="bad key")
    with pytest.raises(ProviderError) as caught:
        make_client().chat_stream(GROUNDING)
    assert caught.value.code == "auth"


def test_embed_returns_normalised_rows_in_batches(fake_openai: FakeOpenAI, make_client: MakeClient) -> None:
    texts = [f"question {i}" for i in range(5)]
    vectors = make_client(embedding_batch_size=2).embed(texts)

    assert vectors.shape == (5, 8)
    assert vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    batches = [r.body["input"] for r in fake_openai.requests_to("POST", "/v1/embeddings")]
    assert batches == [texts[0:2], texts[2:4], texts[4:5]]
    expected = np.asarray(fake_openai.vector("question 3"), dtype=np.float32)
    assert np.allclose(vectors[3], expected / np.linalg.norm(expected), atol=1e-5)


def test_fine_tune_primitives_run_a_job_to_success(fake_openai: FakeOpenAI, make_client: MakeClient) -> None:
    client = make_client()
    examples = training_examples(system_message="Be brief.", qas=[(f"q{i}", f"a{i}") for i in range(10)])
    data = to_jsonl(examples)
    assert check_jsonl(data).ok

    file_id = client.upload_training_file(data, "acme.jsonl")
    job = client.create_fine_tune(file_id, suffix="acme", method={"type": "supervised"})
    states = [job.status] + [client.retrieve_fine_tune(job.id).status for _ in range(3)]
    final = client.retrieve_fine_tune(job.id)

    assert fake_openai.files[file_id]["content"] == data
    assert fake_openai.files[file_id]["purpose"] == "fine-tune"
    created = fake_openai.requests_to("POST", "/v1/fine_tuning/jobs")[-1].body
    assert created == {
        "training_file": file_id,
        "model": "gpt-4o-mini",
        "suffix": "acme",
        "method": {"type": "supervised"},
    }
    assert states == ["validating_files", "queued", "running", "succeeded"]
    assert [map_job_status(s)[0] for s in states] == ["running", "running", "running", "completed"]
    assert final.fine_tuned_model and final.fine_tuned_model.startswith("ft:gpt-4o-mini")
    assert map_job_status(final.status) == ("completed", True)
    events = client.list_fine_tune_events(job.id)
    assert events[0].endswith("Created fine-tuning job: " + job.id)  # oldest first
    assert events[-1].endswith("Job status is now succeeded")


def test_a_job_that_ends_failed_reports_the_error(fake_openai: FakeOpenAI, make_client: MakeClient) -> None:
    fake_openai.job_outcome = "failed"
    fake_openai.job_steps = ["validating_files"]
    client = make_client()
    job = client.create_fine_tune(client.upload_training_file(b"{}\n", "x.jsonl"))
    final = client.retrieve_fine_tune(job.id)

    assert final.status == "failed"
    assert final.error == "the training file failed validation"
    assert final.fine_tuned_model is None
    assert map_job_status(final.status) == ("completed", False)


def test_cancel_a_running_job(fake_openai: FakeOpenAI, make_client: MakeClient) -> None:
    client = make_client()
    job = client.create_fine_tune(client.upload_training_file(b"{}\n", "x.jsonl"))
    cancelled = client.cancel_fine_tune(job.id)
    assert cancelled.status == "cancelled"
    assert map_job_status(cancelled.status) == ("completed", False)


def test_model_not_available_on_job_create(fake_openai: FakeOpenAI, make_client: MakeClient) -> None:
    client = make_client()
    file_id = client.upload_training_file(b"{}\n", "x.jsonl")
    fake_openai.fail(
        "POST /v1/fine_tuning/jobs", status=400, code="model_not_available", message="not for you"
    )
    with pytest.raises(ProviderError) as caught:
        client.create_fine_tune(file_id, model="gpt-4.1")
    assert caught.value.code == "model_not_available"
    assert "not available" in caught.value.message
    assert caught.value.status_code == 502


def test_fine_tuning_closed_to_the_account(fake_openai: FakeOpenAI, make_client: MakeClient) -> None:
    fake_openai.fail(
        "POST /v1/files", status=403, message="fine-tuning is not available for your organization"
    )
    with pytest.raises(ProviderError) as caught:
        make_client().upload_training_file(b"{}\n", "x.jsonl")
    assert caught.value.code == "permission"
    assert "fine-tuning is not available for your organization" in caught.value.message


def test_switched_off_capabilities_fail_with_missing_capability(make_client: MakeClient) -> None:
    client = make_client(supports_fine_tune=False, supports_embeddings=False)
    assert client.capabilities == frozenset({"chat", "tools"})
    with pytest.raises(MissingCapability, match="'fine_tune'"):
        client.upload_training_file(b"", "x.jsonl")
    with pytest.raises(MissingCapability, match="'embeddings'"):
        client.embed(["x"])
    with pytest.raises(MissingCapability, match="'fine_tune'"):
        require_capability(client, "fine_tune")
    require_capability(client, "chat")


def test_no_embedding_model_on_a_compatible_server_means_no_embeddings(make_client: MakeClient) -> None:
    assert not make_client(embedding_model=None).has("embeddings")


def test_openai_own_api_uses_max_completion_tokens(fake_openai: FakeOpenAI, make_client: MakeClient) -> None:
    # Point the "own API" client at the fake through its http_client-free base URL swap.
    client = make_client()
    client.config = client.config.model_copy(update={"base_url": None})
    client.chat(GROUNDING, max_tokens=7)
    body = fake_openai.requests_to("POST", "/v1/chat/completions")[-1].body
    assert body["max_completion_tokens"] == 7
    assert "max_tokens" not in body


def test_probe_reports_each_capability(fake_openai: FakeOpenAI, make_client: MakeClient) -> None:
    report = make_client().probe()
    assert (report.ok, report.chat, report.embeddings, report.fine_tune) == (True, True, True, True)
    assert "gpt-4o-mini" in report.models
    assert json.dumps(report.messages)  # plain strings for the CLI
