from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from erpai.chat.arbiter import process_arbiter_task
from erpai.settings.service import set_setting
from erpai.users.models import User
from tests.chat.conftest import FakeAnswering, RecordingBackend, make_arbiter, make_group, post
from tests.conftest import make_user

Auth = tuple[User, dict[str, str]]


def test_arbiter_context_depth_comes_from_the_setting(
    client: TestClient,
    db: Session,
    member: Auth,
    admin: Auth,
    jobs: RecordingBackend,
    fake_answering: FakeAnswering,
) -> None:
    bob, _ = make_user(db, "bob")  # two people: the arbiter answers only its mentions
    bot = make_arbiter(db, "Marketing AI", "marketing-ai")
    group_id = make_group(client, member[1], members=[bob.id, bot.virtual_user_id or 0])
    for i in range(4):
        post(client, member[1], group_id, f"note {i}")
    set_setting(db, key="ai.chat.context_depth", value=2, actor=admin[0])
    post(client, member[1], group_id, "@marketing-ai summarise")
    for _, kwargs in jobs.jobs:
        process_arbiter_task(db, arbiter_task_id=kwargs["arbiter_task_id"])
    (call,) = fake_answering.calls
    assert [m.content for m in call["context"]] == ["note 2", "note 3"]
