"""``erpai model export|import`` and ``erpai export ...`` on a temporary SQLite database."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from erpai.ai_models.models import AIModel
from erpai.cli.main import app
from erpai.db import session_factory
from erpai.qas.models import ModelQA
from erpai.training.models import PreferencePair, TrainingConversation
from erpai.training.schemas import MessageIn
from erpai.training.service import create_conversation
from tests.compilations.factories import admin_with_token, local_provider, model_with_qas

runner = CliRunner()


def _source() -> int:
    with session_factory()() as session:
        user, _ = admin_with_token(session)
        parent = model_with_qas(session, name="Company", user=user, provider=None, qas=[], validation=[])
        model = model_with_qas(
            session, name="Support", user=user, provider=local_provider(session), parent=parent
        )
        model.fallback_answer = "Ask the help desk."
        messages = [
            MessageIn(role="user", name="Jane", content="Do you ship abroad?"),
            MessageIn(role="assistant", content="No."),
            MessageIn(role="user", name="Bob", content="We do, to the EU."),
        ]
        conversation = create_conversation(session, model_id=model.id, messages=messages, actor=user)
        session.add(
            PreferencePair(
                training_conversation_id=conversation.id,
                prompt="Do you ship abroad?",
                rejected_answer="No.",
                corrected_answer="We do, to the EU.",
            )
        )
        session.commit()
        return model.id


def _content(model_id: int) -> tuple[list[tuple[str, str, str, bool]], list[list[str]], list[str]]:
    with session_factory()() as session:
        qas = session.execute(
            select(ModelQA.question, ModelQA.answer, ModelQA.qa_type, ModelQA.is_active)
            .where(ModelQA.model_id == model_id)
            .order_by(ModelQA.id)
        )
        conversations = session.scalars(
            select(TrainingConversation).where(TrainingConversation.model_id == model_id)
        )
        texts = [[m.contents for m in c.messages] for c in conversations]
        pairs = session.scalars(
            select(PreferencePair.corrected_answer)
            .join(TrainingConversation)
            .where(TrainingConversation.model_id == model_id)
        )
        return [tuple(r) for r in qas], texts, list(pairs)  # type: ignore[misc]


def test_model_export_then_import_under_a_new_name(cli_db: str, tmp_path: Path) -> None:
    source_id = _source()
    bundle = tmp_path / "support.erpai.jsonl"
    exported = runner.invoke(app, ["model", "export", "Support", "--out", str(bundle)])
    assert exported.exit_code == 0, exported.output
    header = json.loads(bundle.read_text().splitlines()[0])
    assert header["model"]["parent"] == "Company" and header["model"]["provider"] == "Local"

    clash = runner.invoke(app, ["model", "import", str(bundle)])
    assert clash.exit_code == 1 and "already exists" in clash.output

    imported = runner.invoke(app, ["model", "import", str(bundle), "--name", "Support copy", "--json"])
    assert imported.exit_code == 0, imported.output
    result = json.loads(imported.stdout)
    assert (result["qas"], result["conversations"], result["preference_pairs"]) == (11, 1, 1)
    assert result["model_id"] != source_id
    with session_factory()() as session:
        copy = session.get(AIModel, result["model_id"])
        assert (
            copy is not None and copy.name == "Support copy" and copy.fallback_answer == "Ask the help desk."
        )
        parent = session.scalar(select(AIModel.id).where(AIModel.name == "Company"))
        assert copy.parent_model_id == parent and copy.provider_id is not None
    assert _content(result["model_id"]) == _content(source_id)


def test_a_bad_model_file_is_refused_whole_with_line_numbers(cli_db: str, tmp_path: Path) -> None:
    _source()
    bad = tmp_path / "bad.jsonl"
    header = {"kind": "erpai-model", "version": 1, "model": {"name": "Broken"}}
    lines = [
        header,
        {"kind": "qa", "question": "ok?", "answer": "yes"},
        {"kind": "qa", "answer": "no question"},
    ]
    bad.write_text("\n".join(json.dumps(x) for x in lines) + "\nnot json\n")
    result = runner.invoke(app, ["model", "import", str(bad)])
    assert result.exit_code == 1
    assert "line 3" in result.output and "line 4" in result.output
    with session_factory()() as session:
        assert session.scalar(select(AIModel).where(AIModel.name == "Broken")) is None


def test_export_commands(cli_db: str, tmp_path: Path) -> None:
    model_id = _source()
    out = tmp_path / "train.jsonl"
    training = runner.invoke(app, ["export", "training", "Support", "--format", "openai", "--out", str(out)])
    assert training.exit_code == 0, training.output
    examples = [json.loads(line) for line in out.read_text().splitlines()]
    assert examples[0]["messages"][0]["role"] == "system"
    dpo = runner.invoke(app, ["export", "training", str(model_id), "--dpo"])
    (pair,) = [json.loads(line) for line in dpo.stdout.splitlines()]
    assert pair["preferred_output"] == [{"role": "assistant", "content": "We do, to the EU."}]
    refused = runner.invoke(app, ["export", "training", "Support", "--format", "csv"])
    assert refused.exit_code != 0

    conversations = runner.invoke(app, ["export", "conversations", "Support"])
    assert json.loads(conversations.stdout)["messages"][0]["name"] == "Jane"
    hits = runner.invoke(
        app, ["export", "hits", "--model", "Support", "--channel", "openai", "--format", "jsonl"]
    )
    assert hits.exit_code == 0 and hits.stdout == ""
    member = runner.invoke(app, ["user", "create", "jane"])
    assert member.exit_code == 0
    forbidden = runner.invoke(app, ["export", "hits", "--as", "jane"])
    assert forbidden.exit_code == 1 and "admin" in forbidden.output
