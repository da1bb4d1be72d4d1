"""Who runs a job, and whether that worker is gone: shared by compiles and arbiter answers."""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
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


def start_worker_processes(url: str, count: int) -> list[subprocess.Popen[bytes]]:
    """``erpai worker`` child processes of ``erpai serve``, so a single command is a complete install.

    Processes, not threads: a worker thread shares the GIL with the API's request threads and fell to
    a few jobs a second under load (bench/chat_load.py: reply p50 12 s as a thread, 0.5 s as processes).
    On Linux each child is sent SIGTERM when the server dies, even by SIGKILL, so none is orphaned.
    """
    env = {**os.environ, "ERPAI_DATABASE_URL": url}
    command = [sys.executable, "-m", "erpai.cli.main", "worker"]
    return [subprocess.Popen(command, env=env, preexec_fn=_die_with_parent) for _ in range(count)]


def _die_with_parent() -> None:
    if sys.platform.startswith("linux"):
        pr_set_pdeathsig = 1
        ctypes.CDLL(None).prctl(pr_set_pdeathsig, signal.SIGTERM)


def stop_worker_processes(processes: list[subprocess.Popen[bytes]], timeout: float = 15.0) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
