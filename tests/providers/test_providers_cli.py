from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from erpai.cli.main import app
from tests.fakes.openai_server import FakeOpenAI
from tests.providers.conftest import TEST_KEY

runner = CliRunner()


def add_fake(
    fake: FakeOpenAI, monkeypatch: pytest.MonkeyPatch, name: str = "fake", key: str = TEST_KEY
) -> str:
    monkeypatch.setenv("ACME_OPENAI_KEY", key)
    args = [
        "provider",
        "add",
        name,
        "--kind",
        "openai",
        "--base-url",
        fake.url,
        "--api-key-env",
        "ACME_OPENAI_KEY",
        "--base-model",
        "gpt-4o-mini",
        "--embedding-model",
        "text-embedding-3-small",
        "--json",
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.usefixtures("cli_db")
def test_add_reads_the_key_from_the_environment(
    fake_openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    created = json.loads(add_fake(fake_openai, monkeypatch))
    assert created["api_key_mask"] == "sk-…a1b2"
    assert created["capabilities"] == ["chat", "embeddings", "fine_tune", "tools"]

    shown = runner.invoke(app, ["provider", "show", "fake", "--json"])
    assert json.loads(shown.output) == created
    listed = runner.invoke(app, ["provider", "list", "--json"])
    assert [p["name"] for p in json.loads(listed.output)] == ["fake"]
    assert TEST_KEY not in shown.output + listed.output


@pytest.mark.usefixtures("cli_db")
def test_add_local_and_capability_switches() -> None:
    local = runner.invoke(
        app, ["provider", "add", "embedded", "--kind", "local", "--embedder", "minilm", "--json"]
    )
    assert local.exit_code == 0, local.output
    assert json.loads(local.output)["config"] == {"embedder": "minilm"}
    ollama = runner.invoke(
        app,
        [
            "provider",
            "add",
            "ollama",
            "--base-url",
            "http://localhost:11434/v1",
            "--base-model",
            "llama3.2",
            "--no-fine-tune",
            "--no-embeddings",
            "--json",
        ],
    )
    assert ollama.exit_code == 0, ollama.output
    assert json.loads(ollama.output)["capabilities"] == ["chat", "tools"]


@pytest.mark.usefixtures("cli_db")
def test_add_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOT_SET_VAR", raising=False)
    missing = runner.invoke(
        app, ["provider", "add", "x", "--api-key-env", "NOT_SET_VAR", "--base-model", "m"]
    )
    assert missing.exit_code != 0 and "NOT_SET_VAR" in missing.output
    bad_url = runner.invoke(app, ["provider", "add", "x", "--base-url", "ftp://x", "--base-model", "m"])
    assert bad_url.exit_code != 0 and "config.base_url" in bad_url.output
    unknown = runner.invoke(app, ["provider", "show", "nope"])
    assert unknown.exit_code == 2 and "does not exist" in unknown.output


@pytest.mark.usefixtures("cli_db")
def test_test_command_says_what_works(fake_openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch) -> None:
    add_fake(fake_openai, monkeypatch)
    fake_openai.fail("GET /v1/fine_tuning/jobs", status=403, message="fine-tuning is not available")
    result = runner.invoke(app, ["provider", "test", "fake"])
    assert result.exit_code == 1
    assert "chat: yes" in result.output and "embeddings: yes" in result.output
    assert "fine_tune: NO" in result.output and "fine-tuning is not available" in result.output

    ok = runner.invoke(app, ["provider", "test", "fake", "--json"])
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.output)["ok"] is True


@pytest.mark.usefixtures("cli_db")
@pytest.mark.parametrize(
    ("failure", "expected"),
    [
        ({"status": 401, "message": "invalid key"}, "HTTP 401"),
        ({"status": 403, "message": "not allowed"}, "HTTP 403"),
        ({"status": 404, "message": "no such path"}, "HTTP 404"),
    ],
)
def test_test_command_fails_clearly(
    fake_openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch, failure: dict[str, object], expected: str
) -> None:
    add_fake(fake_openai, monkeypatch)
    fake_openai.fail("*", times=10, **failure)
    result = runner.invoke(app, ["provider", "test", "fake"])
    assert result.exit_code == 1
    assert expected in result.output and "does not work as configured" in result.output


@pytest.mark.usefixtures("cli_db")
def test_test_command_on_a_server_that_is_down(monkeypatch: pytest.MonkeyPatch) -> None:
    result = runner.invoke(
        app,
        [
            "provider",
            "add",
            "down",
            "--base-url",
            "http://127.0.0.1:9/v1",
            "--base-model",
            "m",
            "--no-fine-tune",
        ],
    )
    assert result.exit_code == 0, result.output
    tested = runner.invoke(app, ["provider", "test", "down"])
    assert tested.exit_code == 1 and "cannot be reached" in tested.output


@pytest.mark.usefixtures("cli_db")
def test_remove(fake_openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch) -> None:
    add_fake(fake_openai, monkeypatch)
    assert runner.invoke(app, ["provider", "remove", "fake"]).exit_code == 0
    assert runner.invoke(app, ["provider", "show", "fake"]).exit_code == 2
