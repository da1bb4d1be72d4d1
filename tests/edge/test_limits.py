"""File imports apply the same text limits as the API, row by row; the SQLite file is private (0600)."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from sqlalchemy import text

from erpai.db import make_engine
from erpai.limits import ANSWER_MAX, MESSAGE_MAX, NOTES_MAX, QUESTION_MAX
from erpai.qas.io import ImportRejected, parse_csv, parse_jsonl
from erpai.training.io import parse_conversations


def test_csv_rows_over_the_limits_are_row_errors() -> None:
    rows = [
        "question,answer",
        "fine?,yes",
        f"{'q' * (QUESTION_MAX + 1)},yes",
        f"ok?,{'a' * (ANSWER_MAX + 1)}",
        f"  {'q' * QUESTION_MAX}  ,stripped first",
    ]
    parsed, errors = parse_csv("\n".join(rows) + "\n")
    assert [(e.line, e.field) for e in errors] == [(3, "question"), (4, "answer")]
    assert "at most 8000 characters" in errors[0].message
    assert "q" * 50 not in str(errors[0])  # the text itself is not echoed
    assert [r.line for r in parsed] == [2, 5]


def test_jsonl_rows_with_nul_or_lone_surrogates_are_row_errors() -> None:
    lines = ['{"question": "ok?", "answer": "a"}', '{"question": "a\\u0000b", "answer": "a"}']
    lines.append('{"question": "ok?", "answer": "\\ud800"}')
    _, errors = parse_jsonl("\n".join(lines))
    assert [(e.line, e.field) for e in errors] == [(2, "question"), (3, "answer")]


def test_conversation_lines_over_the_limits_are_row_errors() -> None:
    lines = [
        json.dumps({"messages": [{"role": "user", "content": "hi"}]}),
        json.dumps({"messages": [{"role": "user", "content": "m" * 1_000_000}]}),
        json.dumps({"messages": [{"content": "hi"}], "notes": "n" * (NOTES_MAX + 1)}),
        json.dumps({"messages": [{"content": "x"}] * 1_001}),
        json.dumps({"messages": [{"content": "c" * MESSAGE_MAX}]}),
    ]
    with pytest.raises(ImportRejected) as rejected:
        parse_conversations("\n".join(lines))
    assert [(e.line, e.field) for e in rejected.value.errors] == [
        (2, "messages.0.content"),
        (3, "notes"),
        (4, "messages"),
    ]


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_sqlite_file_and_its_wal_are_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "erpai.db"
    engine = make_engine(f"sqlite:///{path.as_posix()}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
        conn.execute(text("INSERT INTO t VALUES (1)"))
        wal = [tmp_path / "erpai.db-wal", tmp_path / "erpai.db-shm"]
        assert all(p.exists() for p in wal)
        assert [_mode(p) for p in [path, *wal]] == [0o600] * 3
    engine.dispose()


def test_an_existing_world_readable_database_is_made_private(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    path.touch(mode=0o644)
    path.chmod(0o644)
    make_engine(f"sqlite:///{path.as_posix()}").dispose()
    assert _mode(path) == 0o600
