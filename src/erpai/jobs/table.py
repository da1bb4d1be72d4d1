"""The durable job queue of SQLite installs: rows of the ``jobs`` table, claimed by worker processes.

Enqueueing writes the row in its own short transaction, which callers start right after committing
their use case (the contract of ``erpai.jobs.queue``): the work of a rolled-back use case is never
enqueued, and a job row, once written, outlives every process. A crash between the caller's commit
and the enqueue leaves the domain row without a job; the sweeps of ``erpai.jobs.recovery`` enqueue
pending chat answers again and fail compiles left without a job. Enqueueing a job identical to one
still queued is a no-op (every task is keyed by an id and safe to deliver twice).

A worker claims a row atomically (``UPDATE … WHERE status = 'queued' … RETURNING`` inside SQLite's
``BEGIN IMMEDIATE``), stamps a heartbeat on its running jobs, and records done / failed. A running
job whose worker stopped stamping (or whose process on this host is gone) is failed by the sweep
with a message saying so; the domain sweeps then fail its compile or hand its chat answer out again.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.orm import Session

from erpai.config import get_settings
from erpai.db import session_factory, utcnow
from erpai.jobs.models import Job, JobStatus
from erpai.jobs.queue import run_task
from erpai.jobs.workers import worker_identity, worker_is_gone

log = logging.getLogger("erpai.jobs")
KEEP_FINISHED = timedelta(days=7)
QUEUED, RUNNING = JobStatus.QUEUED.value, JobStatus.RUNNING.value


def encode_kwargs(kwargs: dict[str, Any]) -> str:
    """One spelling per set of arguments, so that identical jobs compare equal in SQL."""
    return json.dumps(kwargs, sort_keys=True, separators=(",", ":"))


@dataclass(frozen=True)
class ClaimedJob:
    id: int
    name: str
    kwargs: dict[str, Any]
    attempt: int


class TableBackend:
    """``enqueue`` writes a row; workers run it. ``wait_idle`` drains the queue in this process (tests)."""

    def enqueue(self, name: str, kwargs: dict[str, Any]) -> None:
        with session_factory()() as session:
            add_job(session, name=name, kwargs=kwargs)

    def wait_idle(self, timeout: float = 60.0) -> bool:
        deadline = time.monotonic() + timeout
        worker = worker_identity()
        while time.monotonic() < deadline:
            with session_factory()() as session:
                job = claim_job(session, worker=worker)
                if job is None and not _has_running(session):
                    return True
            if job is None:
                time.sleep(get_settings().job_poll_seconds)
            else:
                execute_job(job, worker=worker)
        return False


def add_job(session: Session, *, name: str, kwargs: dict[str, Any]) -> None:
    """Adds the job unless the same one is still queued (one write-locked transaction on SQLite)."""
    encoded = encode_kwargs(kwargs)
    twin = select(Job.id).where(Job.status == QUEUED, Job.name == name, Job.kwargs_json == encoded)
    if session.scalar(twin.limit(1)) is None:
        session.add(Job(name=name, kwargs_json=encoded, status=QUEUED))
    session.commit()


def claim_job(
    session: Session, *, worker: str, name: str | None = None, kwargs: dict[str, Any] | None = None
) -> ClaimedJob | None:
    """Queued → running for exactly this worker: the oldest queued job, or the given one."""
    pick = select(Job.id).where(Job.status == QUEUED).order_by(Job.id).limit(1)
    if name is not None:
        pick = pick.where(Job.name == name, Job.kwargs_json == encode_kwargs(kwargs or {}))
    now = utcnow()
    stmt = (
        update(Job)
        .where(Job.id == pick.with_for_update(skip_locked=True).scalar_subquery(), Job.status == QUEUED)
        .values(status=RUNNING, worker_id=worker, attempts=Job.attempts + 1, start_time_utc=now)
        .values(heartbeat_time_utc=now)
        .returning(Job.id, Job.name, Job.kwargs_json, Job.attempts)
    )
    row = session.execute(stmt, execution_options={"synchronize_session": False}).one_or_none()
    session.commit()
    if row is None:
        return None
    return ClaimedJob(id=row.id, name=row.name, kwargs=json.loads(row.kwargs_json), attempt=row.attempts)


def finish_job(session: Session, *, job: ClaimedJob, worker: str, error: str | None) -> bool:
    """Done or failed, only while the claim is still this worker's (not failed by a sweep meanwhile)."""
    stmt = (
        update(Job)
        .where(Job.id == job.id, Job.status == RUNNING, Job.worker_id == worker, Job.attempts == job.attempt)
        .values(
            status=JobStatus.FAILED.value if error else JobStatus.DONE.value,
            error_message=error,
            finish_time_utc=utcnow(),
        )
    )
    changed = cast(CursorResult[Any], session.execute(stmt, execution_options={"synchronize_session": False}))
    session.commit()
    return changed.rowcount == 1


