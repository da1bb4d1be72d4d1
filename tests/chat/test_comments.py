from __future__ import annotations

import json

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from erpai.chat import mentions
from erpai.users.models import User
from tests.chat.conftest import make_group, post
from tests.conftest import make_user

Member = tuple[User, dict[str, str]]


def test_mention_helpers() -> None:
    logins = {"bob": 7, "jane.doe": 8}
    stored = mentions.tokenize("@bob, ask @jane.doe. Mail bob@example.com or @nobody", logins=logins)
    assert stored == "{@user:7}, ask {@user:8}. Mail bob@example.com or @nobody"
    assert mentions.mentioned_ids(stored + " {@user:7}") == [7, 8]
    assert (
        mentions.render(stored, names={7: "Bob", 8: "Jane"})
        == "@Bob, ask @Jane. Mail bob@example.com or @nobody"
    )
    assert mentions.render("{@user:9} hi", names={}, prefix="") == "unknown user hi"


def test_mentions_by_login_or_token_render_as_names(client: TestClient, db: Session, member: Member) -> None:
    bob, _ = make_user(db, "bob")
    group_id = make_group(client, member[1], members=[bob.id])
    by_login = post(client, member[1], group_id, "@bob can you check? cc @stranger")
    assert by_login["raw_text"] == f"{{@user:{bob.id}}} can you check? cc @stranger"
    assert by_login["text"] == "@Bob can you check? cc @stranger"
    assert by_login["mentioned_user_ids"] == [bob.id]
    by_token = post(client, member[1], group_id, f"thanks {{@user:{bob.id}}}")
    assert by_token["text"] == "thanks @Bob"
    outsider, _ = make_user(db, "eve")
    refused = client.post(
        f"/api/v1/chat/groups/{group_id}/comments",
        json={"text": f"{{@user:{outsider.id}}} hi"},
        headers=member[1],
    )
    assert refused.status_code == 422
    assert refused.json()["field"] == "text"


def test_reply_must_stay_in_the_group(client: TestClient, member: Member) -> None:
    first = make_group(client, member[1], "One")
    second = make_group(client, member[1], "Two")
    question = post(client, member[1], first, "Question?")
    answer = post(client, member[1], first, "Answer.", reply_to_comment_id=question["id"])
    assert answer["reply_to_comment_id"] == question["id"]
    for target in (question["id"], 999999):
        elsewhere = client.post(
            f"/api/v1/chat/groups/{second}/comments",
            json={"text": "x", "reply_to_comment_id": target},
            headers=member[1],
        )
        assert elsewhere.status_code == 422
        assert elsewhere.json()["field"] == "reply_to_comment_id"
    blank = client.post(f"/api/v1/chat/groups/{first}/comments", json={"text": "   "}, headers=member[1])
    assert blank.status_code == 422


def test_paging_before_and_after(client: TestClient, member: Member) -> None:
    group_id = make_group(client, member[1])
    ids = [post(client, member[1], group_id, f"c{i}")["id"] for i in range(5)]
    url = f"/api/v1/chat/groups/{group_id}/comments"
    latest = client.get(url, params={"limit": 2}, headers=member[1]).json()
    assert [c["id"] for c in latest["items"]] == ids[3:]
    assert latest["has_more"] is True
    older = client.get(url, params={"limit": 2, "before_id": ids[3]}, headers=member[1]).json()
    assert [c["id"] for c in older["items"]] == ids[1:3]
    newer = client.get(url, params={"limit": 10, "after_id": ids[1]}, headers=member[1]).json()
    assert [c["id"] for c in newer["items"]] == ids[2:]
    assert newer["has_more"] is False
    assert client.get(url, params={"limit": 0}, headers=member[1]).json()["field"] == "limit"


def _events(client: TestClient, url: str, headers: dict[str, str]) -> list[dict[str, object]]:
    events = []
    with client.stream("GET", url, headers=headers) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        event_id = None
        for line in response.iter_lines():
            if line.startswith("id: "):
                event_id = int(line[4:])
            elif line.startswith("data: "):
                data = json.loads(line[6:])
                assert data["id"] == event_id
                events.append(data)
    return events


def test_sse_stream_sends_new_comments_and_resumes(
    stream_client: TestClient, db: Session, member: Member
) -> None:
    group_id = make_group(stream_client, member[1])
    ids = [post(stream_client, member[1], group_id, f"c{i}")["id"] for i in range(3)]
    url = f"/api/v1/chat/groups/{group_id}/events?timeout=0.3"
    assert _events(stream_client, url, member[1]) == []  # from now on: nothing new
    resumed = _events(stream_client, f"{url}&after_id={ids[0]}", member[1])
    assert [e["text"] for e in resumed] == ["c1", "c2"]
    by_header = _events(stream_client, url, {**member[1], "Last-Event-ID": str(ids[1])})
    assert [e["id"] for e in by_header] == [ids[2]]
    _, outsider = make_user(db, "eve")
    assert stream_client.get(url, headers=outsider).status_code == 403
