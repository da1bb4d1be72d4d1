from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from typer.testing import CliRunner

from erpai.ai_models.models import AIModel
from erpai.cli.main import app
from erpai.db import session_factory
from erpai.providers.models import Provider
from erpai.users.models import User

runner = CliRunner()


def _ok(*args: str) -> Any:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout) if "--json" in args else result.stdout


def _fails(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code != 0
    return result.output


def _add_provider(name: str) -> int:
    with session_factory()() as session:
        provider = Provider(name=name, kind="local", base_model_name="minilm")
        session.add(provider)
        session.commit()
        return provider.id


def test_add_list_show_update(cli_db: str) -> None:
    provider_id = _add_provider("local")
    master = _ok("model", "add", "Master", "--provider", "local", "--default", "--json")
    assert master["provider_id"] == provider_id and master["is_default"] is True
    sales = _ok(
        "model", "add", "Sales", "--parent", "Master", "--system-message", "Be brief.",
        "--no-build-assistant", "--quality-gate-margin", "0.05", "--json",
    )  # fmt: skip
    assert sales["parent_model_id"] == master["id"] and sales["build_assistant"] is False
    assert sales["quality_gate_margin"] == 0.05

    assert [m["name"] for m in _ok("model", "list", "--json")] == ["Master", "Sales"]
    assert "Sales" in _ok("model", "list")
    assert _ok("model", "show", str(sales["id"]), "--json")["name"] == "Sales"
    assert "system_message" in _ok("model", "show", "Sales")

    updated = _ok(
        "model", "update", "Sales", "--name", "Sales EU", "--default", "--parent", "", "--system-message", "",
        "--provider", str(provider_id), "--json",
    )  # fmt: skip
    assert updated["name"] == "Sales EU" and updated["is_default"] is True
    assert updated["parent_model_id"] is None and updated["system_message"] is None
    assert updated["provider_id"] == provider_id
    # Only the options given change: the margin set on add is kept.
    assert updated["quality_gate_margin"] == 0.05
    assert _ok("model", "show", "Master", "--json")["is_default"] is False


def test_virtual_user_created_on_the_fly(cli_db: str) -> None:
    assert "--create-virtual-user" in _fails("model", "add", "Sales", "--virtual-user", "sales-bot")
    model = _ok("model", "add", "Sales", "--virtual-user", "sales-bot", "--create-virtual-user", "--json")
    with session_factory()() as session:
        bot = session.scalar(select(User).where(User.login == "sales-bot"))
        assert bot is not None and bot.user_type == "VIR" and model["virtual_user_id"] == bot.id
    # A second model cannot share it.
    assert "virtual_user_id" in _fails("model", "add", "Support", "--virtual-user", "sales-bot")


def test_failed_add_leaves_no_virtual_user_behind(cli_db: str) -> None:
    _ok("model", "add", "Sales")
    output = _fails("model", "add", "Sales", "--virtual-user", "bot", "--create-virtual-user")
    assert "already exists" in output
    with session_factory()() as session:
        assert session.scalar(select(User).where(User.login == "bot")) is None
        assert len(list(session.scalars(select(AIModel)))) == 1


def test_errors_exit_non_zero_with_a_message(cli_db: str) -> None:
    assert "does not exist" in _fails("model", "show", "Nope")
    assert "does not exist" in _fails("model", "add", "A", "--provider", "nope")
    assert "does not exist" in _fails("model", "add", "A", "--parent", "Nope")
    _ok("model", "add", "Master")
    _ok("model", "add", "Sales", "--parent", "Master")
    assert "cycle" in _fails("model", "update", "Master", "--parent", "Sales")
    assert "quality_gate_margin" in _fails("model", "update", "Master", "--quality-gate-margin", "3")


def test_update_operating_point(cli_db: str) -> None:
    _ok("model", "add", "Ops", "--operating-point", "answer-more")
    shown = _ok("model", "update", "Ops", "--operating-point", "0.8", "--json")
    assert shown["operating_point"] == "0.8"
    assert "operating_point" in _fails("model", "update", "Ops", "--operating-point", "often")