def execute_job(
    job: ClaimedJob, *, worker: str, runner: Callable[[], str | None] | None = None
) -> str | None:
    """Runs a claimed job (``run_task`` unless ``runner``) and records its outcome; returns its error."""
    error = runner() if runner else run_task(job.name, job.kwargs)
    with session_factory()() as session:
        if not finish_job(session, job=job, worker=worker, error=error):
            log.warning("job %s (%s) was failed by a sweep while it ran", job.id, job.name)
    return error


def _has_running(session: Session) -> bool:
    return session.scalar(select(Job.id).where(Job.status == RUNNING).limit(1)) is not None


def is_settled(session: Session, *, name: str, kwargs: dict[str, Any]) -> bool:
    """No copy of this job is queued or running."""
    stmt = select(Job.id).where(
        Job.name == name, Job.kwargs_json == encode_kwargs(kwargs), Job.status.in_((QUEUED, RUNNING))
    )
    return session.scalar(stmt.limit(1)) is None


def stamp_heartbeat(session: Session, *, worker: str) -> None:
    stmt = (
        update(Job).where(Job.status == RUNNING, Job.worker_id == worker).values(heartbeat_time_utc=utcnow())
    )
    session.execute(stmt, execution_options={"synchronize_session": False})
    session.commit()


def fail_dead_jobs(session: Session) -> list[int]:
    """Fails running jobs whose worker is gone, and forgets jobs finished long ago."""
    settings = get_settings()
    stale_before = utcnow() - timedelta(seconds=settings.job_stale_seconds)
    session.commit()  # read fresh rows
    running = session.execute(
        select(Job.id, Job.attempts, Job.heartbeat_time_utc, Job.worker_id).where(Job.status == RUNNING)
    ).tuples()
    failed: list[int] = []
    for job_id, attempts, beat, worker in list(running):
        if not worker_is_gone(beat, worker, stale_before):
            continue
        message = f"the worker running this job ({worker}) stopped (killed or crashed)"
        stmt = (
            update(Job)
            .where(Job.id == job_id, Job.status == RUNNING, Job.attempts == attempts)
            .values(status=JobStatus.FAILED.value, error_message=message, finish_time_utc=utcnow())
        )
        changed = cast(
            CursorResult[Any], session.execute(stmt, execution_options={"synchronize_session": False})
        )
        if changed.rowcount == 1:
            failed.append(job_id)
    finished = (JobStatus.DONE.value, JobStatus.FAILED.value)
    session.execute(
        delete(Job).where(Job.status.in_(finished), Job.finish_time_utc < utcnow() - KEEP_FINISHED)
    )
    session.commit()
    if failed:
        log.warning("jobs whose worker stopped, marked failed: %s", failed)
    return failed


class JobHeartbeat:
    """Stamps every running job of ``worker`` every few seconds, from its own thread and session."""

    def __init__(self, worker: str) -> None:
        self.worker = worker
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="job-heartbeat", daemon=True)

    def __enter__(self) -> JobHeartbeat:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(get_settings().job_heartbeat_seconds):
            try:
                with session_factory()() as session:
                    stamp_heartbeat(session, worker=self.worker)
            except Exception:  # a busy database must not end the heartbeat; the next beat retries
                log.warning("job heartbeat of %s failed", self.worker, exc_info=True)


def run_in_foreground(
    name: str, kwargs: dict[str, Any], *, runner: Callable[[], str | None] | None = None
) -> bool:
    """A waiting CLI command runs its own job when no worker took it within a short grace period.

    Returns False when a worker has it (the caller then waits for the outcome in the database).
    """
    settings = get_settings()
    deadline = time.monotonic() + 2 * settings.job_poll_seconds
    worker = worker_identity()
    while True:
        with session_factory()() as session:
            queued = select(Job.id).where(Job.status == QUEUED, Job.name == name)
            queued = queued.where(Job.kwargs_json == encode_kwargs(kwargs))
            if session.scalar(queued.limit(1)) is None:
                return False
            if time.monotonic() >= deadline:
                job = claim_job(session, worker=worker, name=name, kwargs=kwargs)
                break
        time.sleep(settings.job_poll_seconds / 4)
    if job is None:
        return False
    with JobHeartbeat(worker):
        execute_job(job, worker=worker, runner=runner)
    return True
