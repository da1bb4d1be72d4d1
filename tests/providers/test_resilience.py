from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from erpai.providers import ProviderError
from erpai.providers.config import OpenAIConfig
from erpai.providers.openai_client import OpenAIProvider
from erpai.providers.resilience import RetryPolicy, parse_retry_after
from tests.fakes.openai_server import FakeOpenAI
from tests.providers.conftest import TEST_KEY, MakeClient, SleepRecorder

CHAT = "POST /v1/chat/completions"
HELLO = [{"role": "user", "content": "hello"}]


def test_429_with_retry_after_is_retried_after_the_given_pause(
    fake_openai: FakeOpenAI, make_client: MakeClient, sleeps: SleepRecorder
) -> None:
    fake_openai.fail(CHAT, status=429, retry_after="2", times=2)
    assert make_client().chat(HELLO) == "echo: hello"
    assert sleeps.pauses == [2.0, 2.0]
    assert len(fake_openai.requests_to("POST", "/v1/chat/completions")) == 3


def test_retry_after_is_capped(
    fake_openai: FakeOpenAI, make_client: MakeClient, sleeps: SleepRecorder
) -> None:
    fake_openai.fail(CHAT, status=429, retry_after="3600")
    make_client(retry_after_cap_seconds=5).chat(HELLO)
    assert sleeps.pauses == [5.0]


def test_retry_after_beyond_the_deadline_gives_up_at_once(
    fake_openai: FakeOpenAI, make_client: MakeClient, sleeps: SleepRecorder
) -> None:
    fake_openai.fail(CHAT, status=429, retry_after="20")
    with pytest.raises(ProviderError) as caught:
        make_client(deadline_seconds=10).chat(HELLO)
    assert caught.value.code == "rate_limited"
    assert sleeps.pauses == []


@pytest.mark.parametrize("status", [500, 502, 503])
def test_5xx_is_retried_with_growing_jittered_backoff(
    fake_openai: FakeOpenAI, make_client: MakeClient, sleeps: SleepRecorder, status: int
) -> None:
    fake_openai.fail(CHAT, status=status, times=3)
    assert (
        make_client(max_retries=3, backoff_base_seconds=1, backoff_max_seconds=3).chat(HELLO) == "echo: hello"
    )
    assert len(sleeps.pauses) == 3
    for pause, ceiling in zip(sleeps.pauses, [1, 2, 3], strict=True):
        assert ceiling / 2 <= pause <= ceiling


def test_gives_up_after_max_attempts_with_a_clear_error(
    fake_openai: FakeOpenAI, make_client: MakeClient, sleeps: SleepRecorder
) -> None:
    fake_openai.fail(CHAT, status=503, times=10, message="overloaded")
    with pytest.raises(ProviderError) as caught:
        make_client(max_retries=2).chat(HELLO)
    assert caught.value.code == "unavailable"
    assert caught.value.status_code == 503
    assert "HTTP 503" in caught.value.message and "overloaded" in caught.value.message
    assert len(fake_openai.requests_to("POST", "/v1/chat/completions")) == 3
    assert len(sleeps.pauses) == 2


def test_quota_exhausted_429_is_not_retried(fake_openai: FakeOpenAI, make_client: MakeClient) -> None:
    fake_openai.fail(CHAT, status=429, code="insufficient_quota", message="You exceeded your current quota")
    with pytest.raises(ProviderError) as caught:
        make_client().chat(HELLO)
    assert caught.value.code == "rate_limited"
    assert len(fake_openai.requests_to("POST", "/v1/chat/completions")) == 1


def test_a_hang_times_out_per_attempt_then_gives_up(fake_openai: FakeOpenAI, make_client: MakeClient) -> None:
    fake_openai.fail(CHAT, hang=5, times=2)
    with pytest.raises(ProviderError) as caught:
        make_client(timeout_seconds=0.3, max_retries=1).chat(HELLO)
    assert caught.value.code == "timeout"
    assert caught.value.status_code == 504
    assert len(fake_openai.requests_to("POST", "/v1/chat/completions")) == 2


