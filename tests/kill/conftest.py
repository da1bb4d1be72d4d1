"""Kill tests: real ``erpai serve`` / ``erpai worker`` processes on a throw-away database, killed mid-job.

Each test gets a migrated database (a SQLite file, or a PostgreSQL database when ERPAI_TEST_PG_URL
is set) with an admin (token ``tok-boss``), a compiled model "HR" (the last good build) that speaks
in a chat group as the virtual user ``hr-ai``. ``hooks/sitecustomize.py`` lets a test hold a job
mid-way (a gate file) and know when it got there.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from erpai.chat.schemas import GroupCreate
from erpai.chat.service import create_group
from erpai.compilations.jobs import run_compilation
from erpai.compilations.service import start_compilation
from erpai.config import get_settings
from erpai.db import get_engine, make_engine
from erpai.migrate import upgrade
from erpai.qas.models import ModelQA
from erpai.users.models import User, UserType
from tests.compilations.factories import admin_with_token, local_provider, model_with_qas
from tests.conftest import BACKENDS, _create_pg_database, _drop_pg_database

HOOKS = Path(__file__).parent / "hooks"
HEADERS = {"Authorization": "Bearer tok-boss"}
QUESTION = "How many days of paid leave do I get per year?"


def wait_until(check: Callable[[], Any], *, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")


def kill_group(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL the process and everything it started (a crash of the machine's erpai)."""
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


@dataclass
class Install:
    url: str
    dialect: str
    workdir: Path
    engine: Engine
    model_id: int
    group_id: int
    first_build: int
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def gate(self) -> Path:
        return self.workdir / "gate"

    def hold(self, what: str) -> None:
        self.workdir.joinpath(f"gate.{what}").touch()

    def release(self, what: str) -> None:
        self.workdir.joinpath(f"gate.{what}").unlink(missing_ok=True)

    def wait_reached(self, what: str, timeout: float = 90) -> None:
        wait_until(self.workdir.joinpath(f"gate.{what}.reached").exists, timeout=timeout, what=what)

    def env(self, **extra: str) -> dict[str, str]:
        path = os.pathsep.join(p for p in (str(HOOKS), os.environ.get("PYTHONPATH", "")) if p)
        return {
            **os.environ,
            "ERPAI_DATABASE_URL": self.url,
            "ERPAI_DATA_DIR": str(self.workdir),
            "ERPAI_KILLTEST_GATE": str(self.gate),
            "ERPAI_JOB_POLL_SECONDS": "0.2",
            "ERPAI_EMBEDDED_WORKER_PROCESSES": "1",
            "PYTHONPATH": path,
            **extra,
        }

    def start(self, *args: str, **env: str) -> subprocess.Popen[bytes]:
        """``erpai <args>`` in its own process group, its output in a log file of the test."""
        log = (self.workdir / f"{args[0]}-{len(self.processes)}.log").open("wb")
        command = [sys.executable, "-m", "erpai.cli.main", *args]
        process = subprocess.Popen(
            command, env=self.env(**env), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.processes.append(process)
        return process

    def serve(self, **env: str) -> tuple[subprocess.Popen[bytes], httpx.Client]:
        port = _free_port()
        process = self.start("serve", "--host", "127.0.0.1", "--port", str(port), **env)
        client = httpx.Client(base_url=f"http://127.0.0.1:{port}/api/v1", headers=HEADERS, timeout=60)

        def healthy() -> bool:
            assert process.poll() is None, f"erpai serve exited:\n{self.logs()}"
            try:
                return client.get("/health").status_code == 200
            except httpx.TransportError:
                return False

        wait_until(healthy, timeout=60, what="erpai serve to answer")
        return process, client

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    def count_qas(self) -> int:
        with self.session() as session:
            return session.scalar(select(func.count()).where(ModelQA.model_id == self.model_id)) or 0

    def logs(self) -> str:
        return "\n".join(
            f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}" for p in self.workdir.glob("*.log")
        )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(params=BACKENDS)
def install(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[Install]:
    workdir = Path(tempfile.mkdtemp(prefix="erpai-kill-"))
    pg_name = None
    if request.param == "sqlite":
        url = f"sqlite:///{workdir.as_posix()}/erpai.db"
    else:
        pg_name, url = _create_pg_database()
    upgrade(url)
    # This process's sessions (the seeding compile) use the test database too.
    monkeypatch.setenv("ERPAI_DATABASE_URL", url)
    get_settings.cache_clear()
    get_engine.cache_clear()
    engine = make_engine(url, sqlite_begin="BEGIN")  # the test's reads never take the write lock
    install = _seed(url, request.param, workdir, engine)
    try:
        yield install
    finally:
        for process in install.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=30)
        print(install.logs())  # shown by pytest when the test failed
        engine.dispose()
        get_engine().dispose()
        get_settings.cache_clear()
        get_engine.cache_clear()
        if pg_name:
            _drop_pg_database(pg_name)


def _seed(url: str, dialect: str, workdir: Path, engine: Engine) -> Install:
    with Session(get_engine(), expire_on_commit=False) as session:
        admin, _ = admin_with_token(session)
        model = model_with_qas(session, name="HR", user=admin, provider=local_provider(session))
        speaker = User(login="hr-ai", name="HR AI", user_type=UserType.VIRTUAL.value)
        session.add(speaker)
        session.flush()
        model.virtual_user_id = speaker.id
        session.commit()
        group = create_group(session, data=GroupCreate(name="Team", member_ids=[speaker.id]), actor=admin)
        first = start_compilation(session, model_id=model.id, user_id=admin.id)
    run_compilation(compilation_id=first.id)
    return Install(url, dialect, workdir, engine, model.id, group.id, first.id)
