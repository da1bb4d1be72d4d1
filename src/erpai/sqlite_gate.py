"""Writers of one SQLite file take turns, across threads and processes, without SQLite's sleeping busy wait.

SQLite has one writer at a time. Whoever else wants to write waits in SQLite's busy handler, which polls
with sleeps growing to 100 ms: under a stream of writes a waiter rarely looks at the right moment, while
the threads of a busy process (the API taking 50 clients' posts) hand the lock to each other. A job
worker's three short writes per chat reply (claim, reply, done) then waited hundreds of milliseconds each:
replies lagged 7 s behind a burst of posts (``bench/chat_load.py``).

:class:`WriterGate` is taken before ``BEGIN IMMEDIATE`` and given back at the transaction's commit or
rollback: first a lock of the process (its threads queue there), then an exclusive ``flock`` on
``<database>.write-lock`` beside the database file (the processes: one waiter each, polling every
millisecond). Neither is strictly first come, first served, but no waiter sleeps through a free lock.
The kernel drops the ``flock`` of a killed process. A writer that cannot get its turn within
``SQLITE_BUSY_SECONDS`` fails as SQLite would ("database is locked").
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from pathlib import Path
from typing import Any

from sqlalchemy.exc import OperationalError

__all__ = ["SQLITE_BUSY_SECONDS", "WriterGate"]

SQLITE_BUSY_SECONDS = 30
_HELD = "erpai_writer_gate"
_POLL_SECONDS = 0.001


class WriterGate:
    """One engine's turn-taking for writing transactions (``database``: None for an in-memory database)."""

    def __init__(self, database: Path | None) -> None:
        self._lock = threading.Lock()
        self._path = database.with_name(database.name + ".write-lock") if database else None
        self._fd: int | None = None
        self._pid = 0

    def enter(self, conn: Any) -> None:
        """Waits for this connection's turn (``conn``: a Connection or a pool record, by its ``info``)."""
        deadline = time.monotonic() + SQLITE_BUSY_SECONDS
        if not self._lock.acquire(timeout=SQLITE_BUSY_SECONDS):
            raise _locked()
        try:
            self._flock(deadline)
        except BaseException:
            self._lock.release()
            raise
        conn.info[_HELD] = self

    def leave(self, conn: Any) -> None:
        """Gives the turn up, if ``conn`` holds it (commit, rollback, reset; a no-op otherwise)."""
        if conn.info.pop(_HELD, None) is not self:
            return
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        self._lock.release()

    def _flock(self, deadline: float) -> None:
        if self._path is None:
            return
        if self._fd is None or self._pid != os.getpid():  # a forked child needs its own open file
            self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
            self._pid = os.getpid()
        while True:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise _locked() from None
                time.sleep(_POLL_SECONDS)


def _locked() -> OperationalError:
    reason = TimeoutError("database is locked (waiting for the writer's turn)")
    return OperationalError("BEGIN IMMEDIATE", None, reason)
