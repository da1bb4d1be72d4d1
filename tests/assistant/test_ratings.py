"""Rating an assistant reply shares that one question and reply with the model's trainers."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from erpai.compilations.models import ModelHit
from tests.assistant.helpers import CONVERSATIONS, assistant_model, say, start, user
from tests.compilations.factories import local_provider


def _hits(session: Session) -> int:
    session.rollback()
    count = select(func.count()).select_from(ModelHit).where(ModelHit.channel == "assistant")
    return int(session.scalar(count) or 0)


def test_a_rated_reply_reaches_the_inbox_and_only_its_owner_rates_it(
    live_client: TestClient, live_session: Session
) -> None:
    model, (_, admin_headers) = assistant_model(live_client, live_session, local_provider(live_session))
    jane, bob = user(live_session, "jane"), user(live_session, "bob")
    conversation = start(live_client, jane[1], model.id)
    said = say(live_client, jane[1], conversation["id"], "What is the recipe for banana bread?")
    reply_id, question_id = said["message"]["id"], said["user_message"]["id"]
    assert _hits(live_session) == 0  # private until rated
    url = f"{CONVERSATIONS}/{conversation['id']}/messages"

    other = live_client.post(f"{url}/{reply_id}/feedback", headers=bob[1], json={"rating": "up"})
    assert other.status_code == 404
    mine = live_client.post(f"{url}/{question_id}/feedback", headers=jane[1], json={"rating": "up"})
    assert mine.status_code == 422 and mine.json()["field"] == "message_id"
    down = live_client.post(
        f"{url}/{reply_id}/feedback", headers=jane[1], json={"rating": "down", "reason": "not our topic"}
    )
    assert down.status_code == 200, down.text
    again = live_client.post(f"{url}/{reply_id}/feedback", headers=jane[1], json={"rating": "down"})
    assert again.status_code == 200 and again.json()["hit_id"] == down.json()["hit_id"]
    assert _hits(live_session) == 1  # rated twice, shared once
    hit = live_session.get(ModelHit, down.json()["hit_id"])
    assert hit is not None and hit.question == "What is the recipe for banana bread?"
    assert (hit.feedback, hit.model_id) == ("down", model.id)
    listed = live_client.get(url, headers=jane[1]).json()["items"]
    assert [m["hit_id"] for m in listed] == [None, hit.id]
    inbox = live_client.get(f"/api/v1/models/{model.id}/inbox", headers=admin_headers).json()
    assert any(item["question"] == "What is the recipe for banana bread?" for item in inbox["items"])
