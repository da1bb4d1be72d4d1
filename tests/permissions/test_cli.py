"""``erpai model grant / revoke / grants``, and CLI commands acting as a user who lacks a right."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from erpai.ai_models.models import AIModel
from erpai.cli.main import app
from erpai.db import session_factory
from erpai.users.models import User, UserType
from erpai.users.schemas import UserCreate
from erpai.users.service import create_user

runner = CliRunner()


def _seed() -> None:
    with session_factory()() as session:
        create_user(session, data=UserCreate(login="boss", name="Boss", is_admin=True), actor_id=None)
        create_user(session, data=UserCreate(login="jane", name="Jane"), actor_id=None)
        session.add_all(
            [AIModel(name="Support"), User(login="bot", name="Bot", user_type=UserType.VIRTUAL.value)]
        )
        session.commit()


def _run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_grant_list_and_revoke(cli_db: str) -> None:
    _seed()
    code, out = _run("qa", "add", "Support", "-q", "Hours?", "--as", "jane")
    assert code != 0 and "train right" in out
    assert _run("model", "grant", "Support", "jane", "--train") == (
        0,
        "granted train on model 'Support' to jane\n",
    )
    assert _run("qa", "add", "Support", "-q", "Hours?", "--as", "jane")[0] == 0
    assert _run("model", "grant", "Support", "jane", "--use")[0] == 0
    code, out = _run("model", "grants", "Support", "--json")
    assert code == 0 and [(g["user_login"], g["right"]) for g in json.loads(out)] == [
        ("jane", "train"),
        ("jane", "use"),
    ]
    assert "jane" in _run("model", "grants", "Support")[1]
    assert _run("model", "revoke", "Support", "jane", "--train")[0] == 0
    code, out = _run("qa", "list", "Support", "--as", "jane")
    assert code != 0 and "train right" in out
    code, out = _run("model", "revoke", "Support", "jane", "--train")
    assert code != 0 and "no train right" in out


def test_grant_refusals(cli_db: str) -> None:
    _seed()
    code, out = _run("model", "grant", "Support", "jane", "--train", "--use")
    assert code != 0 and "exactly one" in out
    assert _run("model", "grant", "Support", "jane")[0] != 0
    code, out = _run("model", "grant", "Support", "bot", "--use")
    assert code != 0 and "virtual" in out
    code, out = _run("model", "grant", "Support", "jane", "--train", "--as", "jane")
    assert code != 0 and "admin" in out
    code, out = _run("model", "grants", "Support", "--as", "jane")
    assert code != 0 and "admin" in out
    assert _run("model", "grant", "Support", "nobody", "--use")[0] != 0
    assert _run("model", "grant", "Support", "jane", "--use")[0] == 0
    code, out = _run("model", "grant", "Support", "jane", "--use")
    assert code != 0 and "already" in out


def test_compiling_and_activating_need_an_admin(cli_db: str) -> None:
    _seed()
    for command in (["compile", "Support"], ["build", "activate", "1"], ["build", "cancel", "1"]):
        code, out = _run(*command, "--as", "jane")
        assert code != 0 and "admin" in out, command
