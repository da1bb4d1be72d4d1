"""The compile job on each queue, and a worker killed in the middle of a compile."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from erpai.ai_models.models import AIModel
from erpai.answering.service import answer_question
from erpai.compilations.jobs import run_compilation
from erpai.compilations.models import Compilation
from erpai.compilations.service import (
    COMPILE_JOB,
    queue_compilation,
    recover_interrupted_compilations,
    start_compilation,
)
from erpai.jobs.queue import enqueue, set_backend
from tests.compilations.factories import admin_with_token, local_provider, model_with_qas

CHILD = """
import sys, time
from erpai.learning import head
original = head.IntentHead.fit
def slow_fit(*args, **kwargs):
    time.sleep(120)  # the worker is killed while it "trains"
    return original(*args, **kwargs)
head.IntentHead.fit = classmethod(lambda cls, *a, **k: slow_fit(*a, **k))
from erpai.compilations.jobs import run_compilation
run_compilation(compilation_id=int(sys.argv[1]))
"""


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _wait_for_status(session: Session, compilation_id: int, status: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        session.rollback()  # end the read snapshot, so the child's commits become visible
        session.expire_all()
        if session.get(Compilation, compilation_id).status == status:  # type: ignore[union-attr]
            return
        time.sleep(0.2)
    raise AssertionError(f"compilation {compilation_id} never reached {status}")


def test_killed_worker_fails_the_compile_and_the_previous_build_keeps_answering(
    live_engine: Engine, live_session: Session, tmp_path: Path
) -> None:
    user, _ = admin_with_token(live_session)
    model = model_with_qas(live_session, name="HR", user=user, provider=local_provider(live_session))
    first = start_compilation(live_session, model_id=model.id, user_id=user.id)
    run_compilation(compilation_id=first.id)
    second = start_compilation(live_session, model_id=model.id, user_id=user.id)
    env = {**os.environ, "ERPAI_DATABASE_URL": _url(live_engine), "ERPAI_DATA_DIR": str(tmp_path)}
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(second.id)], env=env)
    try:
        _wait_for_status(live_session, second.id, "R")
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)

    assert recover_interrupted_compilations(live_session) == [second.id]
    live_session.rollback()  # end any read snapshot
    live_session.expire_all()
    killed = live_session.get(Compilation, second.id)
    assert killed is not None and killed.status == "C" and not killed.is_successful
    assert "stopped" in (killed.error_message or "")
    assert live_session.get(AIModel, model.id).conversational_compilation_id == first.id  # type: ignore[union-attr]
    answer = answer_question(
        live_session, model_id=model.id, question="How many days of paid leave do I get?"
    )
    assert answer.answered and answer.compilation_id == first.id


def test_procrastinate_runs_the_compile_on_postgresql(live_engine: Engine, live_session: Session) -> None:
    if live_engine.dialect.name != "postgresql":
        pytest.skip("procrastinate is the PostgreSQL queue; SQLite uses the in-process worker")
    from erpai.jobs.pg import ProcrastinateBackend

    backend = ProcrastinateBackend(_url(live_engine))
    set_backend(backend)
    user, _ = admin_with_token(live_session)
    model = model_with_qas(live_session, name="HR", user=user, provider=local_provider(live_session))
    compilation = queue_compilation(live_session, model_id=model.id, user_id=user.id)
    assert backend.wait_idle(timeout=120)
    live_session.rollback()  # end any read snapshot
    live_session.expire_all()
    done = live_session.get(Compilation, compilation.id)
    assert done is not None and done.is_successful, done.error_message if done else None


def test_in_process_worker_runs_the_compile(live_engine: Engine, live_session: Session) -> None:
    from tests.conftest import wait_for_jobs

    user, _ = admin_with_token(live_session)
    model = model_with_qas(live_session, name="HR", user=user, provider=local_provider(live_session))
    compilation = queue_compilation(live_session, model_id=model.id, user_id=user.id)
    enqueue(COMPILE_JOB, compilation_id=compilation.id)  # a duplicate delivery is a no-op
    wait_for_jobs()
    live_session.rollback()  # end any read snapshot
    live_session.expire_all()
    done = live_session.get(Compilation, compilation.id)
    assert done is not None and done.is_successful and len(done.assets) == 9


def test_server_started_worker_processes_run_jobs_on_postgresql(
    live_engine: Engine, live_session: Session
) -> None:
    if live_engine.dialect.name != "postgresql":
        pytest.skip("worker processes serve the PostgreSQL queue")
    from erpai.jobs.pg import ProcrastinateBackend
    from erpai.jobs.workers import start_worker_processes, stop_worker_processes

    set_backend(ProcrastinateBackend(_url(live_engine)))
    user, _ = admin_with_token(live_session)
    model = model_with_qas(live_session, name="HR", user=user, provider=local_provider(live_session))
    compilation = start_compilation(live_session, model_id=model.id, user_id=user.id)
    workers = start_worker_processes(_url(live_engine), 1)
    try:
        enqueue("compilations.run", compilation_id=compilation.id)
        _wait_for_status(live_session, compilation.id, "C", timeout=120)
    finally:
        stop_worker_processes(workers)
    assert all(worker.returncode is not None for worker in workers)
    live_session.rollback()
    live_session.expire_all()
    done = live_session.get(Compilation, compilation.id)
    assert done is not None and done.is_successful, done.error_message if done else None
