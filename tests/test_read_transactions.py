"""``read_transactions``: blocks that only read, committed around; on SQLite they take no write lock."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from erpai.ai_models.models import AIModel
from erpai.answering.service import ask_streaming
from erpai.db import read_transactions
from erpai.users.models import User


def test_a_read_block_does_not_wait_for_a_writer(committed_engine: Engine) -> None:
    """While another session holds a writing transaction (SQLite: the write lock), a read block goes
    through at once; a plain transaction of this engine would queue behind the writer."""
    writer = Session(committed_engine)
    writer.add(User(login="writer-holds-the-lock", name="W"))
    writer.flush()  # SQLite: BEGIN IMMEDIATE taken, not committed
    counted: list[int] = []

    def read() -> None:
        with Session(committed_engine) as reader, read_transactions(reader):
            counted.append(reader.scalar(select(func.count()).select_from(User)) or 0)

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    thread.join(timeout=10)
    try:
        assert not thread.is_alive(), "the read block waited for the writer's lock"
        assert counted == [0]  # the uncommitted row is not seen
    finally:
        writer.rollback()
        writer.close()
        thread.join(timeout=40)


def test_a_read_block_is_a_transaction_of_its_own(committed_engine: Engine) -> None:
    with Session(committed_engine) as session:
        session.add(User(login="before-the-block", name="B"))
        with read_transactions(session):  # commits what came before
            found = session.scalar(select(User.id).where(User.login == "before-the-block"))
        assert found is not None and not session.in_transaction()
        session.add(User(login="after-the-block", name="A"))  # writes go on in a normal transaction
        session.commit()
    with Session(committed_engine) as other:
        logins = set(other.scalars(select(User.login)))
    assert {"before-the-block", "after-the-block"} <= logins


def test_a_failing_read_block_leaves_no_transaction_open(committed_engine: Engine) -> None:
    with Session(committed_engine) as session:
        with pytest.raises(LookupError), read_transactions(session):
            session.scalar(select(func.count()).select_from(User))
            raise LookupError("not found")
        assert not session.in_transaction()
        assert session.execution_options == {}


def test_a_streamed_ask_waits_for_no_writer_before_its_answer(committed_engine: Engine) -> None:
    """The streamed ask checks the use right and loads the build in read blocks: while another session holds
    the write lock, it gets as far as its events without waiting (only recording the hit writes)."""
    with Session(committed_engine) as setup:
        admin = User(login="stream-admin", name="A", is_admin=True)
        model = AIModel(name="Stream desk")
        setup.add_all([admin, model])
        setup.commit()
        admin_id, model_id = admin.id, model.id
    writer = Session(committed_engine)
    writer.add(User(login="writer-holds-the-lock-2", name="W"))
    writer.flush()  # SQLite: BEGIN IMMEDIATE taken, not committed
    planned: list[bool] = []

    def stream() -> None:
        with Session(committed_engine, expire_on_commit=False) as session:  # as the app's sessions
            with read_transactions(session):
                actor = session.get(User, admin_id)
            assert actor is not None
            ask_streaming(session, actor=actor, model_id=model_id, question="Are you open on Sundays?")
            planned.append(True)
            session.rollback()

    thread = threading.Thread(target=stream, daemon=True)
    thread.start()
    thread.join(timeout=10)
    try:
        assert not thread.is_alive(), "the streamed ask waited for the writer's lock"
        assert planned == [True]
    finally:
        writer.rollback()
        writer.close()
        thread.join(timeout=40)
