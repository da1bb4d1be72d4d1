from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from typer.testing import CliRunner

from erpai.ai_models.models import AIModel
from erpai.cli.main import app
from erpai.db import session_factory
from erpai.qas.models import ModelQA
from erpai.users.models import User
from erpai.users.schemas import UserCreate
from erpai.users.service import create_user
from tests.conftest import grant_right

runner = CliRunner()


def _seed(*, admin: bool = True) -> tuple[int, int]:
    """An admin 'boss' (unless admin=False), a member 'jane' and the model 'Support' that jane trains."""
    with session_factory()() as session:
        if admin:
            create_user(session, data=UserCreate(login="boss", name="Boss", is_admin=True), actor_id=None)
        jane = create_user(session, data=UserCreate(login="jane", name="Jane"), actor_id=None)
        model = AIModel(name="Support")
        session.add(model)
        session.commit()
        grant_right(session, model_id=model.id, user=jane)
        return model.id, jane.id


def _ok(*args: str) -> Any:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout) if "--json" in args else result.stdout


def _qas(model_id: int) -> list[ModelQA]:
    with session_factory()() as session:
        return list(session.scalars(select(ModelQA).where(ModelQA.model_id == model_id).order_by(ModelQA.id)))


def test_add_acts_as_first_admin_or_the_named_user(cli_db: str, monkeypatch: Any) -> None:
    model_id, jane_id = _seed()
    by_admin = _ok("qa", "add", "Support", "--question", "Hours?", "--answer", "9-5", "--json")
    assert by_admin["added_by_user_id"] != jane_id and by_admin["qa_type"] == "training"
    by_jane = _ok("qa", "add", str(model_id), "-q", "Salary?", "--validation", "--as", "jane", "--json")
    assert (
        by_jane["added_by_user_id"] == jane_id
        and by_jane["answer"] == ""
        and by_jane["qa_type"] == "validation"
    )
    assert (
        _ok("--as", "jane", "qa", "add", "Support", "-q", "Global?", "--json")["added_by_user_id"] == jane_id
    )
    monkeypatch.setenv("ERPAI_USER", "jane")
    assert _ok("qa", "add", "Support", "-q", "Env?", "--json")["added_by_user_id"] == jane_id
    unknown = runner.invoke(app, ["qa", "add", "Support", "-q", "X?", "--as", "nobody"])
    assert unknown.exit_code != 0 and "nobody" in unknown.output
    blank = runner.invoke(app, ["qa", "add", "Support", "-q", "  "])
    assert blank.exit_code != 0 and "question" in blank.output
    assert len(_qas(model_id)) == 4


def test_without_any_admin_the_error_says_how_to_create_one(cli_db: str) -> None:
    model_id, _ = _seed(admin=False)
    result = runner.invoke(app, ["qa", "add", "Support", "-q", "Hours?"])
    assert result.exit_code != 0
    assert "erpai user create" in result.output and "--admin" in result.output
    assert _qas(model_id) == []


def test_import_export_list(cli_db: str, tmp_path: Path) -> None:
    model_id, _ = _seed()
    source = tmp_path / "qas.csv"
    source.write_text("question,answer,qa_type\nHours?,9-5,training\nSalary?,,validation\n", encoding="utf-8")
    assert "imported 2" in _ok("qa", "import", "Support", str(source))
    listed = _ok("qa", "list", "Support", "--type", "validation", "--json")
    assert [q["question"] for q in listed] == ["Salary?"]
    assert "Hours?" in _ok("qa", "list", "Support")

    out = tmp_path / "out.jsonl"
    _ok("qa", "export", "Support", "--out", str(out))
    assert [json.loads(line)["question"] for line in out.read_text().splitlines()] == ["Hours?", "Salary?"]
    stdout = _ok("qa", "export", "Support", "--format", "csv", "--type", "training")
    assert stdout.splitlines() == [
        "question,answer,section,qa_type,is_active",
        "Hours?,9-5,General,training,true",
    ]
    assert len(_qas(model_id)) == 2


def test_import_with_bad_rows_prints_each_and_imports_nothing(cli_db: str, tmp_path: Path) -> None:
    model_id, _ = _seed()
    source = tmp_path / "bad.jsonl"
    source.write_text('{"question": "ok", "answer": "A"}\n{"question": "", "answer": "A"}\nnot json\n')
    result = runner.invoke(app, ["qa", "import", "Support", str(source)])
    assert result.exit_code == 1
    assert (
        "line 2 (question)" in result.output
        and "line 3" in result.output
        and "nothing was imported" in result.output
    )
    assert _qas(model_id) == []
    unknown_format = tmp_path / "qas.txt"
    unknown_format.write_text("question,answer\nQ,A\n")
    assert runner.invoke(app, ["qa", "import", "Support", str(unknown_format)]).exit_code != 0
    assert "imported 1" in _ok("qa", "import", "Support", str(unknown_format), "--format", "csv")


def test_delete_needs_a_trainer_or_an_admin(cli_db: str) -> None:
    model_id, _ = _seed()
    with session_factory()() as session:
        create_user(session, data=UserCreate(login="otto", name="Otto"), actor_id=None)
    qa = _ok("qa", "add", "Support", "-q", "Hours?", "--as", "jane", "--json")
    refused = runner.invoke(app, ["qa", "delete", str(qa["id"]), "--as", "otto"])
    assert refused.exit_code != 0 and "train right" in refused.output
    _ok("qa", "delete", str(qa["id"]), "--as", "jane")
    assert _qas(model_id) == []
    with session_factory()() as session:
        assert session.scalar(select(func.count()).select_from(User)) == 3
