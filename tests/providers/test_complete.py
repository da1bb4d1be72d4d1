"""The chat contract of rules and extraction: token counts, a bounded wait, JSON output with one repair."""

from __future__ import annotations

import time

import pytest

from erpai.providers import ProviderError
from erpai.providers.base import json_problem
from tests.fakes.openai_server import FakeOpenAI
from tests.providers.conftest import MakeClient

ASK = [{"role": "user", "content": "Give me a person."}]
PERSON = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
    "required": ["name", "age"],
    "additionalProperties": False,
}


def test_complete_returns_text_tokens_and_sends_temperature(
    fake_openai: FakeOpenAI, make_client: MakeClient
) -> None:
    fake_openai.chat_reply = "hello"
    result = make_client().complete(ASK, temperature=0.7, timeout_s=2)
    assert result.text == "hello"
    assert (result.prompt_tokens, result.completion_tokens, result.total_tokens) == (10, 5, 15)
    assert fake_openai.chat_calls()[-1].body["temperature"] == 0.7


def test_json_schema_valid_answer_is_parsed(fake_openai: FakeOpenAI, make_client: MakeClient) -> None:
    fake_openai.script('{"name": "Ada", "age": 36}')
    result = make_client().complete(ASK, json_schema=PERSON)
    assert result.data == {"name": "Ada", "age": 36}
    assert fake_openai.chat_calls()[-1].body["response_format"] == {"type": "json_object"}


def test_json_schema_one_repair_retry_shows_the_error(
    fake_openai: FakeOpenAI, make_client: MakeClient
) -> None:
    fake_openai.script('{"name": "Ada"}', '{"name": "Ada", "age": 36}')
    result = make_client().complete(ASK, json_schema=PERSON)
    assert result.data == {"name": "Ada", "age": 36}
    repair = fake_openai.chat_calls()[-1].body["messages"]
    assert "$.age is required" in repair[-1]["content"]
    assert len(fake_openai.chat_calls()) == 2


def test_json_schema_fails_clearly_after_the_repair(fake_openai: FakeOpenAI, make_client: MakeClient) -> None:
    fake_openai.script("not json", '{"name": 1, "age": 2}')
    with pytest.raises(ProviderError) as caught:
        make_client().complete(ASK, json_schema=PERSON)
    assert caught.value.code == "bad_output"
    assert "$.name should be string" in caught.value.message
    assert len(fake_openai.chat_calls()) == 2


def test_timeout_bounds_the_wait_of_a_hanging_provider(
    fake_openai: FakeOpenAI, make_client: MakeClient
) -> None:
    fake_openai.fail("POST /v1/chat/completions", hang=5)
    started = time.monotonic()
    with pytest.raises(ProviderError) as caught:
        make_client(real_sleep=True).complete(ASK, timeout_s=0.3)
    elapsed = time.monotonic() - started
    assert caught.value.code == "timeout"
    assert elapsed < 1.5
    assert len(fake_openai.chat_calls()) == 1  # no retry past the per-call deadline


def test_schema_subset() -> None:
    assert json_problem('{"name": "a", "age": 1}', PERSON) is None
    assert json_problem('{"name": "a", "age": true}', PERSON) == "$.age should be integer"
    assert json_problem('{"name": "a", "age": 1, "x": 0}', PERSON) == "$ has unknown properties ['x']"
    assert json_problem('```json\n{"name": "a", "age": 1}\n```', PERSON) is None
    assert json_problem("[1, 2]", {"type": "array", "items": {"enum": [1]}}) == "$[1] should be one of [1]"
