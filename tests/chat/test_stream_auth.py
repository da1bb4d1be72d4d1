"""The event stream stops when its token or user stops being valid, and has a maximum lifetime."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from erpai.chat import events
from erpai.db import session_factory, stream_sessions
from erpai.settings.service import set_setting
from erpai.users.models import User
from tests.chat.conftest import make_group, post
from tests.conftest import make_user

Auth = tuple[User, dict[str, str]]
STREAM_LIMIT = 60  # seconds: a stream that is not closed by the server runs this long and then fails


class StreamInThread:
    """Reads one stream in a thread (the test client returns it whole once it ends) and tells when
    the server started polling, so the test can act while the stream is open."""

    def __init__(self, client: TestClient, url: str, headers: dict[str, str]) -> None:
        self.polling = threading.Event()
        self.text = ""
        self.status = 0
        opener = session_factory()

        def signalling_opener() -> AbstractContextManager[Session]:
            self.polling.set()
            return opener()

        factory: Callable[[], Callable[[], AbstractContextManager[Session]]] = lambda: signalling_opener  # noqa: E731
        client.app.dependency_overrides[stream_sessions] = factory  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._read, args=(client, url, headers), daemon=True)

    def _read(self, client: TestClient, url: str, headers: dict[str, str]) -> None:
        response = client.get(url, headers=headers)
        self.status, self.text = response.status_code, response.text

    def __enter__(self) -> StreamInThread:
        self._thread.start()
        assert self.polling.wait(STREAM_LIMIT), "the stream never started polling"
        return self

    def __exit__(self, *exc: object) -> None:
        self._thread.join(STREAM_LIMIT + 10)
        assert not self._thread.is_alive()


@pytest.fixture
def group(live_client: TestClient, live_session: Session) -> Iterator[tuple[int, Auth, Auth, Auth]]:
    admin = make_user(live_session, "root", admin=True)
    jane = make_user(live_session, "jane")
    bob = make_user(live_session, "bob")
    group_id = make_group(live_client, jane[1], members=[bob[0].id])
    yield group_id, admin, jane, bob


@pytest.fixture
def slow_recheck(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only a new comment triggers the token check, so these tests see the check 'before sending'."""
    monkeypatch.setattr(events, "AUTH_RECHECK_SECONDS", 3600.0)


def _token_id(client: TestClient, auth: Auth) -> int:
    return int(client.get(f"/api/v1/users/{auth[0].id}/tokens", headers=auth[1]).json()[0]["id"])


@pytest.mark.usefixtures("slow_recheck")
def test_a_revoked_token_gets_no_further_events(
    live_client: TestClient, group: tuple[int, Auth, Auth, Auth]
) -> None:
    group_id, _, jane, bob = group
    token_id = _token_id(live_client, jane)
    url = f"/api/v1/chat/groups/{group_id}/events?timeout={STREAM_LIMIT}"
    with StreamInThread(live_client, url, jane[1]) as stream:
        revoked = live_client.delete(f"/api/v1/users/{jane[0].id}/tokens/{token_id}", headers=jane[1])
        assert revoked.status_code == 200
        post(live_client, bob[1], group_id, "secret plans")
    assert stream.status == 200
    assert "secret plans" not in stream.text
    assert "event: end\ndata: invalid or revoked API token" in stream.text


@pytest.mark.usefixtures("slow_recheck")
def test_a_deactivated_user_gets_no_further_events(
    live_client: TestClient, group: tuple[int, Auth, Auth, Auth]
) -> None:
    group_id, admin, jane, bob = group
    url = f"/api/v1/chat/groups/{group_id}/events?timeout={STREAM_LIMIT}"
    with StreamInThread(live_client, url, jane[1]) as stream:
        off = live_client.patch(f"/api/v1/users/{jane[0].id}", json={"is_active": False}, headers=admin[1])
        assert off.status_code == 200
        post(live_client, bob[1], group_id, "after jane left")
    assert "after jane left" not in stream.text
    assert "event: end\ndata: the token's user is inactive" in stream.text


def test_the_token_is_rechecked_without_new_comments(
    live_client: TestClient, group: tuple[int, Auth, Auth, Auth], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(events, "AUTH_RECHECK_SECONDS", 0.2)
    group_id, _, jane, _ = group
    token_id = _token_id(live_client, jane)
    url = f"/api/v1/chat/groups/{group_id}/events?timeout={STREAM_LIMIT}"
    with StreamInThread(live_client, url, jane[1]) as stream:
        live_client.delete(f"/api/v1/users/{jane[0].id}/tokens/{token_id}", headers=jane[1])
    assert "event: end\ndata: invalid or revoked API token" in stream.text


def _fields(text: str) -> list[dict[str, str]]:
    blocks = []
    for block in text.strip().split("\n\n"):
        fields: dict[str, str] = {}
        for line in block.splitlines():
            name, _, value = line.partition(": ")
            fields[name] = value
        blocks.append(fields)
    return blocks


def test_streams_end_after_the_maximum_lifetime_with_a_reconnect_event(
    stream_client: TestClient, db: Session, admin: Auth, member: Auth
) -> None:
    group_id = make_group(stream_client, member[1])
    ids = [post(stream_client, member[1], group_id, f"c{i}")["id"] for i in range(2)]
    set_setting(db, key="chat.stream_max_seconds", value=1, actor=admin[0])
    url = f"/api/v1/chat/groups/{group_id}/events"
    for query in ("", "?timeout=30"):  # a longer client timeout is capped by the setting
        response = stream_client.get(url + query, headers=member[1])
        last = _fields(response.text)[-1]
        assert (last["event"], last["retry"], last["id"]) == ("reconnect", "1000", str(ids[-1]))
        assert json.loads(last["data"])["last_event_id"] == ids[-1]
    resumed = stream_client.get(f"{url}?after_id={ids[0]}", headers=member[1])
    blocks = _fields(resumed.text)
    assert [b.get("event") for b in blocks] == [None, "comment", "reconnect"]
    assert blocks[-1]["id"] == str(ids[1])
    # A stream the client limits below the maximum just ends.
    short = stream_client.get(f"{url}?timeout=0.3", headers=member[1])
    assert "reconnect" not in short.text
