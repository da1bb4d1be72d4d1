from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from erpai.ai_models.models import AIModel
from erpai.cli.main import app
from erpai.db import session_factory
from erpai.users.schemas import UserCreate
from erpai.users.service import create_user

runner = CliRunner()


def _seed() -> int:
    with session_factory()() as session:
        admin = create_user(session, data=UserCreate(login="boss", name="Boss", is_admin=True), actor_id=None)
        session.add(AIModel(name="Marketing"))
        session.commit()
        return admin.id


def _ok(*args: str) -> Any:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout) if "--json" in args else result.stdout


def test_add_parses_roles_and_names(cli_db: str) -> None:
    admin_id = _seed()
    created = _ok(
        "conversation", "add", "Marketing",
        "--message", "user[Jacob Turner]:What is our B2B focus?",
        "-m", "assistant:Mid-size manufacturers:\nmostly in the EU.",
        "-m", "System:Be brief.",
        "--json",
    )  # fmt: skip
    assert created["created_by_user_id"] == admin_id and created["origin"] == "user_entered"
    assert [(m["message_no"], m["role"], m["name"]) for m in created["messages"]] == [
        (1, "user", "Jacob Turner"),
        (2, "assistant", None),
        (3, "system", None),
    ]
    assert created["messages"][1]["content"] == "Mid-size manufacturers:\nmostly in the EU."
    shown = _ok("conversation", "show", str(created["id"]))
    assert "1. user[Jacob Turner]: What is our B2B focus?" in shown


def test_add_rejects_bad_message_specs(cli_db: str) -> None:
    _seed()
    for spec in ("robot:hi", "no role here", "user:   "):
        result = runner.invoke(app, ["conversation", "add", "Marketing", "-m", "user:ok", "-m", spec])
        assert result.exit_code != 0 and "--message #2" in result.output, spec
    assert _ok("conversation", "list", "Marketing", "--json") == []


def test_import_and_list(cli_db: str, tmp_path: Path) -> None:
    _seed()
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        '{"messages": [{"role": "user", "content": "Q"}]}\n{"messages": [{"role": "x", "content": "Q"}]}\n'
    )
    result = runner.invoke(app, ["conversation", "import", "Marketing", str(bad)])
    assert result.exit_code == 1 and "line 2 (messages.0.role)" in result.output
    assert _ok("conversation", "list", "Marketing", "--json") == []

    good = tmp_path / "good.jsonl"
    lines = [
        {
            "messages": [
                {"role": "user", "name": "Ann", "content": "Q1"},
                {"role": "assistant", "content": "A1"},
            ]
        },
        {"messages": [{"role": "user", "content": "Q2"}], "notes": "open question"},
    ]
    good.write_text("\n".join(json.dumps(line) for line in lines))
    assert "imported 2" in _ok("conversation", "import", "Marketing", str(good))
    listed = _ok("conversation", "list", "Marketing", "--json")
    assert [(c["message_count"], c["notes"]) for c in listed] == [(2, None), (1, "open question")]
    assert "open" in _ok("conversation", "list", "Marketing")
    missing = runner.invoke(app, ["conversation", "list", "Nope"])
    assert missing.exit_code != 0 and "Nope" in missing.output
