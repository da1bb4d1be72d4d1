"""Background jobs of the chat: each arbiter answer runs in its own session."""

from __future__ import annotations

from erpai.chat.arbiter import process_arbiter_task
from erpai.db import session_factory
from erpai.jobs.queue import task


@task("chat.answer_mention")
def answer_mention(*, arbiter_task_id: int) -> None:
    with session_factory()() as session:
        process_arbiter_task(session, arbiter_task_id=arbiter_task_id)
