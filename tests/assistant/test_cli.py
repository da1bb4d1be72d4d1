"""``erpai assistant new|ask|list|show|context|instructions|debug`` and the fine-tune refusal in the CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from erpai.cli.main import app

runner = CliRunner()


def _run(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def _json(*args: str) -> Any:
    return json.loads(_run(*args, "--json"))


def _fails(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code != 0, result.output
    return result.output


def test_assistant_session_from_the_shell(cli_db: str, tmp_path: Path) -> None:
    _run("user", "create", "boss", "--admin")
    _run("user", "create", "jane")
    _run("model", "add", "Helper")
    assert "cannot be fine-tuned" in _fails("compile", "Helper", "--kind", "fine-tune", "--as", "boss")

    first = _json("assistant", "new", "--model", "Helper", "--as", "jane")
    assert first["is_active"] is True and first["title"] == "New conversation"
    reply = _json("assistant", "ask", "Where is the canteen on the second floor?", "--as", "jane")
    assert reply["conversation_id"] == first["id"] and reply["answered"] is False
    assert "needs a chat provider" in reply["message"]["content"]
    assert reply["title"] == "Where is the canteen on the second floor?"

    page = tmp_path / "page.json"
    page.write_text(json.dumps({"title": "Customers", "objects": [{"name": "ACME"}, {"name": "Globex"}]}))
    assert _run("assistant", "context", str(page), "--as", "jane").strip() == (
        "Context data uploaded for: Customers"
    )
    shown = _json("assistant", "show", str(first["id"]), "--as", "jane")
    assert [m["role"] for m in shown["messages"]] == ["user", "assistant", "assistant"]
    assert "does not exist" in _fails("assistant", "show", str(first["id"]), "--as", "boss")
    reply_id = str(reply["message"]["id"])
    conversation_id = str(first["id"])
    rated = _json("assistant", "rate", conversation_id, reply_id, "down", "--reason", "wrong", "--as", "jane")
    assert rated["feedback"] == "down" and rated["feedback_reason"] == "wrong"
    assert "does not exist" in _fails("assistant", "rate", str(first["id"]), reply_id, "up", "--as", "boss")
    assert _json("assistant", "list", "--as", "boss") == []

    second = _json("assistant", "new", "--model", "Helper", "--as", "jane")
    listed = _json("assistant", "list", "--as", "jane")
    assert [(c["id"], c["is_active"]) for c in listed] == [(second["id"], True), (first["id"], False)]

    _run("setting", "set", "ai.assistant.additional_instructions", "Be formal.", "--as", "boss")
    assert _json("assistant", "instructions", "record", "--as", "jane")[0]["instructions"] == "Be formal."
    own = _json("assistant", "instructions", "record", "--set", "Use bullets.", "--as", "jane")
    assert own == [{"form_kind": "record", "instructions": "Use bullets.", "is_default": False}]
    cleared = _json("assistant", "instructions", "record", "--clear", "--as", "jane")
    assert cleared == [{"form_kind": "record", "instructions": "Be formal.", "is_default": True}]
    assert "form kind" in _fails("assistant", "instructions", "--set", "x", "--as", "jane")

    assert _json("assistant", "debug", "--on", "--as", "jane") == {"debug": True, "diagnostics": False}
    assert _json("assistant", "debug", "--as", "boss") == {"debug": False, "diagnostics": False}
