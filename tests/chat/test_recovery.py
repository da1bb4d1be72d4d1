"""The startup sweep: lost and dead arbiter answers are handed out again, and answered exactly once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from erpai.chat.arbiter import process_arbiter_task
from erpai.chat.models import ArbiterTask, ChatComment
from erpai.chat.recovery import MAX_ATTEMPTS, recover_arbiter_tasks
from erpai.db import utcnow
from erpai.users.models import User
from tests.chat.conftest import FakeAnswering, RecordingBackend, make_arbiter, make_group, post
from tests.conftest import make_user

Member = tuple[User, dict[str, str]]
DEAD_WORKER = "no-such-host:1"


@pytest.fixture
def asked(
    client: TestClient, db: Session, member: Member, jobs: RecordingBackend, fake_answering: FakeAnswering
) -> ArbiterTask:
    """A mention in a one-person chat whose answer job was never delivered (the queue lost it)."""
    bot = make_arbiter(db, "Marketing AI", "marketing-ai")
    group_id = make_group(client, member[1], members=[bot.virtual_user_id or 0])
    post(client, member[1], group_id, "@marketing-ai how often should we post?")
    jobs.jobs.clear()
    task = db.scalars(select(ArbiterTask)).one()
    return task


def _deliver(db: Session, jobs: RecordingBackend) -> list[int]:
    delivered = [kwargs["arbiter_task_id"] for _, kwargs in jobs.jobs]
    jobs.jobs.clear()
    for task_id in delivered:
        process_arbiter_task(db, arbiter_task_id=task_id)
    return delivered


def _replies(db: Session, task: ArbiterTask) -> int:
    stmt = select(func.count()).where(ChatComment.reply_to_comment_id == task.comment_id)
    return db.scalar(stmt) or 0


def _set_running(
    db: Session, task: ArbiterTask, *, age_seconds: float, worker: str, attempts: int = 1
) -> None:
    values: dict[str, Any] = {
        "status": "running",
        "attempts": attempts,
        "claim_time_utc": utcnow() - timedelta(seconds=age_seconds),
        "worker_id": worker,
    }
    db.execute(update(ArbiterTask).where(ArbiterTask.id == task.id).values(**values))
    db.commit()


def test_a_pending_task_whose_job_was_lost_is_enqueued_again(
    db: Session, jobs: RecordingBackend, asked: ArbiterTask
) -> None:
    result = recover_arbiter_tasks(db)
    assert (result.requeued, result.reset) == ([asked.id], [])
    assert _deliver(db, jobs) == [asked.id]
    recover_arbiter_tasks(db)  # a second sweep finds nothing left
    assert jobs.jobs == []
    db.refresh(asked)
    assert (asked.status, asked.attempts, _replies(db, asked)) == ("done", 1, 1)


def test_a_durable_queue_gets_only_old_pending_tasks_again(
    db: Session, jobs: RecordingBackend, asked: ArbiterTask
) -> None:
    assert recover_arbiter_tasks(db, lost_queue=False, stale_seconds=60).requeued == []  # still queued
    old = utcnow() - timedelta(seconds=120)
    db.execute(update(ArbiterTask).where(ArbiterTask.id == asked.id).values(creation_time_utc=old))
    db.commit()
    assert recover_arbiter_tasks(db, lost_queue=False, stale_seconds=60).requeued == [asked.id]


def test_enqueue_failure_leaves_the_task_pending_for_the_sweep(
    client: TestClient, db: Session, member: Member, jobs: RecordingBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(name: str, kwargs: dict[str, Any]) -> None:
        raise ConnectionError("queue down")

    bot = make_arbiter(db, "Marketing AI", "marketing-ai")
    group_id = make_group(client, member[1], members=[bot.virtual_user_id or 0])
    monkeypatch.setattr(jobs, "enqueue", broken)
    comment = post(client, member[1], group_id, "@marketing-ai hello?")  # saved all the same
    monkeypatch.undo()
    (task,) = comment["arbiter_tasks"]
    assert task["status"] == "pending" and jobs.jobs == []
    assert recover_arbiter_tasks(db).requeued == [task["id"]]


def test_running_tasks_of_dead_workers_are_reset_live_ones_kept(
    db: Session, jobs: RecordingBackend, asked: ArbiterTask, fake_answering: FakeAnswering
) -> None:
    _set_running(db, asked, age_seconds=5, worker=_this_process())  # alive, recent: left alone
    assert recover_arbiter_tasks(db, stale_seconds=60).requeued == []
    _set_running(db, asked, age_seconds=120, worker=_this_process())  # stale: presumed dead
    assert recover_arbiter_tasks(db, stale_seconds=60).reset == [asked.id]
    _deliver(db, jobs)
    db.refresh(asked)
    assert (asked.status, asked.attempts, _replies(db, asked)) == ("done", 2, 1)


def test_a_fresh_claim_of_a_gone_process_on_this_host_is_reset(
    db: Session, jobs: RecordingBackend, asked: ArbiterTask
) -> None:
    import socket

    _set_running(db, asked, age_seconds=1, worker=f"{socket.gethostname()}:999999999")
    assert recover_arbiter_tasks(db, stale_seconds=600).reset == [asked.id]
    assert [kwargs["arbiter_task_id"] for _, kwargs in jobs.jobs] == [asked.id]


def test_a_worker_presumed_dead_that_comes_back_cannot_answer_twice(
    db: Session, jobs: RecordingBackend, asked: ArbiterTask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first worker stalls while answering; the sweep hands the task on; then the first one resumes."""
    calls: list[str] = []

    def stalling(
        session: Session, *, model_id: int, comment_id: int, commit: bool = True
    ) -> tuple[str, int | None]:
        calls.append("ask")
        if len(calls) == 1:
            _set_running(db, asked, age_seconds=3600, worker=DEAD_WORKER)
            recover_arbiter_tasks(db, stale_seconds=60)
            _deliver(db, jobs)  # the second worker answers
            return "late answer", None
        return "Twice a week.", None

    monkeypatch.setattr("erpai.chat.arbiter.compose_answer", stalling)
    assert process_arbiter_task(db, arbiter_task_id=asked.id) is None  # the stalled worker's reply is dropped
    db.refresh(asked)
    texts = list(
        db.scalars(select(ChatComment.text).where(ChatComment.reply_to_comment_id == asked.comment_id))
    )
    assert (calls, texts, asked.status, asked.attempts) == (["ask", "ask"], ["Twice a week."], "done", 2)


