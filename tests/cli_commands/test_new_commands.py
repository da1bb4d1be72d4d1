"""The CLI commands that complete the API's coverage, on a temporary SQLite database."""

from __future__ import annotations

import json

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
from tests.cli_helpers import cli_fails, cli_json, cli_ok

runner = CliRunner()


def _company() -> None:
    cli_ok("user", "create", "boss", "--admin")
    cli_ok("user", "create", "jane")
    cli_ok("model", "add", "Company")
    cli_ok("model", "add", "Support", "--parent", "Company")


def test_model_delete_and_hierarchy(cli_db: str) -> None:
    _company()
    assert cli_ok("model", "hierarchy", "Company").splitlines() == ["Company (#1)", "  Support (#2)"]
    assert [n["depth"] for n in cli_json("model", "hierarchy", "Company")] == [0, 1]
    assert "Aborted" in cli_fails("model", "delete", "Company", answer="n\n")
    cli_ok("model", "delete", "Company", "--yes")
    with session_factory()() as session:
        assert session.scalars(select(AIModel.name)).all() == ["Support"]
    assert "does not exist" in cli_fails("model", "delete", "Company", "--yes")


def test_qa_show_update_deactivate(cli_db: str) -> None:
    _company()
    qa = cli_json("qa", "add", "Support", "-q", "Do you ship abroad?", "-a", "No.")
    assert cli_json("qa", "show", str(qa["id"]))["answer"] == "No."
    updated = cli_json("qa", "update", str(qa["id"]), "--answer", "Yes, to the EU.", "--type", "validation")
    assert (updated["answer"], updated["qa_type"]) == ("Yes, to the EU.", "validation")
    assert "may not train model" in cli_fails("--as", "jane", "qa", "deactivate", str(qa["id"]))
    cli_ok("qa", "deactivate", str(qa["id"]))
    with session_factory()() as session:
        row = session.get(ModelQA, qa["id"])
        assert row is not None and not row.is_active and row.deactivation_time_utc is not None
    assert "question" in cli_fails("qa", "update", str(qa["id"]), "--question", "  ")


def test_provider_update_reads_the_key_from_the_environment(
    cli_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli_ok("provider", "add", "gateway", "--base-url", "http://127.0.0.1:9/v1", "--base-model", "m1")
    monkeypatch.setenv("NEW_KEY", "sk-test-abcdefghijklmnop1234")
    updated = runner.invoke(
        app, ["provider", "update", "gateway", "--api-key-env", "NEW_KEY", "--base-model", "m2", "--json"]
    )
    assert updated.exit_code == 0, updated.output
    assert "sk-test-abcdefghijklmnop1234" not in updated.output
    data = json.loads(updated.stdout)
    assert data["base_model_name"] == "m2" and data["has_api_key"] and data["api_key_mask"].endswith("1234")
    assert cli_json("provider", "update", "gateway", "--clear-api-key")["has_api_key"] is False
    assert "NOPE_KEY" in cli_fails("provider", "update", "gateway", "--api-key-env", "NOPE_KEY")
    assert cli_json("provider", "update", "gateway", "--base-url", "http://127.0.0.1:8/v1")["config"][
        "base_url"
    ] == ("http://127.0.0.1:8/v1")


def test_tokens_and_user_show(cli_db: str) -> None:
    _company()
    cli_ok("token", "create", "jane", "--name", "laptop")
    assert cli_json("user", "show")["login"] == "boss"
    assert cli_json("--as", "jane", "user", "show")["login"] == "jane"
    (token,) = cli_json("token", "list", "jane")
    assert token["name"] == "laptop" and token["revoked_time_utc"] is None
    cli_ok("--as", "jane", "token", "revoke", str(token["id"]))
    assert cli_json("token", "list", "jane")[0]["revoked_time_utc"] is not None
    assert "does not exist" in cli_fails("token", "revoke", str(token["id"]))  # not boss's token
    with session_factory()() as session:
        assert session.scalars(select(ApiToken.revoked_time_utc)).one() is not None


def test_conversation_update_delete_and_messages(cli_db: str) -> None:
    _company()
    created = cli_json("conversation", "add", "Support", "-m", "user:Hi", "-m", "assistant:Hello")
    cid = str(created["id"])
    added = cli_json("conversation", "message", "add", cid, "user[Jane]:Do you ship abroad?")
    assert (added["message_no"], added["name"]) == (3, "Jane")
    changed = cli_json(
        "conversation", "message", "update", cid, str(added["id"]), "user:Do you ship to Norway?"
    )
    assert changed["content"] == "Do you ship to Norway?"
    cli_ok("conversation", "message", "delete", cid, str(created["messages"][0]["id"]))
    moved = cli_json("conversation", "update", cid, "--model", "Company", "--notes", "shipping")
    assert (moved["model_id"], moved["notes"], moved["message_count"]) == (1, "shipping", 2)
    cli_ok("conversation", "delete", cid)
    assert "does not exist" in cli_fails("conversation", "show", cid)


def test_chat_group_show_and_members(cli_db: str) -> None:
    _company()
    group = cli_json("chat", "group", "add", "Office", "--member", "jane")
    assert cli_json("chat", "group", "show", "Office")["id"] == group["id"]
    assert [(m["login"], m["role"]) for m in cli_json("chat", "member", "list", "Office")] == [
        ("boss", "admin"),
        ("jane", "member"),
    ]
    assert cli_json("chat", "member", "role", "Office", "jane", "observer")["role"] == "observer"
    assert "admin" in cli_fails("--as", "jane", "chat", "member", "remove", str(group["id"]), "boss")
    cli_ok("chat", "member", "remove", "Office", "jane")
    assert [m["login"] for m in cli_json("chat", "member", "list", "Office")] == ["boss"]
    assert "no chat group" in cli_fails("--as", "jane", "chat", "group", "show", "Office")


def test_notifications_hits_audit_and_build_assets(cli_db: str) -> None:
    _company()
    with session_factory()() as session:
        for title in ("first", "second"):
            notify(session, user_id=1, notification_class="NT_TEST", title=title, message=title)
        row = ModelHit(model_id=2, channel="openai", question="q?", answer=None, answered=False)
        row.from_memory = True
        session.add(row)
        session.commit()
    listed = cli_json("notification", "list", "--unread")
    assert [n["title"] for n in listed] == ["second", "first"]
    assert "marked 1 notification read" in cli_ok("notification", "read", str(listed[0]["id"]))
    assert cli_ok("notification", "read", "--all") == "marked 1 notification read\n"
    assert cli_json("notification", "list", "--unread") == []
    assert "not both" in cli_fails("notification", "read")

    (hit,) = cli_json("hits", "Support", "--unanswered")
    assert (hit["channel"], hit["question"], hit["from_memory"]) == ("openai", "q?", True)
    assert cli_json("hits", "Support", "--answered") == []
    assert "admin" in cli_fails("--as", "jane", "hits", "Support")
    entries = cli_json("audit", "--entity", "model")
    assert {e["action"] for e in entries} == {"create"} and len(entries) == 2
    assert "admin" in cli_fails("--as", "jane", "audit")
    assert "does not exist" in cli_fails("build", "assets", "99")
