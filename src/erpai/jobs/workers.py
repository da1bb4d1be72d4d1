"""Who runs a job, and whether that worker is gone: shared by compiles and arbiter answers."""

from __future__ import annotations

import os
import socket
from datetime import datetime


def worker_identity() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def worker_is_gone(last_seen: datetime | None, worker: str | None, stale_before: datetime) -> bool:
    """Not seen since ``stale_before``, or its process ran on this host and has exited."""
    if last_seen is None or last_seen < stale_before:
        return True
    host, _, pid = (worker or "").rpartition(":")
    return host == socket.gethostname() and pid.isdigit() and not _pid_alive(int(pid))


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
