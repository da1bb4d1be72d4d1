from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from erpai.chat.arbiter import process_arbiter_task
from erpai.chat.models import ArbiterTask
from erpai.compilations.models import Compilation
from erpai.errors import MissingCapability
from erpai.users.models import User
from tests.chat.conftest import FakeAnswering, RecordingBackend, make_arbiter, make_group, post
from tests.conftest import make_user

Member = tuple[User, dict[str, str]]


def _comments(client: TestClient, headers: dict[str, str], group_id: int) -> list[dict[str, object]]:
    return list(client.get(f"/api/v1/chat/groups/{group_id}/comments", headers=headers).json()["items"])


def _run_jobs(db: Session, jobs: RecordingBackend) -> None:
    for name, kwargs in jobs.jobs:
        assert name == "chat.answer_mention"
        process_arbiter_task(db, arbiter_task_id=kwargs["arbiter_task_id"])
    jobs.jobs.clear()


def test_mention_is_answered_once_as_a_reply_with_context(
    client: TestClient, db: Session, member: Member, jobs: RecordingBackend, fake_answering: FakeAnswering
) -> None:
    bob, _ = make_user(db, "bob")
    bot = make_arbiter(db, "Marketing AI", "marketing-ai")
    group_id = make_group(client, member[1], members=[bob.id, bot.virtual_user_id or 0])
    post(client, member[1], group_id, "We launch on Monday.")
    asked = post(client, member[1], group_id, "@marketing-ai how often should we post on Instagram?")
    assert [t["model_id"] for t in asked["arbiter_tasks"]] == [bot.id]
    assert len(_comments(client, member[1], group_id)) == 2  # saved at once, the reply follows
    task_id = jobs.jobs[0][1]["arbiter_task_id"]
    _run_jobs(db, jobs)
    assert process_arbiter_task(db, arbiter_task_id=task_id) is None  # a second delivery does nothing
    reply = _comments(client, member[1], group_id)[-1]
    assert (reply["text"], reply["author_name"], reply["reply_to_comment_id"]) == (
        "Twice a week.",
        "Marketing AI",
        asked["id"],
    )
    (call,) = fake_answering.calls
    assert call["question"] == "how often should we post on Instagram?"
    assert [(m.name, m.content) for m in call["context"]] == [("Jane", "We launch on Monday.")]
    assert call["channel"] == "chat"
    assert db.get(ArbiterTask, task_id).status == "done"  # type: ignore[union-attr]


def test_no_mention_no_answer_and_arbiters_never_trigger(
    client: TestClient, db: Session, member: Member, jobs: RecordingBackend, fake_answering: FakeAnswering
) -> None:
    bob, _ = make_user(db, "bob")
    first = make_arbiter(db, "Marketing AI", "marketing-ai")
    second = make_arbiter(db, "Sales AI", "sales-ai")
    group_id = make_group(
        client, member[1], members=[bob.id, first.virtual_user_id or 0, second.virtual_user_id or 0]
    )
    assert post(client, member[1], group_id, "no mention here")["arbiter_tasks"] == []
    fake_answering.answer = f"Ask @sales-ai and {{@user:{second.virtual_user_id}}}"
    post(client, member[1], group_id, "@marketing-ai hi")
    _run_jobs(db, jobs)
    # The arbiter's reply names the other arbiter, yet no task follows: AI comments never trigger answers.
    assert db.scalars(select(ArbiterTask)).all()[-1].model_id == first.id
    assert len(db.scalars(select(ArbiterTask)).all()) == 1
    assert jobs.jobs == []


def test_several_arbiters_answer_only_their_own_mentions(
    client: TestClient, db: Session, member: Member, jobs: RecordingBackend, fake_answering: FakeAnswering
) -> None:
    bob, _ = make_user(db, "bob")
    first = make_arbiter(db, "Marketing AI", "marketing-ai")
    second = make_arbiter(db, "Sales AI", "sales-ai")
    group_id = make_group(
        client, member[1], members=[bob.id, first.virtual_user_id or 0, second.virtual_user_id or 0]
    )
    only_sales = post(client, member[1], group_id, "@sales-ai price?")
    both = post(client, member[1], group_id, "@sales-ai and @marketing-ai: plan?")
    assert [t["model_id"] for t in only_sales["arbiter_tasks"]] == [second.id]
    assert sorted(t["model_id"] for t in both["arbiter_tasks"]) == sorted([first.id, second.id])
    _run_jobs(db, jobs)
    replies = [c for c in _comments(client, member[1], group_id) if c["author_is_virtual"]]
    assert sorted((c["reply_to_comment_id"], c["author_name"]) for c in replies) == sorted(
        [(only_sales["id"], "Sales AI"), (both["id"], "Sales AI"), (both["id"], "Marketing AI")]
    )


def test_one_person_chat_answers_every_comment_but_observer_arbiter_stays_silent(
    client: TestClient, db: Session, member: Member, fake_answering: FakeAnswering
) -> None:
    bot = make_arbiter(db, "Marketing AI", "marketing-ai")
    quiet = make_arbiter(db, "Quiet AI", "quiet-ai")
    group_id = make_group(client, member[1], members=[bot.virtual_user_id or 0])
    client.post(
        f"/api/v1/chat/groups/{group_id}/members",
        json={"user_id": quiet.virtual_user_id, "role": "observer"},
        headers=member[1],
    )
    comment = post(client, member[1], group_id, "How often should I post?")
    assert [t["model_id"] for t in comment["arbiter_tasks"]] == [bot.id]


def test_unanswerable_questions_get_a_plain_reply(
    client: TestClient, db: Session, member: Member, jobs: RecordingBackend, fake_answering: FakeAnswering
) -> None:
    bot = make_arbiter(db, "Marketing AI", "marketing-ai")
    group_id = make_group(client, member[1], members=[bot.virtual_user_id or 0])
    fake_answering.answer = None
    post(client, member[1], group_id, "first")
    _run_jobs(db, jobs)
    db.add(Compilation(model_id=bot.id, user_id=member[0].id, status="C", is_successful=True))
    db.commit()
    post(client, member[1], group_id, "second")
    _run_jobs(db, jobs)
    bot.fallback_answer = "Please ask the marketing team."
    db.commit()
    post(client, member[1], group_id, "third")
    _run_jobs(db, jobs)
    fake_answering.error = MissingCapability("the provider cannot chat")
    post(client, member[1], group_id, "fourth")
    _run_jobs(db, jobs)
    fake_answering.error = RuntimeError("connection refused")
    post(client, member[1], group_id, "fifth")
    _run_jobs(db, jobs)
    replies = [c["text"] for c in _comments(client, member[1], group_id) if c["author_is_virtual"]]
    assert replies == [
        "I can't answer yet: model Marketing AI has not been compiled.",
        "I don't know.",
        "Please ask the marketing team.",
        "I can't answer right now: the provider cannot chat",
        "I can't answer right now: model Marketing AI is unavailable right now. Please try again later.",
    ]


def test_removed_arbiter_skips_its_task(
    client: TestClient, db: Session, member: Member, jobs: RecordingBackend, fake_answering: FakeAnswering
) -> None:
    bot = make_arbiter(db, "Marketing AI", "marketing-ai")
    group_id = make_group(client, member[1], members=[bot.virtual_user_id or 0])
    post(client, member[1], group_id, "hello?")
    client.delete(f"/api/v1/chat/groups/{group_id}/members/{bot.virtual_user_id}", headers=member[1])
    _run_jobs(db, jobs)
    assert [t.status for t in db.scalars(select(ArbiterTask))] == ["skipped"]
    assert fake_answering.calls == []
