"""Stuck arbiter answers after a restart: lost queue entries and answers whose worker died."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, or_, select, update
from sqlalchemy.orm import Session

from erpai.chat.comments import enqueue_answers
from erpai.chat.models import ArbiterTask
from erpai.config import get_settings
from erpai.db import utcnow
from erpai.jobs.workers import worker_is_gone

log = logging.getLogger("erpai.chat")
MAX_ATTEMPTS = 3  # a task that took its worker down this often is given up, not retried forever


@dataclass
class RecoveredTasks:
    reset: list[int] = field(default_factory=list)  # running, worker dead: back to pending
    given_up: list[int] = field(default_factory=list)
    requeued: list[int] = field(default_factory=list)


def recover_arbiter_tasks(
    session: Session, *, lost_queue: bool = True, stale_seconds: float | None = None
) -> RecoveredTasks:
    """Hands dead ``running`` tasks back to pending, then enqueues pending tasks again.

    ``lost_queue`` (the in-process queue died with its process): every pending task; a durable queue
    (the SQLite jobs table, procrastinate) still holds recent ones, so only the tasks just reset and
    those pending longer than the stale threshold (their enqueue failed) are enqueued again.

    Safe while other workers run: a live worker's task is neither stale nor of a dead process, a
    duplicate delivery finds the task claimed and does nothing, and a presumed-dead worker that comes
    back cannot post its reply (its claim is no longer the task's; see ``arbiter._finish``).
    """
    stale = get_settings().chat_task_stale_seconds if stale_seconds is None else stale_seconds
    result = RecoveredTasks()
    session.commit()  # end any earlier transaction: what follows reads fresh rows
    running = session.execute(
        select(ArbiterTask.id, ArbiterTask.attempts, ArbiterTask.claim_time_utc, ArbiterTask.worker_id).where(
            ArbiterTask.status == "running"
        )
    ).tuples()
    stale_before = utcnow() - timedelta(seconds=stale)
    for task_id, attempts, claimed, worker in list(running):
        if not worker_is_gone(claimed, worker, stale_before):
            continue
        give_up = attempts >= MAX_ATTEMPTS
        values = {"status": "failed", "completion_time_utc": utcnow()} if give_up else {"status": "pending"}
        # Only if nobody finished or re-claimed it since it was read.
        stmt = (
            update(ArbiterTask)
            .where(
                ArbiterTask.id == task_id, ArbiterTask.status == "running", ArbiterTask.attempts == attempts
            )
            .values(**values)
        )
        changed = cast(
            CursorResult[Any], session.execute(stmt, execution_options={"synchronize_session": False})
        )
        if changed.rowcount == 1:
            (result.given_up if give_up else result.reset).append(task_id)
    session.commit()
    pending = select(ArbiterTask.id).where(ArbiterTask.status == "pending").order_by(ArbiterTask.id)
    if not lost_queue:
        # The reset ones too: their job was consumed by the worker that died.
        old = ArbiterTask.creation_time_utc < stale_before
        pending = pending.where(or_(old, ArbiterTask.id.in_(result.reset)) if result.reset else old)
    result.requeued = list(session.scalars(pending))
    session.commit()
    enqueue_answers(result.requeued)
    _report(result)
    return result


def _report(result: RecoveredTasks) -> None:
    if result.reset or result.given_up or result.requeued:
        log.warning(
            "arbiter tasks: reset %s, given up %s, %s pending enqueued again",
            result.reset,
            result.given_up,
            len(result.requeued),
        )
