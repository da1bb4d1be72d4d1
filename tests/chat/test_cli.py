"""The ``erpai chat`` commands against the default (settings) SQLite database, jobs in this process."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from erpai.cli.main import app
from erpai.db import get_engine, session_factory
from erpai.jobs.models import Job
from erpai.jobs.queue import InProcessBackend, set_backend
from erpai.jobs.table import TableBackend
from erpai.migrate import upgrade
from erpai.models_registry import Base
from tests.chat.conftest import FakeAnswering, make_arbiter

runner = CliRunner()


@pytest.fixture
def cli_db(jobs: object) -> Iterator[None]:
    upgrade()
    set_backend(InProcessBackend(workers=1))
    yield
    with get_engine().begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())


def _run(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_chat_commands_end_to_end(cli_db: None, fake_answering: FakeAnswering) -> None:
    _run("user", "create", "boss", "--name", "Boss", "--admin")
    _run("user", "create", "bob", "--name", "Bob")
    with session_factory()() as session:
        make_arbiter(session, "Marketing AI", "marketing-ai")
    created = json.loads(_run("chat", "group", "add", "Marketing", "--member", "marketing-ai", "--json"))
    _run("chat", "member", "add", "Marketing", "bob", "--role", "observer")
    assert "Marketing" in _run("chat", "group", "list")
    posted = _run("chat", "post", "Marketing", "@marketing-ai how often should we post?", "--wait", "10")
    assert "@Marketing AI how often should we post?" in posted
    assert "Twice a week." in posted
    refused = runner.invoke(app, ["--as", "bob", "chat", "post", str(created["id"]), "hello"])
    assert refused.exit_code != 0
    assert "observers" in refused.output
    log = json.loads(_run("chat", "log", "Marketing", "--json"))
    assert [c["author_name"] for c in log] == ["Boss", "Marketing AI"]
    _run("chat", "post", "Marketing", "No, twice a week on Tuesdays.")
    ids = ",".join(str(c["id"]) for c in json.loads(_run("chat", "log", "Marketing", "--json")))
    trained = json.loads(_run("chat", "train", "Marketing", "--comments", ids, "--json"))
    assert (trained["message_count"], trained["preference_pair_count"]) == (3, 1)
    bad = runner.invoke(app, ["chat", "train", "Marketing", "--comments", "3,x"])
    assert bad.exit_code != 0
    assert "--comments" in bad.output


def test_post_on_the_jobs_table_waits_for_the_reply_or_leaves_it_to_a_worker(
    cli_db: None, fake_answering: FakeAnswering
) -> None:
    set_backend(TableBackend())
    _run("user", "create", "boss", "--name", "Boss", "--admin")
    with session_factory()() as session:
        make_arbiter(session, "Marketing AI", "marketing-ai")
    _run("chat", "group", "add", "Marketing", "--member", "marketing-ai")
    queued = runner.invoke(app, ["chat", "post", "Marketing", "@marketing-ai first?"])
    assert queued.exit_code == 0 and "1 arbiter reply is queued; a worker writes them" in queued.output
    assert "Twice a week." not in queued.output and fake_answering.calls == []  # nothing ran here
    posted = _run("chat", "post", "Marketing", "@marketing-ai how often should we post?", "--wait", "10")
    assert "Twice a week." in posted  # no worker: the command answered it in the foreground
    with session_factory()() as session:
        statuses = [j.status for j in session.scalars(select(Job).order_by(Job.id))]
    assert statuses == ["queued", "done"]  # the first is still a worker's to run