def test_a_hang_once_then_success(fake_openai: FakeOpenAI, make_client: MakeClient) -> None:
    fake_openai.fail(CHAT, hang=5)
    assert make_client(timeout_seconds=0.3, max_retries=1).chat(HELLO) == "echo: hello"


def test_the_overall_deadline_bounds_all_attempts(fake_openai: FakeOpenAI, make_client: MakeClient) -> None:
    # Each attempt gets only what is left of the deadline, so 10 retries of a 5 s hang cannot add up.
    fake_openai.fail(CHAT, hang=5, times=20)
    with pytest.raises(ProviderError) as caught:
        make_client(timeout_seconds=5, deadline_seconds=0.6, max_retries=10, real_sleep=True).chat(HELLO)
    assert caught.value.code == "timeout"
    assert len(fake_openai.requests_to("POST", "/v1/chat/completions")) <= 3


def test_a_timed_out_upload_is_not_repeated(fake_openai: FakeOpenAI, make_client: MakeClient) -> None:
    fake_openai.fail("POST /v1/files", hang=5)
    with pytest.raises(ProviderError) as caught:
        make_client(timeout_seconds=0.3, max_retries=3).upload_training_file(b"{}\n", "x.jsonl")
    assert caught.value.code == "timeout"
    assert len(fake_openai.requests_to("POST", "/v1/files")) == 1


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_connection_refused_is_retried_then_unavailable(sleeps: SleepRecorder) -> None:
    config = OpenAIConfig(
        base_url=f"http://127.0.0.1:{_closed_port()}/v1", max_retries=2, backoff_base_seconds=0
    )
    client = OpenAIProvider(name="down", base_model="m", config=config, api_key=None, sleep=sleeps)
    with pytest.raises(ProviderError) as caught:
        client.chat(HELLO)
    assert caught.value.code == "unavailable"
    assert len(sleeps.pauses) == 2
    assert "provider 'down' chat" in caught.value.message


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (401, "invalid_api_key", "auth"),
        (403, None, "permission"),
        (404, None, "not_found"),
        (404, "model_not_found", "model_not_available"),
        (400, None, "bad_request"),
        (422, None, "bad_request"),
        (400, "model_not_available", "model_not_available"),
    ],
)
def test_error_mapping(
    fake_openai: FakeOpenAI, make_client: MakeClient, status: int, code: str | None, expected: str
) -> None:
    fake_openai.fail(CHAT, status=status, code=code, message="upstream says no")
    with pytest.raises(ProviderError) as caught:
        make_client().chat(HELLO)
    assert caught.value.code == expected
    assert caught.value.upstream_status == status
    assert caught.value.status_code == 502  # an upstream failure, not the erpai caller's
    assert "upstream says no" in caught.value.message
    assert len(fake_openai.requests_to("POST", "/v1/chat/completions")) == 1  # not retried


def test_a_rejected_key_is_never_in_the_error(fake_openai: FakeOpenAI, make_client: MakeClient) -> None:
    wrong = "sk-proj-WRONGkey0123456789abcd"
    with pytest.raises(ProviderError) as caught:
        make_client(api_key=wrong).chat(HELLO)
    assert caught.value.code == "auth"
    assert wrong not in caught.value.message and wrong not in str(caught.value)
    assert "sk-…abcd" in caught.value.message  # the fake echoed it; erpai masked it
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    assert TEST_KEY not in caught.value.message


def test_parse_retry_after() -> None:
    now = datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("1.5") == 1.5
    assert parse_retry_after(format_datetime(now + timedelta(seconds=30), usegmt=True), now=now) == 30.0
    assert parse_retry_after(format_datetime(now - timedelta(seconds=30), usegmt=True), now=now) == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_backoff_stays_within_its_bounds() -> None:
    policy = RetryPolicy(backoff_base_seconds=1, backoff_max_seconds=4)
    for attempt, ceiling in [(1, 1), (2, 2), (3, 4), (6, 4)]:
        pause = policy.backoff(attempt)
        assert ceiling / 2 <= pause <= ceiling
