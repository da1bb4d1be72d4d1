"""Background jobs: tasks take ids and open their own session.

Contract used by every domain::

    from erpai.jobs.queue import task, enqueue

    @task("chat.answer_mention")
    def answer_mention(*, arbiter_task_id: int) -> None: ...

    enqueue("chat.answer_mention", arbiter_task_id=7)   # after the caller's commit

Jobs are durable on both databases and run by worker processes (``erpai worker``, or the ones
``erpai serve`` starts), never by the short-lived process that enqueued them: on SQLite a ``jobs``
table (``erpai.jobs.table``), on PostgreSQL procrastinate. ``InProcessBackend`` (a thread pool of
the enqueuing process) is for tests and ``erpai eval`` only. Task modules are imported by
``load_task_modules`` so every process knows every task.
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Protocol

from erpai.config import get_settings

log = logging.getLogger("erpai.jobs")
TaskFunc = Callable[..., None]
_TASKS: dict[str, TaskFunc] = {}
TASK_MODULES = ("erpai.compilations.jobs", "erpai.chat.jobs")


def task(name: str) -> Callable[[TaskFunc], TaskFunc]:
    def register(func: TaskFunc) -> TaskFunc:
        _TASKS[name] = func
        return func

    return register


def load_task_modules() -> dict[str, TaskFunc]:
    for module in TASK_MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
    return _TASKS


def run_task(name: str, kwargs: dict[str, Any]) -> str | None:
    """Runs one task in this thread; a failing task is logged, never raised into the worker.

    Returns None when it ran, else why it failed (the durable queue stores it on the job).
    """
    func = load_task_modules().get(name)
    if func is None:
        log.error("unknown job %s", name)
        return f"unknown job '{name}'"
    try:
        func(**kwargs)
    except Exception as exc:
        log.exception("job %s failed", name)
        return f"{type(exc).__name__}: {exc}"
    return None


class JobBackend(Protocol):
    def enqueue(self, name: str, kwargs: dict[str, Any]) -> None: ...

    def wait_idle(self, timeout: float = 60.0) -> bool: ...


class InProcessBackend:
    """A small thread pool inside the enqueuing process (tests, ``erpai eval``): jobs die with it."""

    def __init__(self, workers: int = 4) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="erpai-job")
        self._pending: set[Future[str | None]] = set()
        self._lock = threading.Lock()

    def enqueue(self, name: str, kwargs: dict[str, Any]) -> None:
        future = self._pool.submit(run_task, name, kwargs)
        with self._lock:
            self._pending.add(future)
        future.add_done_callback(self._forget)

    def _forget(self, future: Future[str | None]) -> None:
        with self._lock:
            self._pending.discard(future)

    def wait_idle(self, timeout: float = 60.0) -> bool:
        import concurrent.futures

        with self._lock:
            pending = list(self._pending)
        _, not_done = concurrent.futures.wait(pending, timeout=timeout)
        return not not_done


_backend: JobBackend | None = None
_backend_lock = threading.Lock()


def get_backend() -> JobBackend:
    global _backend
    with _backend_lock:
        if _backend is None:
            _backend = _make_backend()
        return _backend


def _make_backend() -> JobBackend:
    settings = get_settings()
    choice = settings.job_backend
    if choice == "auto":
        choice = "table" if settings.is_sqlite else "procrastinate"
    if choice == "procrastinate":
        from erpai.jobs.pg import ProcrastinateBackend  # procrastinate is imported only where used

        return ProcrastinateBackend(settings.resolved_database_url)
    if choice == "table":
        from erpai.jobs.table import TableBackend  # erpai.jobs.table imports this module

        return TableBackend()
    return InProcessBackend()


def set_backend(backend: JobBackend | None) -> None:
    """Tests and the eval command pick the backend explicitly."""
    global _backend
    with _backend_lock:
        _backend = backend


def enqueue(name: str, **kwargs: Any) -> None:
    load_task_modules()
    if name not in _TASKS:
        raise ValueError(f"unknown job '{name}'")
    get_backend().enqueue(name, kwargs)
