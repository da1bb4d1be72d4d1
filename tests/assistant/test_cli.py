"""``erpai assistant new|ask|list|show|context|instructions|debug`` and the fine-tune refusal in the CLI."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from tests.cli_helpers import cli_fails, cli_json, cli_ok

runner = CliRunner()


def test_assistant_session_from_the_shell(cli_db: str, tmp_path: Path) -> None:
    cli_ok("user", "create", "boss", "--admin")
    cli_ok("user", "create", "jane")
    cli_ok("model", "add", "Helper")
    assert "cannot be fine-tuned" in cli_fails("compile", "Helper", "--kind", "fine-tune", "--as", "boss")

    first = cli_json("assistant", "new", "--model", "Helper", "--as", "jane")
    assert first["is_active"] is True and first["title"] == "New conversation"
    reply = cli_json("assistant", "ask", "Where is the canteen on the second floor?", "--as", "jane")
    assert reply["conversation_id"] == first["id"] and reply["answered"] is False
    assert "needs a chat provider" in reply["message"]["content"]
    assert reply["title"] == "Where is the canteen on the second floor?"

    page = tmp_path / "page.json"
    page.write_text(json.dumps({"title": "Customers", "objects": [{"name": "ACME"}, {"name": "Globex"}]}))
    assert cli_ok("assistant", "context", str(page), "--as", "jane").strip() == (
        "Context data uploaded for: Customers"
    )
    shown = cli_json("assistant", "show", str(first["id"]), "--as", "jane")
    assert [m["role"] for m in shown["messages"]] == ["user", "assistant", "assistant"]
    assert "does not exist" in cli_fails("assistant", "show", str(first["id"]), "--as", "boss")
    reply_id = str(reply["message"]["id"])
    conversation_id = str(first["id"])
    rated = cli_json(
        "assistant", "rate", conversation_id, reply_id, "down", "--reason", "wrong", "--as", "jane"
    )
    assert rated["feedback"] == "down" and rated["feedback_reason"] == "wrong"
    assert "does not exist" in cli_fails(
        "assistant", "rate", str(first["id"]), reply_id, "up", "--as", "boss"
    )
    assert cli_json("assistant", "list", "--as", "boss") == []

    second = cli_json("assistant", "new", "--model", "Helper", "--as", "jane")
    listed = cli_json("assistant", "list", "--as", "jane")
    assert [(c["id"], c["is_active"]) for c in listed] == [(second["id"], True), (first["id"], False)]

    cli_ok("setting", "set", "ai.assistant.additional_instructions", "Be formal.", "--as", "boss")
    assert cli_json("assistant", "instructions", "record", "--as", "jane")[0]["instructions"] == "Be formal."
    own = cli_json("assistant", "instructions", "record", "--set", "Use bullets.", "--as", "jane")
    assert own == [{"form_kind": "record", "instructions": "Use bullets.", "is_default": False}]
    cleared = cli_json("assistant", "instructions", "record", "--clear", "--as", "jane")
    assert cleared == [{"form_kind": "record", "instructions": "Be formal.", "is_default": True}]
    assert "form kind" in cli_fails("assistant", "instructions", "--set", "x", "--as", "jane")

    assert cli_json("assistant", "debug", "--on", "--as", "jane") == {"debug": True, "diagnostics": False}
    assert cli_json("assistant", "debug", "--as", "boss") == {"debug": False, "diagnostics": False}
