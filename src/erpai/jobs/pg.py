"""procrastinate on PostgreSQL: jobs survive restarts and run on any worker sharing the database."""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

import procrastinate
from sqlalchemy.engine import make_url

from erpai.jobs.queue import load_task_modules, run_task

log = logging.getLogger("erpai.jobs")
QUEUE = "erpai"
_TASK_NAME = "erpai.run"


def conninfo(url: str) -> str:
    """libpq conninfo from a SQLAlchemy URL (``postgresql+psycopg://`` → ``postgresql://``)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def build_app(url: str) -> procrastinate.App:
    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=conninfo(url)))

    # One procrastinate task dispatches to erpai's registry, so the registry stays the one source.
    @app.task(name=_TASK_NAME, queue=QUEUE)
    def run(name: str, kwargs: dict[str, Any]) -> None:
        run_task(name, kwargs)

    return app


class ProcrastinateBackend:
    def __init__(self, url: str) -> None:
        self.url = url
        self.app = build_app(url)
        self._lock = threading.Lock()
        self._open = False

    def _ensure_open(self) -> None:
        with self._lock:
            if not self._open:
                self.app.open()
                self._open = True

    def enqueue(self, name: str, kwargs: dict[str, Any]) -> None:
        self._ensure_open()
        self.app.configure_task(_TASK_NAME).defer(name=name, kwargs=kwargs)

    def wait_idle(self, timeout: float = 60.0) -> bool:
        """Runs the queued jobs in this process until the queue is empty (tests, CLI --wait)."""
        load_task_modules()
        run_worker(self.url, wait=False, timeout=timeout)
        return True


def apply_schema(url: str) -> None:
    """Creates procrastinate's tables once; a second call is a no-op."""
    import psycopg

    with psycopg.connect(conninfo(url)) as conn:
        exists = conn.execute("SELECT to_regclass('procrastinate_jobs')").fetchone()
    if exists and exists[0]:
        return
    app = build_app(url)
    with app.open():
        app.schema_manager.apply_schema()


def run_worker(
    url: str,
    *,
    wait: bool = True,
    timeout: float | None = None,
    install_signals: bool = True,
    concurrency: int | None = None,
) -> None:
    """``concurrency``: jobs run at once, each in a thread (default: ERPAI_JOB_WORKER_CONCURRENCY)."""
    from erpai.config import get_settings

    load_task_modules()
    app = build_app(url)
    jobs_at_once = concurrency or get_settings().job_worker_concurrency

    async def main() -> None:
        async with app.open_async():
            work = app.run_worker_async(
                queues=[QUEUE], wait=wait, install_signal_handlers=install_signals, concurrency=jobs_at_once
            )
            await (asyncio.wait_for(work, timeout) if timeout else work)

    asyncio.run(main())
