"""Defect 9: ``erpai chat post`` with a mention and no --wait only enqueues; a worker answers later."""

from __future__ import annotations

from sqlalchemy import select

from erpai.chat.models import ArbiterTask, ChatComment
from tests.kill.conftest import QUESTION, Install, wait_until


def test_chat_post_without_wait_leaves_the_answer_to_a_worker(install: Install) -> None:
    post = install.start("chat", "post", "Team", f"@hr-ai {QUESTION}", "--as", "boss")
    assert post.wait(timeout=90) == 0, install.logs()
    output = install.logs()
    assert "Traceback" not in output and "1 arbiter reply is queued; a worker writes them" in output
    with install.session() as session:  # the CLI process is gone and wrote no reply
        (task,) = session.scalars(select(ArbiterTask))
        assert (task.status, task.reply_comment_id) == ("pending", None)

    worker = install.start("worker")

    def answered() -> ArbiterTask | None:
        with install.session() as session:
            found = session.get(ArbiterTask, task.id)
            return found if found is not None and found.status == "done" else None

    done = wait_until(answered, timeout=90, what="the worker's reply")
    with install.session() as session:
        reply = session.get(ChatComment, done.reply_comment_id)
    assert reply is not None and "25 working days" in reply.text and "unavailable" not in reply.text
    worker.terminate()
    assert worker.wait(timeout=30) == 0
    assert "Traceback" not in install.logs()
