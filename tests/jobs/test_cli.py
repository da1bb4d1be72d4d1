"""CLI commands on the jobs table: without --wait they only enqueue; with it they get the result."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from erpai.cli.main import app
from erpai.compilations.models import Compilation
from erpai.jobs.models import Job
from erpai.jobs.queue import InProcessBackend, set_backend
from erpai.jobs.table import TableBackend
from erpai.jobs.workers import worker_identity
from tests.compilations.factories import admin_with_token, local_provider, model_with_qas

runner = CliRunner()


@pytest.fixture
def hr(live_engine: Engine, live_session: Session) -> Iterator[Session]:
    set_backend(TableBackend())
    user, _ = admin_with_token(live_session)
    model_with_qas(live_session, name="HR", user=user, provider=local_provider(live_session))
    yield live_session
    set_backend(InProcessBackend())


def _state(session: Session) -> tuple[list[tuple[str, str | None]], list[tuple[str, bool | None]]]:
    session.rollback()
    session.expire_all()
    jobs = [(j.status, j.worker_id) for j in session.scalars(select(Job))]
    builds = [(c.status, c.is_successful) for c in session.scalars(select(Compilation))]
    return jobs, builds


def test_compile_without_wait_only_enqueues_for_a_worker(hr: Session) -> None:
    result = runner.invoke(app, ["compile", "HR", "--no-wait", "--as", "boss"])
    assert result.exit_code == 0, result.output
    assert "is queued; a worker runs it (erpai serve, or erpai worker)" in result.output
    assert _state(hr) == ([("queued", None)], [("N", False)])
    assert TableBackend().wait_idle(timeout=120)  # what a worker does
    assert _state(hr) == ([("done", worker_identity())], [("C", True)])


def test_compile_with_wait_runs_the_job_itself_when_no_worker_takes_it(hr: Session) -> None:
    result = runner.invoke(app, ["compile", "HR", "--as", "boss"])
    assert result.exit_code == 0, result.output
    assert "succeeded" in result.output
    assert _state(hr) == ([("done", worker_identity())], [("C", True)])
