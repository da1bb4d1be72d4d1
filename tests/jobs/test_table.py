"""The durable jobs table: enqueue, exclusive claims, outcomes, dead workers, the worker loop."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from erpai.compilations.models import Compilation
from erpai.compilations.service import COMPILE_JOB, queue_compilation, start_compilation
from erpai.db import session_factory, utcnow
from erpai.jobs.models import Job
from erpai.jobs.queue import InProcessBackend, enqueue, set_backend, task
from erpai.jobs.recovery import recover_interrupted_work
from erpai.jobs.table import TableBackend, claim_job, execute_job, fail_dead_jobs, run_in_foreground
from erpai.jobs.table_worker import run_table_worker
from erpai.jobs.workers import worker_identity
from tests.compilations.factories import admin_with_token, local_provider, model_with_qas

RAN: list[int] = []


@task("tests.record")
def record(*, n: int) -> None:
    if n < 0:
        raise ValueError("negative")
    RAN.append(n)


@pytest.fixture
def table(live_engine: Engine) -> Iterator[TableBackend]:
    backend = TableBackend()
    set_backend(backend)
    RAN.clear()
    yield backend
    set_backend(InProcessBackend())  # live_engine waits for its queue: jobs left running here are test data


def _jobs(session: Session) -> list[Job]:
    session.rollback()
    session.expire_all()
    return list(session.scalars(select(Job).order_by(Job.id)))


def test_enqueue_writes_a_row_that_the_worker_runs_once(table: TableBackend, live_session: Session) -> None:
    enqueue("tests.record", n=1)
    enqueue("tests.record", n=1)  # identical to one still queued: not queued twice
    enqueue("tests.record", n=-1)
    assert [(j.name, j.kwargs_json, j.status) for j in _jobs(live_session)] == [
        ("tests.record", '{"n":1}', "queued"),
        ("tests.record", '{"n":-1}', "queued"),
    ]
    assert RAN == []  # enqueueing runs nothing
    assert table.wait_idle(timeout=30)
    done, failed = _jobs(live_session)
    assert (done.status, done.attempts, done.error_message) == ("done", 1, None)
    assert failed.status == "failed" and failed.error_message == "ValueError: negative"
    assert done.finish_time_utc is not None and done.worker_id == worker_identity()
    assert RAN == [1]


def test_each_job_is_claimed_by_exactly_one_of_many_concurrent_claimers(
    table: TableBackend, live_session: Session
) -> None:
    for n in range(20):
        enqueue("tests.record", n=n)

    def claim_all(worker: str) -> list[int]:
        claimed = []
        with session_factory()() as session:
            while (job := claim_job(session, worker=worker)) is not None:
                claimed.append(job.kwargs["n"])
        return claimed

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(claim_all, [f"w{i}" for i in range(4)]))
    assert sorted(n for claimed in results for n in claimed) == list(range(20))
    assert all(j.status == "running" and j.attempts == 1 for j in _jobs(live_session))


def test_a_dead_workers_job_is_failed_with_a_message_and_its_late_outcome_is_dropped(
    table: TableBackend, live_session: Session
) -> None:
    enqueue("tests.record", n=1)
    enqueue("tests.record", n=2)
    with session_factory()() as session:
        dead = claim_job(session, worker="no-such-host:1")
        alive = claim_job(session, worker=worker_identity())
    assert dead is not None and alive is not None
    old = utcnow() - timedelta(hours=1)
    live_session.execute(update(Job).where(Job.id == dead.id).values(heartbeat_time_utc=old))
    live_session.commit()
    with session_factory()() as session:
        assert fail_dead_jobs(session) == [dead.id]
    execute_job(dead, worker="no-such-host:1")  # the presumed-dead worker comes back: nothing recorded
    failed, running = _jobs(live_session)
    assert failed.status == "failed" and "no-such-host:1" in (failed.error_message or "")
    assert "stopped (killed or crashed)" in (failed.error_message or "")
    assert running.status == "running"


def test_the_worker_loop_runs_jobs_enqueued_while_it_runs_and_stops_on_request(
    table: TableBackend, live_session: Session
) -> None:
    stop = threading.Event()
    sweeps: list[float] = []
    worker = threading.Thread(
        target=run_table_worker,
        kwargs={"sweep": lambda: sweeps.append(1.0), "stop": stop, "install_signals": False},
    )
    worker.start()
    try:
        for n in range(3):
            enqueue("tests.record", n=n)
        deadline = time.monotonic() + 30
        while sorted(RAN) != [0, 1, 2] and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        stop.set()
        worker.join(timeout=30)
    assert not worker.is_alive() and sorted(RAN) == [0, 1, 2] and sweeps
    assert [j.status for j in _jobs(live_session)] == ["done"] * 3


def test_a_waiting_command_runs_its_own_job_only_when_no_worker_took_it(
    table: TableBackend, live_session: Session
) -> None:
    enqueue("tests.record", n=5)
    assert run_in_foreground("tests.record", {"n": 5})
    assert RAN == [5] and [j.status for j in _jobs(live_session)] == ["done"]
    assert not run_in_foreground("tests.record", {"n": 5})  # nothing queued any more: a worker had it
    assert RAN == [5]


def test_the_sweep_enqueues_a_compile_whose_enqueue_was_lost(
    table: TableBackend, live_session: Session
) -> None:
    user, _ = admin_with_token(live_session)
    model = model_with_qas(live_session, name="HR", user=user, provider=local_provider(live_session))
    compilation = start_compilation(live_session, model_id=model.id, user_id=user.id)  # no enqueue
    assert recover_interrupted_work() == []
    (job,) = _jobs(live_session)
    assert (job.name, job.kwargs_json) == ("compilations.run", f'{{"compilation_id":{compilation.id}}}')
    recover_interrupted_work()  # still queued: not enqueued twice
    assert len(_jobs(live_session)) == 1
    assert table.wait_idle(timeout=120)
    live_session.rollback()
    live_session.expire_all()
    done = live_session.get(Compilation, compilation.id)
    assert done is not None and done.is_successful, done.error_message if done else None


def test_queue_compilation_starts_the_compile_and_enqueues_its_job(
    table: TableBackend, live_session: Session
) -> None:
    """The one call behind the API, the CLI and the web UI: a New compilation and exactly one job."""
    user, _ = admin_with_token(live_session)
    model = model_with_qas(live_session, name="HR", user=user, provider=local_provider(live_session))
    compilation = queue_compilation(live_session, model_id=model.id, user_id=user.id)
    (job,) = _jobs(live_session)
    assert (job.name, job.kwargs_json) == (COMPILE_JOB, f'{{"compilation_id":{compilation.id}}}')
    assert table.wait_idle(timeout=120)
    live_session.rollback()
    live_session.expire_all()
    done = live_session.get(Compilation, compilation.id)
    assert done is not None and done.is_successful, done.error_message if done else None
