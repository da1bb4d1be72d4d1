"""``erpai feedback`` and ``erpai inbox`` on a temporary SQLite database."""

from __future__ import annotations

from sqlalchemy import select
from typer.testing import CliRunner

from erpai.ai_models.models import AIModel
from erpai.compilations.models import ModelHit
from erpai.db import session_factory
from erpai.qas.models import ModelQA
from erpai.users.models import User
from tests.cli_helpers import cli_fails, cli_json, cli_ok

runner = CliRunner()


def _hits(*questions: str) -> list[int]:
    with session_factory()() as session:
        model = session.scalars(select(AIModel).where(AIModel.name == "Support")).one()
        jane = session.scalars(select(User).where(User.login == "jane")).one()
        hits = [ModelHit(model_id=model.id, user_id=jane.id, question=q, answered=False) for q in questions]
        session.add_all(hits)
        session.commit()
        return [h.id for h in hits]


def test_feedback_and_inbox_commands(cli_db: str) -> None:
    cli_ok("user", "create", "boss", "--admin")
    cli_ok("user", "create", "jane")
    cli_ok("user", "create", "joe")
    cli_ok("model", "add", "Support")
    first, second, other = _hits("Do you ship abroad?", "do you ship ABROAD", "Gift wrapping?")

    rated = cli_json("--as", "jane", "feedback", str(first), "down", "--reason", "No answer at all.")
    assert (rated["feedback"], rated["feedback_reason"]) == ("down", "No answer at all.")
    assert "may not train" in cli_fails("--as", "joe", "feedback", str(first), "up")
    assert cli_fails("feedback", str(first), "sideways")

    items = cli_json("inbox", "Support")
    assert [(i["count"], i["kinds"]) for i in items] == [(2, ["refused", "thumbs_down"]), (1, ["refused"])]
    assert "thumbs_down" in cli_ok("inbox", "Support")
    assert "may not train" in cli_fails("--as", "jane", "inbox", "Support")
    assert "--resolve" in cli_fails("inbox", "Support", "--answer", "Yes.")
    assert "answer" in cli_fails("inbox", "Support", "--resolve", str(second))

    done = cli_json("inbox", "Support", "--resolve", str(second), "--answer", "Yes, within the EU.")
    assert done["resolved_hits"] == 2
    assert cli_json("inbox", "Support", "--resolve", str(other), "--dismiss")["training_qa_id"] is None
    assert cli_json("inbox", "Support") == []
    with session_factory()() as session:
        rows = session.scalars(select(ModelQA).order_by(ModelQA.id)).all()
        assert [(q.qa_type, q.is_regression, q.answer) for q in rows] == [
            ("T", False, "Yes, within the EU."),
            ("V", True, "Yes, within the EU."),
        ]


def test_provider_build_embeddings_option(cli_db: str) -> None:
    cli_ok("user", "create", "boss", "--admin")
    added = cli_json(
        "provider",
        "add",
        "e5",
        "--base-url",
        "http://127.0.0.1:9/v1",
        "--base-model",
        "none",
        "--embedding-model",
        "e5-small",
        "--build-embeddings",
        "--no-fine-tune",
    )
    assert added["config"]["build_embeddings"] is True
    updated = cli_json("provider", "update", "e5", "--builtin-embeddings")
    assert updated["config"].get("build_embeddings", False) is False
