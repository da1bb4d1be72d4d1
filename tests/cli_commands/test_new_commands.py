"""The CLI commands that complete the API's coverage, on a temporary SQLite database."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from erpai.ai_models.models import AIModel
from erpai.cli.main import app
from erpai.compilations.models import ModelHit
from erpai.db import session_factory
from erpai.notifications.service import notify
from erpai.qas.models import ModelQA
from erpai.users.models import ApiToken

runner = CliRunner()


def _run(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def _json(*args: str) -> Any:
    return json.loads(_run(*args, "--json"))


def _fails(*args: str, answer: str | None = None) -> str:
    result = runner.invoke(app, list(args), input=answer)
    assert result.exit_code != 0, result.output
    return result.output


def _company() -> None:
    _run("user", "create", "boss", "--admin")
    _run("user", "create", "jane")
    _run("model", "add", "Company")
    _run("model", "add", "Support", "--parent", "Company")


def test_model_delete_and_hierarchy(cli_db: str) -> None:
    _company()
    assert _run("model", "hierarchy", "Company").splitlines() == ["Company (#1)", "  Support (#2)"]
    assert [n["depth"] for n in _json("model", "hierarchy", "Company")] == [0, 1]
    assert "Aborted" in _fails("model", "delete", "Company", answer="n\n")
    _run("model", "delete", "Company", "--yes")
    with session_factory()() as session:
        assert session.scalars(select(AIModel.name)).all() == ["Support"]
    assert "does not exist" in _fails("model", "delete", "Company", "--yes")


def test_qa_show_update_deactivate(cli_db: str) -> None:
    _company()
    qa = _json("qa", "add", "Support", "-q", "Do you ship abroad?", "-a", "No.")
    assert _json("qa", "show", str(qa["id"]))["answer"] == "No."
    updated = _json("qa", "update", str(qa["id"]), "--answer", "Yes, to the EU.", "--type", "validation")
    assert (updated["answer"], updated["qa_type"]) == ("Yes, to the EU.", "validation")
    assert "may not train model" in _fails("--as", "jane", "qa", "deactivate", str(qa["id"]))
    _run("qa", "deactivate", str(qa["id"]))
    with session_factory()() as session:
        row = session.get(ModelQA, qa["id"])
        assert row is not None and not row.is_active and row.deactivation_time_utc is not None
    assert "question" in _fails("qa", "update", str(qa["id"]), "--question", "  ")


def test_provider_update_reads_the_key_from_the_environment(
    cli_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _run("provider", "add", "gateway", "--base-url", "http://127.0.0.1:9/v1", "--base-model", "m1")
    monkeypatch.setenv("NEW_KEY", "sk-test-abcdefghijklmnop1234")
    updated = runner.invoke(
        app, ["provider", "update", "gateway", "--api-key-env", "NEW_KEY", "--base-model", "m2", "--json"]
    )
    assert updated.exit_code == 0, updated.output
    assert "sk-test-abcdefghijklmnop1234" not in updated.output
    data = json.loads(updated.stdout)
    assert data["base_model_name"] == "m2" and data["has_api_key"] and data["api_key_mask"].endswith("1234")
    assert _json("provider", "update", "gateway", "--clear-api-key")["has_api_key"] is False
    assert "NOPE_KEY" in _fails("provider", "update", "gateway", "--api-key-env", "NOPE_KEY")
    assert _json("provider", "update", "gateway", "--base-url", "http://127.0.0.1:8/v1")["config"][
        "base_url"
    ] == ("http://127.0.0.1:8/v1")


def test_tokens_and_user_show(cli_db: str) -> None:
    _company()
    _run("token", "create", "jane", "--name", "laptop")
    assert _json("user", "show")["login"] == "boss"
    assert _json("--as", "jane", "user", "show")["login"] == "jane"
    (token,) = _json("token", "list", "jane")
    assert token["name"] == "laptop" and token["revoked_time_utc"] is None
    _run("--as", "jane", "token", "revoke", str(token["id"]))
    assert _json("token", "list", "jane")[0]["revoked_time_utc"] is not None
    assert "does not exist" in _fails("token", "revoke", str(token["id"]))  # not boss's token
    with session_factory()() as session:
        assert session.scalars(select(ApiToken.revoked_time_utc)).one() is not None


def test_conversation_update_delete_and_messages(cli_db: str) -> None:
    _company()
    created = _json("conversation", "add", "Support", "-m", "user:Hi", "-m", "assistant:Hello")
    cid = str(created["id"])
    added = _json("conversation", "message", "add", cid, "user[Jane]:Do you ship abroad?")
    assert (added["message_no"], added["name"]) == (3, "Jane")
    changed = _json("conversation", "message", "update", cid, str(added["id"]), "user:Do you ship to Norway?")
    assert changed["content"] == "Do you ship to Norway?"
    _run("conversation", "message", "delete", cid, str(created["messages"][0]["id"]))
    moved = _json("conversation", "update", cid, "--model", "Company", "--notes", "shipping")
    assert (moved["model_id"], moved["notes"], moved["message_count"]) == (1, "shipping", 2)
    _run("conversation", "delete", cid)
    assert "does not exist" in _fails("conversation", "show", cid)


def test_chat_group_show_and_members(cli_db: str) -> None:
    _company()
    group = _json("chat", "group", "add", "Office", "--member", "jane")
    assert _json("chat", "group", "show", "Office")["id"] == group["id"]
    assert [(m["login"], m["role"]) for m in _json("chat", "member", "list", "Office")] == [
        ("boss", "admin"),
        ("jane", "member"),
    ]
    assert _json("chat", "member", "role", "Office", "jane", "observer")["role"] == "observer"
    assert "admin" in _fails("--as", "jane", "chat", "member", "remove", str(group["id"]), "boss")
    _run("chat", "member", "remove", "Office", "jane")
    assert [m["login"] for m in _json("chat", "member", "list", "Office")] == ["boss"]
    assert "no chat group" in _fails("--as", "jane", "chat", "group", "show", "Office")


def test_notifications_hits_audit_and_build_assets(cli_db: str) -> None:
    _company()
    with session_factory()() as session:
        for title in ("first", "second"):
            notify(session, user_id=1, notification_class="NT_TEST", title=title, message=title)
        session.add(ModelHit(model_id=2, channel="openai", question="q?", answer=None, answered=False))
        session.commit()
    listed = _json("notification", "list", "--unread")
    assert [n["title"] for n in listed] == ["second", "first"]
    assert "marked 1 notification read" in _run("notification", "read", str(listed[0]["id"]))
    assert _run("notification", "read", "--all") == "marked 1 notification read\n"
    assert _json("notification", "list", "--unread") == []
    assert "not both" in _fails("notification", "read")

    (hit,) = _json("hits", "Support", "--unanswered")
    assert (hit["channel"], hit["question"]) == ("openai", "q?")
    assert _json("hits", "Support", "--answered") == []
    assert "admin" in _fails("--as", "jane", "hits", "Support")
    entries = _json("audit", "--entity", "model")
    assert {e["action"] for e in entries} == {"create"} and len(entries) == 2
    assert "admin" in _fails("--as", "jane", "audit")
    assert "does not exist" in _fails("build", "assets", "99")
