"""SQLite writers take turns through the writer gate: across engines (as across processes), after a commit,
a rollback or a dropped session, a killed holder, and a clear error after the wait limit."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from erpai import sqlite_gate
from erpai.db import make_engine


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "gate.db"
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (n INTEGER)"))
    engine.dispose()
    return path


def _engine(path: Path) -> Engine:
    return make_engine(f"sqlite:///{path}")


def _write(engine: Engine, n: int) -> None:
    with Session(engine) as session:
        session.execute(text("INSERT INTO t VALUES (:n)"), {"n": n})
        session.commit()


def test_a_second_engine_waits_for_the_first_writers_commit(database: Path) -> None:
    first, second = _engine(database), _engine(database)
    events: list[str] = []
    holding = threading.Event()

    def hold() -> None:
        with Session(first) as session:
            session.execute(text("INSERT INTO t VALUES (1)"))
            holding.set()
            time.sleep(0.3)
            events.append("first commits")
            session.commit()

    worker = threading.Thread(target=hold)
    worker.start()
    holding.wait(5)
    _write(second, 2)
    events.append("second wrote")
    worker.join()
    assert events == ["first commits", "second wrote"]
    assert (database.parent / "gate.db.write-lock").exists()


def test_rollback_and_a_dropped_session_give_the_turn_up(database: Path) -> None:
    engine, other = _engine(database), _engine(database)
    with Session(engine) as session:
        session.execute(text("INSERT INTO t VALUES (1)"))
        session.rollback()
    session = Session(engine)
    session.execute(text("INSERT INTO t VALUES (2)"))
    session.close()  # never committed
    started = time.monotonic()
    _write(other, 3)
    _write(engine, 4)
    assert time.monotonic() - started < 2
    with other.connect() as conn:
        assert conn.execute(text("SELECT n FROM t ORDER BY n")).scalars().all() == [3, 4]


def test_a_writer_that_never_gets_its_turn_fails_clearly(
    database: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_gate, "SQLITE_BUSY_SECONDS", 0.3)
    holder, waiter = _engine(database), _engine(database)
    with Session(holder) as session:
        session.execute(text("INSERT INTO t VALUES (1)"))
        with pytest.raises(OperationalError, match="writer's turn"):
            _write(waiter, 2)
        session.commit()
    _write(waiter, 3)  # the failed wait left nothing held


def test_a_killed_holder_frees_the_turn(database: Path) -> None:
    script = (
        "import sys, time\n"
        "from sqlalchemy import text\n"
        "from sqlalchemy.orm import Session\n"
        "from erpai.db import make_engine\n"
        f"session = Session(make_engine({f'sqlite:///{database}'!r}))\n"
        "session.execute(text('INSERT INTO t VALUES (1)'))\n"
        "print('held', flush=True)\n"
        "time.sleep(60)\n"
    )
    holder = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        holder.kill()
        holder.wait(10)
        started = time.monotonic()
        _write(_engine(database), 2)
        assert time.monotonic() - started < 5
    finally:
        holder.kill()
