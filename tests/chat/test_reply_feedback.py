"""An arbiter's reply carries its hit: members of the group rate it, and it reaches the review inbox."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from erpai.chat.arbiter import process_arbiter_task
from erpai.compilations.models import ModelHit
from erpai.users.models import User
from tests.chat.conftest import RecordingBackend, make_arbiter, make_group, post
from tests.conftest import make_user

Member = tuple[User, dict[str, str]]


def test_members_rate_an_arbiter_reply_and_outsiders_may_not(
    client: TestClient, db: Session, member: Member, admin: Member, jobs: RecordingBackend
) -> None:
    bob, bob_headers = make_user(db, "bob")
    _, carol_headers = make_user(db, "carol")
    bot = make_arbiter(db, "Support AI", "support-ai")
    group_id = make_group(client, member[1], members=[bob.id, bot.virtual_user_id or 0])
    asked = post(client, member[1], group_id, "@support-ai how do I reset my password?")
    for _, kwargs in jobs.jobs:
        process_arbiter_task(db, arbiter_task_id=kwargs["arbiter_task_id"])
    items = client.get(f"/api/v1/chat/groups/{group_id}/comments", headers=member[1]).json()["items"]
    reply = items[-1]
    assert reply["reply_to_comment_id"] == asked["id"] and reply["hit_id"] is not None
    hit = db.get(ModelHit, reply["hit_id"])
    assert hit is not None and (hit.channel, hit.user_id, hit.model_id) == ("chat", member[0].id, bot.id)
    assert asked["hit_id"] is None  # a person's comment is no answer

    outsider = client.post(f"/api/v1/hits/{hit.id}/feedback", headers=carol_headers, json={"rating": "down"})
    assert outsider.status_code == 403, outsider.text
    rated = client.post(
        f"/api/v1/hits/{hit.id}/feedback", headers=bob_headers, json={"rating": "down", "reason": "no answer"}
    )
    assert rated.status_code == 200, rated.text
    db.refresh(hit)
    assert (hit.feedback, hit.feedback_reason, hit.feedback_user_id) == ("down", "no answer", bob.id)
    inbox = client.get(f"/api/v1/models/{bot.id}/inbox", headers=admin[1]).json()
    assert any("reset my password" in item["question"] for item in inbox["items"])
