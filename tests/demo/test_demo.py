"""`erpai demo` is what `make run` runs: it must load once, compile, and be safe to run again."""

from __future__ import annotations

import json

from sqlalchemy import func, select
from typer.testing import CliRunner

from erpai.ai_models.models import AIModel
from erpai.chat.models import ChatGroup
from erpai.cli.main import app
from erpai.db import session_factory
from erpai.qas.models import ModelQA
from erpai.users.models import ApiToken

runner = CliRunner()


def _counts() -> tuple[int, int, int, int]:
    with session_factory()() as session:
        live_tokens = select(func.count()).select_from(ApiToken).where(ApiToken.revoked_time_utc.is_(None))
        return (
            session.scalar(select(func.count()).select_from(AIModel)) or 0,
            session.scalar(select(func.count()).select_from(ModelQA)) or 0,
            session.scalar(select(func.count()).select_from(ChatGroup)) or 0,
            session.scalar(live_tokens) or 0,
        )


def test_demo_loads_compiles_and_runs_twice_without_duplicates(cli_db: str) -> None:
    first = runner.invoke(app, ["demo", "--json"])
    assert first.exit_code == 0, first.output
    summary = json.loads(first.output)
    assert summary["created"] is True and summary["compiled"] == 3
    assert summary["admin_token"].startswith("erp_")
    counts = _counts()
    assert counts[:3] == (3, 36, 1) and counts[3] == 1

    second = runner.invoke(app, ["demo", "--json"])
    assert second.exit_code == 0, second.output
    again = json.loads(second.output)
    assert again["created"] is False and again["compiled"] == 0
    assert again["admin_token"] != summary["admin_token"]
    assert _counts() == counts  # nothing duplicated; the old demo token was revoked for the new one

    asked = runner.invoke(app, ["ask", "Northwind Sales", "Is there a discount for big orders?", "--json"])
    assert asked.exit_code == 0, asked.output
    assert json.loads(asked.output)["answer"].startswith("Orders above 500 kg")
