"""SIGKILL of the API and / or the worker mid-job: after a restart nothing is half-written, the job is
failed with a clear message or run again, and the last good build still answers."""

from __future__ import annotations

import threading

import httpx
from sqlalchemy import select

from erpai.chat.models import ArbiterTask, ChatComment
from erpai.compilations.models import Compilation, CompilationArtifact
from erpai.jobs.models import Job
from tests.kill.conftest import QUESTION, Install, kill_group, wait_until


def test_killing_server_and_worker_mid_compile_fails_it_and_the_last_build_answers(install: Install) -> None:
    install.hold("compile")
    server, api = install.serve()
    started = api.post(f"/models/{install.model_id}/compile")
    assert started.status_code == 202, started.text
    second = started.json()["id"]
    install.wait_reached("compile")
    kill_group(server)  # the API and the worker process it started
    install.release("compile")
    with install.session() as session:  # mid-way: running, nothing of the build written
        assert session.get(Compilation, second).status == "R"  # type: ignore[union-attr]
        assert (
            session.scalar(
                select(CompilationArtifact.compilation_id).where(CompilationArtifact.compilation_id == second)
            )
            is None
        )

    server, api = install.serve()
    killed = api.get(f"/compilations/{second}").json()
    assert (killed["status"], killed["is_successful"]) == ("C", False)
    assert "the worker running this compile stopped (killed or crashed)" in killed["error_message"]
    answer = api.post(f"/models/{install.model_id}/ask", json={"question": QUESTION}).json()
    assert answer["answered"] and answer["compilation_id"] == install.first_build
    assert "25 working days" in answer["answer"]
    if install.dialect == "sqlite":
        with install.session() as session:
            job = session.scalars(select(Job).where(Job.name == "compilations.run")).one()
        assert job.status == "failed" and "stopped (killed or crashed)" in (job.error_message or "")

    third = api.post(f"/models/{install.model_id}/compile").json()["id"]  # the restarted worker compiles
    wait_until(
        lambda: api.get(f"/compilations/{third}").json()["status"] == "C", timeout=90, what="a new build"
    )
    assert api.get(f"/compilations/{third}").json()["is_successful"]


def test_killing_the_worker_mid_reply_reruns_the_answer_once_after_restart(install: Install) -> None:
    install.hold("reply")
    _, api = install.serve(ERPAI_EMBEDDED_WORKER="false")
    worker = install.start("worker")
    posted = api.post(f"/chat/groups/{install.group_id}/comments", json={"text": f"@hr-ai {QUESTION}"})
    assert posted.status_code == 201, posted.text
    (task,) = posted.json()["arbiter_tasks"]
    install.wait_reached("reply")
    kill_group(worker)
    install.release("reply")
    with install.session() as session:
        assert session.get(ArbiterTask, task["id"]).status == "running"  # type: ignore[union-attr]
        assert (
            session.scalar(select(ChatComment.id).where(ChatComment.reply_to_comment_id.is_not(None))) is None
        )

    install.start("worker")

    def answered() -> ArbiterTask | None:
        with install.session() as session:
            found = session.get(ArbiterTask, task["id"])
            return found if found is not None and found.status == "done" else None

    done = wait_until(answered, timeout=90, what="the reply after the restart")
    with install.session() as session:
        replies = list(
            session.scalars(select(ChatComment).where(ChatComment.reply_to_comment_id.is_not(None)))
        )
    assert len(replies) == 1 and replies[0].id == done.reply_comment_id and done.attempts == 2
    assert "25 working days" in replies[0].text and "unavailable" not in replies[0].text


def test_killing_the_server_mid_import_writes_no_row_and_a_retry_imports_all(install: Install) -> None:
    rows = 5_000
    csv = "question,answer\n" + "".join(f"Question number {i}?,Answer {i}.\n" for i in range(rows))
    before = install.count_qas()
    install.hold("import")
    server, api = install.serve(ERPAI_EMBEDDED_WORKER="false")
    url = f"/models/{install.model_id}/qas/import?format=csv"
    outcome: list[object] = []
    sender = threading.Thread(target=lambda: outcome.append(_post(api, url, csv)))
    sender.start()
    install.wait_reached("import")  # the rows are inserted, not committed
    kill_group(server)
    sender.join(timeout=30)
    assert outcome and isinstance(outcome[0], httpx.TransportError)  # the client saw the crash
    assert install.count_qas() == before
    install.release("import")

    _, api = install.serve(ERPAI_EMBEDDED_WORKER="false")
    retried = api.post(url, content=csv.encode(), headers={"Content-Type": "text/csv"})
    assert retried.status_code == 200, retried.text
    assert retried.json()["imported"] == rows and install.count_qas() == before + rows


def _post(api: httpx.Client, url: str, csv: str) -> object:
    try:
        return api.post(url, content=csv.encode(), headers={"Content-Type": "text/csv"})
    except httpx.TransportError as exc:
        return exc
