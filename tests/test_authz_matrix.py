"""Authorization matrix: every API route x method, called by every kind of actor, on both databases.

The routes come from ``create_app().routes``, so a new endpoint without a row in ``POLICY`` fails
``test_every_route_has_a_policy_row``. The actors and the fixture world are described in
``tests/authz_world.py``. Adding a route is one line::

    ("POST", "/api/v1/models/{model_id}/qas"): row(201, TRAINERS, json={"model_id": "@model_id"}),

``row(ok, allowed, denied=403, also=..., json=/content=/query=/params=)``: the ``allowed`` actors get
``ok`` (an int or a set: an allowed call may also meet a domain conflict such as 409), every other
signed-in actor gets ``denied`` (403 where the thing may be known to exist, 404 where its existence is
private), ``also`` overrides single actors, and anonymous callers and revoked tokens get 401 (unless
``public=True``). Path parameters are filled from the world (``PARAMS``, or ``params={"model_id":
"other_model_id"}``, or a literal with ``"=value"``); ``"@name"`` in a body or query is the world's id
of that name (``"@user:member"`` is a user's id). Each call runs in a savepoint that is rolled back,
so calls do not see each other.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import fastapi.routing
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session

from erpai.api import create_app
from erpai.db import get_session, stream_sessions
from erpai.jobs.queue import set_backend
from erpai.users.throttle import failed_auth_throttle
from tests.authz_world import ACTORS, World, build_world

SIGNED_IN = ("user", "other_trainer", "member", "non_member", "owner", "admin")
ADMIN = ("admin",)
OWNER = ("owner",)
TRAINERS = ("owner", "admin")  # of model Alpha
USERS = ("non_member", "owner", "admin")  # may ask model Alpha
MEMBERS = ("member", "owner")  # of the group (the admin is not in it)
CHAT_READERS = ("member", "owner", "admin")  # of the Train-AI conversation
MEMBER_MANAGERS = ("owner", "admin")
SELF = ("owner", "admin")  # /users/{owner}: the user themselves or an admin
NOT_ITS_TRAINER = {"member": 403}  # a group member reads the Train-AI conversation but may not change it


@dataclass(frozen=True)
class Row:
    expected: dict[str, frozenset[int]]
    json: Any = None
    content: str | None = None
    query: dict[str, Any] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)


def row(
    ok: int | set[int],
    allowed: tuple[str, ...],
    *,
    denied: int = 403,
    also: dict[str, int] | None = None,
    public: bool = False,
    json: Any = None,
    content: str | None = None,
    query: dict[str, Any] | None = None,
    params: dict[str, str] | None = None,
) -> Row:
    good = frozenset({ok} if isinstance(ok, int) else ok)
    expected = {a: good if a in allowed else frozenset({denied}) for a in SIGNED_IN}
    expected.update({a: frozenset({s}) for a, s in (also or {}).items()})
    for actor in ("anonymous", "revoked"):
        expected[actor] = good if public else frozenset({401})
    return Row(expected, json=json, content=content, query=query or {}, params=params or {})


V1 = "/api/v1"
CONV = V1 + "/training-conversations/{conversation_id}"
ASSISTANT = V1 + "/assistant/conversations"
GROUP = V1 + "/chat/groups/{group_id}"
QA_CSV = "question,answer\nParking?,Level -1.\n"
CONV_JSONL = '{"messages": [{"role": "user", "content": "Q"}, {"role": "assistant", "content": "A"}]}\n'
SETTING = {"key": "=ai.chat.context_depth"}
FORM_KIND = {"form_kind": "=record"}  # "=value": a literal path value, not a world id
NEW_CONV = {"model_id": "@model_id", "messages": [{"role": "user", "content": "Hi"}]}

PARTIES = {"kind": "=parties"}
RULE = {
    "name": "R",
    "entity": "parties",
    "event": "create",
    "actions": [{"type": "AIWARNING", "prompt": "{Name}?", "message": "m"}],
}

POLICY: dict[tuple[str, str], Row] = {
    ("GET", V1 + "/health"): row(200, SIGNED_IN, public=True),
    # users and tokens
    ("GET", V1 + "/users/me"): row(200, SIGNED_IN),
    ("PATCH", V1 + "/users/me"): row(200, SIGNED_IN, json={"working_language": "de"}),
    ("GET", V1 + "/users"): row(200, ADMIN),
    ("POST", V1 + "/users"): row(201, ADMIN, json={"login": "newbie", "name": "Newbie"}),
    ("GET", V1 + "/users/{user_id}"): row(200, SELF),
    ("PATCH", V1 + "/users/{user_id}"): row(200, ADMIN, json={"name": "Renamed"}),
    ("POST", V1 + "/users/{user_id}/tokens"): row(201, SELF, json={"name": "ci"}),
    ("GET", V1 + "/users/{user_id}/tokens"): row(200, SELF),
    ("DELETE", V1 + "/users/{user_id}/tokens/{token_id}"): row(200, SELF),
    # providers: configuration
    ("GET", V1 + "/providers"): row(200, ADMIN),
    ("POST", V1 + "/providers"): row(201, ADMIN, json={"name": "Local2", "kind": "local"}),
    ("GET", V1 + "/providers/{provider_id}"): row(200, ADMIN),
    ("PATCH", V1 + "/providers/{provider_id}"): row(200, ADMIN, json={"notes": "n"}),
    ("DELETE", V1 + "/providers/{provider_id}"): row(409, ADMIN),  # models still use it
    ("POST", V1 + "/providers/{provider_id}/test"): row(200, ADMIN),
    # models, grants: configuration; models are listed to everyone
    ("GET", V1 + "/models"): row(200, SIGNED_IN),
    ("POST", V1 + "/models"): row(201, ADMIN, json={"name": "Gamma"}),
    ("GET", V1 + "/models/{model_id}"): row(200, SIGNED_IN),
    ("GET", V1 + "/models/{model_id}/hierarchy"): row(200, SIGNED_IN),
    ("PATCH", V1 + "/models/{model_id}"): row(200, ADMIN, json={"notes": "n"}),
    ("DELETE", V1 + "/models/{model_id}"): row(204, ADMIN),
    ("GET", V1 + "/models/{model_id}/grants"): row(200, ADMIN),
    ("POST", V1 + "/models/{model_id}/grants"): row(
        201, ADMIN, json={"user_id": "@user:user", "right": "use"}
    ),
    ("DELETE", V1 + "/models/{model_id}/grants/{grant_id}"): row(204, ADMIN),
    # Q&As: the model's trainers
    ("GET", V1 + "/qas"): row(200, SIGNED_IN),  # filtered to the models the caller trains
    ("POST", V1 + "/qas"): row(201, TRAINERS, json={"model_id": "@model_id", "question": "Parking?"}),
    ("GET", V1 + "/qas/{qa_id}"): row(200, TRAINERS),
    ("PATCH", V1 + "/qas/{qa_id}"): row(200, TRAINERS, json={"answer": "8 to 6."}),
    ("DELETE", V1 + "/qas/{qa_id}"): row(204, TRAINERS),
    ("POST", V1 + "/models/{model_id}/qas/import"): row(
        200, TRAINERS, content=QA_CSV, query={"format": "csv"}
    ),
    ("GET", V1 + "/models/{model_id}/qas/export"): row(200, TRAINERS),
    # training conversations: trainers; the Train-AI one also the group's members; hidden ones are 404
    ("GET", V1 + "/training-conversations"): row(200, SIGNED_IN),  # filtered
    ("POST", V1 + "/training-conversations"): row(201, TRAINERS, json=NEW_CONV),
    ("POST", V1 + "/models/{model_id}/training-conversations/import"): row(200, TRAINERS, content=CONV_JSONL),
    ("GET", CONV): row(200, CHAT_READERS, denied=404),
    ("PATCH", CONV): row(200, TRAINERS, denied=404, also=NOT_ITS_TRAINER, json={"notes": "n"}),
    ("DELETE", CONV): row(204, TRAINERS, denied=404, also=NOT_ITS_TRAINER),
    ("GET", CONV + "/messages"): row(200, CHAT_READERS, denied=404),
    ("POST", CONV + "/messages"): row(
        201, TRAINERS, denied=404, also=NOT_ITS_TRAINER, json={"role": "user", "content": "And Sunday?"}
    ),
    ("PATCH", CONV + "/messages/{message_id}"): row(
        200, TRAINERS, denied=404, also=NOT_ITS_TRAINER, json={"content": "Cafeteria?"}
    ),
    ("DELETE", CONV + "/messages/{message_id}"): row(204, TRAINERS, denied=404, also=NOT_ITS_TRAINER),
    # compilations: compile/activate/cancel are configuration; logs and assets for trainers
    ("POST", V1 + "/models/{model_id}/compile"): row(202, ADMIN),
    ("GET", V1 + "/compilations"): row(200, SIGNED_IN),  # build_log null unless trainer
    ("GET", V1 + "/compilations/{compilation_id}"): row(200, SIGNED_IN),  # idem
    ("GET", V1 + "/compilations/{compilation_id}/assets"): row(200, TRAINERS),
    ("POST", V1 + "/compilations/{compilation_id}/activate"): row(200, ADMIN),
    ("POST", V1 + "/compilations/{compilation_id}/cancel"): row(409, ADMIN),  # it has completed
    ("GET", V1 + "/models/{model_id}/hits"): row(200, TRAINERS),
    # feedback: whoever asked (non_member here) or the model's trainers; the review inbox: trainers
    ("POST", V1 + "/hits/{hit_id}/feedback"): row(200, USERS, json={"rating": "down", "reason": "Wrong."}),
    ("GET", V1 + "/models/{model_id}/inbox"): row(200, TRAINERS),
    ("POST", V1 + "/models/{model_id}/inbox/resolve"): row(
        200, TRAINERS, json={"hit_id": "@hit_id", "answer": "Level -1."}
    ),
    ("POST", V1 + "/models/{model_id}/ask"): row(200, USERS, json={"question": "Opening hours?"}),
    # assistant conversations and notifications: their owner only, others' read as missing
    ("GET", ASSISTANT): row(200, SIGNED_IN),
    ("POST", ASSISTANT): row(201, USERS, json={"model_id": "@model_id"}),
    ("GET", ASSISTANT + "/{conversation_id}"): row(200, OWNER, denied=404),
    ("PATCH", ASSISTANT + "/{conversation_id}"): row(200, OWNER, denied=404, json={"title": "Renamed"}),
    ("DELETE", ASSISTANT + "/{conversation_id}"): row(204, OWNER, denied=404),
    ("GET", ASSISTANT + "/{conversation_id}/messages"): row(200, OWNER, denied=404),
    ("POST", ASSISTANT + "/{conversation_id}/messages"): row(
        201, OWNER, denied=404, json={"content": "Opening hours?"}
    ),
    ("POST", ASSISTANT + "/{conversation_id}/messages/{message_id}/feedback"): row(
        200, OWNER, denied=404, json={"rating": "up"}, params={"message_id": "assistant_reply_id"}
    ),
    ("POST", ASSISTANT + "/{conversation_id}/context"): row(
        200, OWNER, denied=404, content='{"name": "ACME GmbH"}'
    ),
    ("GET", V1 + "/assistant/instructions"): row(200, SIGNED_IN),  # the caller's own
    ("PUT", V1 + "/assistant/instructions/{form_kind}"): row(
        200, SIGNED_IN, params=FORM_KIND, json={"instructions": "Be brief."}
    ),
    ("DELETE", V1 + "/assistant/instructions/{form_kind}"): row(200, SIGNED_IN, params=FORM_KIND),
    ("GET", V1 + "/assistant/preferences"): row(200, SIGNED_IN),
    ("PATCH", V1 + "/assistant/preferences"): row(200, SIGNED_IN, json={"debug": True}),
    ("GET", V1 + "/notifications"): row(200, SIGNED_IN),
    ("POST", V1 + "/notifications/read-all"): row(200, SIGNED_IN),
    ("POST", V1 + "/notifications/{notification_id}/read"): row(200, OWNER, denied=404),
    ("GET", V1 + "/audit"): row(200, ADMIN),
    # chat: members only (admins list and manage members, but do not read a group they are not in)
    ("POST", V1 + "/chat/groups"): row(201, SIGNED_IN, json={"name": "New"}),
    ("GET", V1 + "/chat/groups"): row(200, SIGNED_IN),
    ("GET", GROUP): row(200, MEMBERS),
    ("GET", GROUP + "/members"): row(200, CHAT_READERS),
    ("POST", GROUP + "/members"): row(201, MEMBER_MANAGERS, json={"user_id": "@user:user"}),
    ("PATCH", GROUP + "/members/{user_id}"): row(200, MEMBER_MANAGERS, json={"role": "observer"}),
    ("DELETE", GROUP + "/members/{user_id}"): row(204, MEMBER_MANAGERS),
    ("GET", GROUP + "/comments"): row(200, MEMBERS),
    ("POST", GROUP + "/comments"): row(201, MEMBERS, json={"text": "Thanks!"}),
    ("GET", GROUP + "/events"): row(200, MEMBERS, query={"timeout": 0.2}),
    # exports: training data and build logs for trainers; hit history and whole models for admins
    ("GET", V1 + "/models/{model_id}/export/training"): row(200, TRAINERS),
    ("GET", V1 + "/models/{model_id}/training-conversations/export"): row(200, TRAINERS),
    ("GET", V1 + "/compilations/{compilation_id}/log"): row(200, TRAINERS),
    ("GET", V1 + "/compilations/{compilation_id}/metrics"): row(200, TRAINERS),
    ("GET", V1 + "/hits/export"): row(200, ADMIN),
    ("GET", V1 + "/models/{model_id}/export"): row(200, ADMIN),
    ("POST", V1 + "/models/import"): row(422, ADMIN, content="not a model file\n"),
    # system settings: configuration
    ("GET", V1 + "/settings"): row(200, ADMIN),
    ("GET", V1 + "/settings/{key}"): row(200, ADMIN, params=SETTING),
    ("PUT", V1 + "/settings/{key}"): row(200, ADMIN, params=SETTING, json={"value": 50}),
    ("DELETE", V1 + "/settings/{key}"): row(200, ADMIN, params=SETTING),
    # business rules: admins manage them and read runs; any signed-in caller (a host ERP) evaluates
    ("GET", V1 + "/rules"): row(200, ADMIN),
    ("POST", V1 + "/rules"): row(422, ADMIN, json=RULE),  # the world has no default model: refused
    ("POST", V1 + "/rules/evaluate"): row(
        200, SIGNED_IN, json={"entity": "parties", "event": "commit", "record": {"name": "X"}}
    ),
    ("GET", V1 + "/rules/runs"): row(200, ADMIN),
    ("GET", V1 + "/rules/fields"): row(200, SIGNED_IN, query={"entity": "parties"}),
    ("GET", V1 + "/rules/{rule_id}"): row(200, ADMIN),
    ("PATCH", V1 + "/rules/{rule_id}"): row(200, ADMIN, json={"enabled": False}),
    ("DELETE", V1 + "/rules/{rule_id}"): row(204, ADMIN),
    ("POST", V1 + "/rules/{rule_id}/try"): row(200, ADMIN, json={"record": {"name": "X"}}),
    # business records: every signed-in user reads and writes them; admins delete
    ("GET", V1 + "/records/{kind}"): row(200, SIGNED_IN, params=PARTIES),
    ("POST", V1 + "/records/{kind}"): row(201, SIGNED_IN, params=PARTIES, json={"name": "New"}),
    ("GET", V1 + "/records/{kind}/{record_id}"): row(200, SIGNED_IN, params=PARTIES),
    ("PATCH", V1 + "/records/{kind}/{record_id}"): row(200, SIGNED_IN, params=PARTIES, json={"phone": "1"}),
    ("DELETE", V1 + "/records/{kind}/{record_id}"): row(204, ADMIN, params=PARTIES),
    # parties have no multilanguage field: every signed-in user gets as far as the 422 (tests/ai_tools)
    ("POST", V1 + "/records/{kind}/{record_id}/translate"): row(
        422, SIGNED_IN, params=PARTIES, json={"field": "name"}
    ),
    ("POST", V1 + "/records/{kind}/import"): row(
        200, ADMIN, params=PARTIES, query={"format": "csv"}, content="name\nACME\n"
    ),
    # AI tools (issue 13): any signed-in user; a raw body is refused (multipart only), a proposal is
    # private to its maker and admins (the world holds none: 404 for all; tests/ingest covers the rest)
    ("POST", V1 + "/ingest/invoices"): row(422, SIGNED_IN, content="not multipart\n"),
    ("GET", V1 + "/ingest/invoices/{proposal_id}"): row(404, SIGNED_IN, params={"proposal_id": "=1"}),
    ("POST", V1 + "/ingest/invoices/{proposal_id}/confirm"): row(
        404, SIGNED_IN, params={"proposal_id": "=1"}, json={}
    ),
    ("GET", V1 + "/ingest/files/{file_id}"): row(404, SIGNED_IN, params={"file_id": "=1"}),
    ("POST", V1 + "/leads/extract"): row(422, SIGNED_IN, content="not multipart\n"),
    # to-dos: from a comment, members who write in its group; from a notification, its own user (404)
    ("POST", V1 + "/todos/from-comment"): row(
        201, MEMBERS, json={"comment_id": "@comment_id", "title": "Check the cafeteria hours"}
    ),
    ("POST", V1 + "/todos/from-notification"): row(
        201, OWNER, denied=404, json={"notification_id": "@notification_id", "title": "Say hi back"}
    ),
    ("POST", V1 + "/leads"): row(201, SIGNED_IN, json={"last_name": "Roe", "company": "Roe Ltd"}),
    # Train AI: a member of the group who also trains the target model
    ("POST", GROUP + "/train"): row(
        201, OWNER, json={"comment_ids": ["@comment_id"], "model_id": "@model_id"}
    ),
}

# Path parameter -> world id, by default; a chat path's {user_id} is the group's member.
PARAMS = {
    "model_id": "model_id",
    "provider_id": "provider_id",
    "qa_id": "qa_id",
    "compilation_id": "compilation_id",
    "group_id": "group_id",
    "user_id": "user:owner",
    "token_id": "token_id",
    "notification_id": "notification_id",
    "grant_id": "grant_id",
    "message_id": "message_id",
    "hit_id": "hit_id",
}


def _api_routes(app: FastAPI) -> Iterator[tuple[str, str]]:
    contexts = getattr(fastapi.routing, "iter_route_contexts", None)
    if contexts is None:  # older FastAPI: included routes are plain APIRoutes of the app
        yield from ((m, r.path) for r in app.routes if isinstance(r, APIRoute) for m in r.methods)
        return
    for context in contexts(app.routes):  # FastAPI >= 0.130 includes routers lazily
        if isinstance(context.original_route, APIRoute):
            yield from ((m, str(context.path)) for m in context.methods or ())


def app_routes() -> list[tuple[str, str]]:
    """(method, path template) of every API endpoint of the app (/api/...), included routers flattened.
    The web pages call the same services; tests/web/test_permissions.py walks them as a plain user."""
    return sorted((m, p) for m, p in _api_routes(create_app(startup_tasks=False)) if p.startswith("/api/"))


def test_every_route_has_a_policy_row() -> None:
    routes = app_routes()
    missing = [f"{m} {p}" for m, p in routes if (m, p) not in POLICY]
    assert not missing, "routes without a row in tests/test_authz_matrix.py POLICY:\n" + "\n".join(missing)
    stale = [f"{m} {p}" for m, p in POLICY if (m, p) not in routes]
    assert not stale, "POLICY rows for routes that do not exist:\n" + "\n".join(stale)


def _world_id(world: World, name: str, path: str) -> int:
    if name == "conversation_id":
        name = "assistant_conversation_id" if "/assistant/" in path else "training_conversation_id"
    if name == "user_id" and "/chat/" in path:
        name = "user:member"
    return world.ids[PARAMS.get(name, name)]


def _resolve(value: Any, world: World) -> Any:
    if isinstance(value, str) and value.startswith("@"):
        return world.ids[value[1:]]
    if isinstance(value, list):
        return [_resolve(v, world) for v in value]
    if isinstance(value, dict):
        return {k: _resolve(v, world) for k, v in value.items()}
    return value


def _url(path: str, rule: Row, world: World) -> str:
    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if rule.params.get(name, "").startswith("="):
            return rule.params[name][1:]
        return str(world.ids[rule.params[name]] if name in rule.params else _world_id(world, name, path))

    return re.sub(r"\{(\w+)\}", fill, path)


class RecordingJobs:
    """Jobs are recorded, not run: every call is rolled back, so a job would find nothing."""

    def enqueue(self, name: str, kwargs: dict[str, Any]) -> None:
        pass

    def wait_idle(self, timeout: float = 60.0) -> bool:
        return True


@dataclass
class Harness:
    client: TestClient
    world: World
    connection: Connection
    sessions: list[Session]  # the session of the call in progress (the API and the SSE stream use it)

    def call(self, method: str, url: str, rule: Row, actor: str) -> int:
        """One request in a savepoint that is rolled back afterwards."""
        failed_auth_throttle.clear()  # the revoked token fails on every route; that is not an attack
        savepoint = self.connection.begin_nested()
        self.sessions[:] = [_session(self.connection)]
        try:
            response = self.client.request(
                method,
                url,
                headers=self.world.headers[actor],
                params=_resolve(rule.query, self.world),
                json=_resolve(rule.json, self.world),
                content=rule.content,
            )
            return response.status_code
        finally:
            self.sessions[0].close()
            savepoint.rollback()


def _session(connection: Connection) -> Session:
    return Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)


@pytest.fixture
def harness(engine: Engine) -> Iterator[Harness]:
    """One world per database, built in a transaction that is rolled back at the end."""
    connection = engine.connect()
    outer = connection.begin()
    sessions: list[Session] = []

    @contextmanager
    def same_session() -> Iterator[Session]:
        yield sessions[0]

    with _session(connection) as session:
        world = build_world(session)
    app = create_app(startup_tasks=False)
    app.dependency_overrides[get_session] = lambda: sessions[0]
    app.dependency_overrides[stream_sessions] = lambda: same_session
    set_backend(RecordingJobs())
    try:
        with TestClient(app) as client:
            yield Harness(client, world, connection, sessions)
    finally:
        set_backend(None)
        outer.rollback()
        connection.close()


def test_authorization_matrix(harness: Harness) -> None:
    mismatches = []
    for method, path in app_routes():
        rule = POLICY.get((method, path))
        if rule is None:
            mismatches.append(f"{method} {path}: no policy row")
            continue
        url = _url(path, rule, harness.world)
        for actor in ACTORS:
            status = harness.call(method, url, rule, actor)
            if status not in rule.expected[actor]:
                want = "/".join(str(s) for s in sorted(rule.expected[actor]))
                mismatches.append(f"{method} {path} as {actor}: got {status}, expected {want}")
    assert not mismatches, f"{len(mismatches)} authorization mismatches:\n" + "\n".join(mismatches)
