"""A scenario through the API, the CLI and the client: the plain key is in no output and no log record."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from erpai.cli.main import app
from erpai.providers import ProviderError
from erpai.providers.config import OpenAIConfig
from erpai.providers.openai_client import OpenAIProvider
from erpai.users.models import User
from tests.fakes.openai_server import FakeOpenAI
from tests.providers.conftest import TEST_KEY

WRONG_KEY = "sk-proj-LEAKCANARY0987654321zz"
URL = "/api/v1/providers"


def _log_text(caplog: pytest.LogCaptureFixture) -> str:
    parts = []
    for record in caplog.records:
        parts.append(record.getMessage())
        parts.append(repr(record.args))
        if record.exc_info:
            parts.append(logging.Formatter().formatException(record.exc_info))
    return "\n".join(parts)


@pytest.mark.usefixtures("cli_db")
def test_the_key_never_leaks(
    client: TestClient,
    admin: tuple[User, dict[str, str]],
    fake_openai: FakeOpenAI,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    outputs: list[str] = []
    headers = admin[1]
    config = {
        "base_url": fake_openai.url,
        "embedding_model": "e",
        "max_retries": 1,
        "backoff_base_seconds": 0,
    }

    # API: create, read, list, test, switch to a wrong key, test again (the fake echoes the wrong key on 401).
    body = {
        "name": "api",
        "kind": "openai",
        "base_model_name": "gpt-4o-mini",
        "api_key": TEST_KEY,
        "config": config,
    }
    created = client.post(URL, json=body, headers=headers)
    pid = created.json()["id"]
    outputs += [
        created.text,
        client.get(f"{URL}/{pid}", headers=headers).text,
        client.get(URL, headers=headers).text,
    ]
    outputs.append(client.post(f"{URL}/{pid}/test", headers=headers).text)
    outputs.append(client.patch(f"{URL}/{pid}", json={"api_key": WRONG_KEY}, headers=headers).text)
    outputs.append(client.post(f"{URL}/{pid}/test", headers=headers).text)
    outputs.append(client.post(URL, json={"api_key": TEST_KEY}, headers=headers).text)  # 422 missing fields

    # CLI: add with the good key, list, show, test; add with the wrong key and test.
    runner = CliRunner()
    for name, key in (("cli", TEST_KEY), ("cli-wrong", WRONG_KEY)):
        monkeypatch.setenv("LEAK_TEST_KEY", key)
        add = [
            "provider",
            "add",
            name,
            "--base-url",
            fake_openai.url,
            "--api-key-env",
            "LEAK_TEST_KEY",
            "--base-model",
            "gpt-4o-mini",
        ]
        outputs.append(runner.invoke(app, add).output)
        outputs.append(runner.invoke(app, ["provider", "test", name]).output)
    for args in (["provider", "list"], ["provider", "list", "--json"], ["provider", "show", "cli", "--json"]):
        outputs.append(runner.invoke(app, args).output)

    # The client directly: a failure that echoes the key, retried (and logged), then raised.
    fake_openai.fail("POST /v1/chat/completions", status=503, message=f"upstream echoes {TEST_KEY}", times=2)
    client_config = OpenAIConfig(base_url=fake_openai.url, max_retries=1, backoff_base_seconds=0)
    direct = OpenAIProvider(name="direct", base_model="m", config=client_config, api_key=TEST_KEY)
    with pytest.raises(ProviderError) as caught:
        direct.chat([{"role": "user", "content": "hi"}])
    outputs.append(str(caught.value))

    assert "HTTP 401" in "".join(outputs)  # the failures really happened
    assert any("retrying" in r.getMessage() for r in caplog.records)
    everything = "\n".join(outputs) + _log_text(caplog)
    assert TEST_KEY not in everything
    assert WRONG_KEY not in everything
    assert "sk-…a1b2" in everything  # the mask is what people see
