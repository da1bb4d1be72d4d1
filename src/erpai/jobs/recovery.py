"""The sweep run when a worker or the API starts (and by SQLite workers every half stale period).

Order matters: dead jobs first (SQLite table), then the domains decide what their dead work means:
a compile whose worker died is failed with a clear message (the last good build stays active), a
chat answer whose worker died goes back to pending and is enqueued again (given up after
``chat.recovery.MAX_ATTEMPTS``). Every step is a conditional update: safe while other workers run.
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from erpai.chat.recovery import recover_arbiter_tasks
from erpai.compilations.models import Compilation, CompilationStatus
from erpai.compilations.service import COMPILE_JOB, recover_interrupted_compilations
from erpai.db import session_factory
from erpai.jobs.queue import InProcessBackend, enqueue, get_backend
from erpai.jobs.table import TableBackend, fail_dead_jobs, is_settled

log = logging.getLogger("erpai.jobs")


def recover_interrupted_work() -> list[int]:
    """Returns the compiles it failed."""
    backend = get_backend()
    lost_queue = isinstance(backend, InProcessBackend)  # its queue died with the process
    factory = session_factory()
    if isinstance(backend, TableBackend):
        with factory() as session:
            fail_dead_jobs(session)
    with factory() as session:
        failed = recover_interrupted_compilations(session, lost_queue=lost_queue)
    if failed:
        log.warning("marked interrupted compilations as failed: %s", failed)
    if isinstance(backend, TableBackend):
        _requeue_compiles_without_job()
    with factory() as session:
        recover_arbiter_tasks(session, lost_queue=lost_queue)
    return failed


def _requeue_compiles_without_job() -> None:
    """A queued compile whose enqueue never happened (a crash right after its commit) is enqueued again;
    a duplicate is harmless (the compile job claims New → Running once)."""
    with session_factory()() as session:
        new = select(Compilation.id).where(Compilation.status == CompilationStatus.NEW.value)
        lost = [
            i
            for i in session.scalars(new)
            if is_settled(session, name=COMPILE_JOB, kwargs={"compilation_id": i})
        ]
    for compilation_id in lost:
        log.warning("compilation %s had no job; enqueued again", compilation_id)
        enqueue(COMPILE_JOB, compilation_id=compilation_id)