def test_a_task_that_keeps_killing_its_worker_is_given_up(
    db: Session, jobs: RecordingBackend, asked: ArbiterTask
) -> None:
    _set_running(db, asked, age_seconds=3600, worker=DEAD_WORKER, attempts=MAX_ATTEMPTS)
    result = recover_arbiter_tasks(db, stale_seconds=60)
    assert (result.given_up, result.reset, result.requeued) == ([asked.id], [], [])
    db.refresh(asked)
    assert (asked.status, _replies(db, asked)) == ("failed", 0)


def test_the_api_startup_answers_what_the_previous_process_left_pending(
    live_client: TestClient, live_session: Session, fake_answering: FakeAnswering
) -> None:
    from erpai.api import create_app
    from tests.conftest import wait_for_jobs

    person, headers = make_user(live_session, "jane")
    bot = make_arbiter(live_session, "Marketing AI", "marketing-ai")
    group_id = make_group(live_client, headers, members=[bot.virtual_user_id or 0])
    live_session.add(ChatComment(group_id=group_id, user_id=person.id, text="left behind"))
    live_session.flush()
    comment_id = max(live_session.scalars(select(ChatComment.id)))
    live_session.add(ArbiterTask(comment_id=comment_id, model_id=bot.id))
    live_session.commit()
    with TestClient(create_app()):  # the lifespan runs the startup sweep
        wait_for_jobs()
    live_session.rollback()
    reply = live_session.scalars(
        select(ChatComment).where(ChatComment.reply_to_comment_id == comment_id)
    ).one()
    assert (reply.text, reply.user_id) == ("Twice a week.", bot.virtual_user_id)


def _this_process() -> str:
    from erpai.jobs.workers import worker_identity

    return worker_identity()
