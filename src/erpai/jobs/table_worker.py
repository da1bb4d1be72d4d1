"""The worker of the SQLite job table: ``erpai worker``, and the processes ``erpai serve`` starts."""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from erpai.config import get_settings
from erpai.db import session_factory
from erpai.jobs.queue import load_task_modules
from erpai.jobs.table import ClaimedJob, JobHeartbeat, claim_job, execute_job
from erpai.jobs.workers import worker_identity

log = logging.getLogger("erpai.jobs")


def run_table_worker(
    *,
    sweep: Callable[[], object],
    concurrency: int | None = None,
    stop: threading.Event | None = None,
    install_signals: bool = True,
) -> None:
    """Claims and runs jobs until ``stop`` is set (SIGTERM / SIGINT when ``install_signals``).

    ``sweep`` (the recovery of dead jobs, compiles and chat answers) runs at start and then every
    half ``job_stale_seconds``. At stop, no new job is claimed and the running ones finish.
    """
    settings = get_settings()
    load_task_modules()
    stop = stop or threading.Event()
    if install_signals:
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
    worker = worker_identity()
    jobs_at_once = concurrency or settings.job_worker_concurrency
    next_sweep = 0.0
    running: set[Future[str | None]] = set()
    # Set when a job ends (a slot is free again) or at stop: the loop claims the next job at once
    # instead of sleeping out the poll interval with queued work waiting.
    wake = threading.Event()
    threading.Thread(target=_set_when, args=(stop, wake), daemon=True).start()
    with ThreadPoolExecutor(jobs_at_once, thread_name_prefix="erpai-job") as pool, JobHeartbeat(worker):
        while not stop.is_set():
            wake.clear()
            if time.monotonic() >= next_sweep:
                _safely(sweep)
                next_sweep = time.monotonic() + settings.job_stale_seconds / 2
            running = {f for f in running if not f.done()}
            if len(running) < jobs_at_once and (job := _claim(worker)) is not None:
                future = pool.submit(execute_job, job, worker=worker)
                future.add_done_callback(lambda _: wake.set())
                running.add(future)
                continue
            wake.wait(settings.job_poll_seconds)
    log.info("worker %s stopped", worker)


def _set_when(event: threading.Event, then: threading.Event) -> None:
    event.wait()
    then.set()


def _claim(worker: str) -> ClaimedJob | None:
    try:
        with session_factory()() as session:
            return claim_job(session, worker=worker)
    except Exception:  # a locked or restarting database: try again at the next poll
        log.warning("claiming a job failed", exc_info=True)
        return None


def _safely(sweep: Callable[[], object]) -> None:
    try:
        sweep()
    except Exception:
        log.exception("the job sweep failed; it runs again later")
