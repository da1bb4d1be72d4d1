"""Cancelling a compile while its worker writes to the same row: the admin's cancel wins, no 409."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from erpai.compilations.models import Compilation, CompilationStatus
from erpai.compilations.service import cancel_compilation, get_compilation
from tests.compilations.factories import admin_with_token, model_with_qas


def test_cancel_retries_when_the_worker_wrote_the_row_in_between(live_engine: Engine) -> None:
    with Session(live_engine, expire_on_commit=False) as admin_session:
        admin, _ = admin_with_token(admin_session)
        model = model_with_qas(admin_session, name="Race", user=admin, provider=None)
        running = Compilation(model_id=model.id, user_id=admin.id, status=CompilationStatus.RUNNING.value)
        admin_session.add(running)
        admin_session.commit()
        loaded = get_compilation(admin_session, compilation_id=running.id)  # the admin's view of the row
        with Session(live_engine) as worker:  # the worker appends to the log: object_version moves on
            worker.execute(
                update(Compilation)
                .where(Compilation.id == running.id)
                .values(build_log="step 1\n", object_version=Compilation.object_version + 1)
            )
            worker.commit()
        cancelled = cancel_compilation(admin_session, compilation_id=running.id, actor_id=admin.id)
        assert cancelled is loaded and cancelled.status == CompilationStatus.COMPLETED.value
        assert cancelled.error_message == f"cancelled by {admin.login}"
        assert cancelled.build_log is not None and cancelled.build_log.startswith("step 1\n")
