"""Bad input at the edge is a 422 naming the field, never a 500: integers wider than the id columns in any
path, query or body, invalid Unicode and NUL characters in text, over-long text, odd Last-Event-ID values."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from erpai.chat.events import parse_event_id
from erpai.limits import MESSAGE_MAX, QUESTION_MAX
from erpai.users.models import User
from tests.ai_models.factories import make_model

Login = tuple[User, dict[str, str]]
HUGE = [2**31, 2**63, 10**30]


def _operations(client: TestClient) -> list[tuple[str, str, dict[str, Any]]]:
    spec = client.get("/openapi.json").json()
    return [(path, method, op) for path, ops in spec["paths"].items() for method, op in ops.items()]


def _int_params(op: dict[str, Any], where: str) -> list[str]:
    def is_int(schema: dict[str, Any]) -> bool:
        return schema.get("type") == "integer" or any(
            s.get("type") == "integer" for s in schema.get("anyOf", [])
        )

    return [p["name"] for p in op.get("parameters", []) if p["in"] == where and is_int(p["schema"])]


@pytest.mark.parametrize("value", HUGE)
def test_huge_path_ids_are_422_on_every_endpoint(client: TestClient, admin: Login, value: int) -> None:
    checked = 0
    for path, method, op in _operations(client):
        for name in _int_params(op, "path"):
            url = re.sub(r"\{(\w+)\}", lambda m, n=name: str(value) if m.group(1) == n else "1", path)
            response = client.request(method, url, json={}, headers=admin[1])
            assert response.status_code == 422, (method, url, response.text)
            assert ["path", name] in [e["loc"] for e in response.json()["errors"]], (method, url)
            checked += 1
    assert checked >= 30


@pytest.mark.parametrize("value", HUGE)
def test_huge_query_ids_are_422(client: TestClient, admin: Login, value: int) -> None:
    checked = 0
    for path, method, op in _operations(client):
        if method != "get" or "{" in path:
            continue
        for name in _int_params(op, "query"):
            if name == "limit":
                continue
            response = client.get(path, params={name: value}, headers=admin[1])
            assert response.status_code == 422, (path, name, response.text)
            assert response.json()["field"] == name
            checked += 1
    assert checked >= 8


@pytest.mark.parametrize(
    ("url", "body", "field"),
    [
        ("/api/v1/qas", {"model_id": 2**63, "question": "q?"}, "model_id"),
        ("/api/v1/models", {"name": "M", "parent_model_id": 2**31}, "parent_model_id"),
        ("/api/v1/training-conversations", {"model_id": 10**40}, "model_id"),
        ("/api/v1/chat/groups", {"name": "G", "member_ids": [1, 2**63]}, "member_ids.1"),
        ("/api/v1/assistant/conversations", {"model_id": 2**63}, "model_id"),
    ],
)
def test_huge_body_ids_are_422(
    client: TestClient, admin: Login, url: str, body: dict[str, Any], field: str
) -> None:
    response = client.post(url, json=body, headers=admin[1])
    assert response.status_code == 422, response.text
    assert response.json()["field"] == field


def _raw_post(client: TestClient, url: str, text: str, headers: dict[str, str]) -> Any:
    return client.post(url, content=text.encode(), headers={**headers, "Content-Type": "application/json"})


@pytest.mark.parametrize("bad", ["\\ud800", "\\udfff tail", "nul \\u0000 inside"])
def test_invalid_unicode_and_nul_in_a_qa_are_422(
    client: TestClient, db: Session, member: Login, bad: str
) -> None:
    model = make_model(db, "Support")
    for field, body in (
        ("question", f'{{"model_id": {model.id}, "question": "is {bad} ok?", "answer": "a"}}'),
        ("answer", f'{{"model_id": {model.id}, "question": "ok?", "answer": "{bad}"}}'),
        ("notes", f'{{"model_id": {model.id}, "question": "ok?", "notes": "{bad}"}}'),
    ):
        response = _raw_post(client, "/api/v1/qas", body, member[1])
        assert response.status_code == 422, response.text
        assert response.json()["field"] == field


def test_nul_in_a_query_filter_is_422(client: TestClient, member: Login) -> None:
    response = client.get("/api/v1/qas", params={"q": "a\x00b"}, headers=member[1])
    assert response.status_code == 422
    assert response.json()["field"] == "q"


def test_lone_surrogate_in_a_chat_comment_is_422(client: TestClient, member: Login) -> None:
    group = client.post("/api/v1/chat/groups", json={"name": "G"}, headers=member[1]).json()["id"]
    response = _raw_post(client, f"/api/v1/chat/groups/{group}/comments", '{"text": "x\\ud83d"}', member[1])
    assert response.status_code == 422
    assert response.json()["field"] == "text"


def test_over_long_texts_are_422_naming_the_field(client: TestClient, db: Session, member: Login) -> None:
    model = make_model(db, "Support")
    cases = [
        ("/api/v1/qas", {"model_id": model.id, "question": "q" * (QUESTION_MAX + 1)}, "question"),
        (
            "/api/v1/training-conversations",
            {"model_id": model.id, "messages": [{"content": "m" * 1_000_000}]},
            "messages.0.content",
        ),
        (
            f"/api/v1/models/{model.id}/ask",
            {"question": "hi", "context": [{"role": "user", "content": "c" * (MESSAGE_MAX + 1)}]},
            "context.0.content",
        ),
    ]
    for url, body, field in cases:
        response = client.post(url, json=body, headers=member[1])
        assert response.status_code == 422, (url, response.text[:300])
        assert response.json()["field"] == field
        assert len(response.content) < 2_000  # the rejected value is not echoed


@pytest.mark.parametrize("value", [str(2**63), "9" * 40, str(2**31), "12abc", "-5", " "])
def test_odd_last_event_id_resumes_instead_of_failing(
    stream_client: TestClient, member: Login, value: str
) -> None:
    group = client_group(stream_client, member[1])
    response = stream_client.get(
        f"/api/v1/chat/groups/{group}/events?timeout=0.2",
        headers={**member[1], "Last-Event-ID": value},
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")


def test_event_ids_parse_to_a_comment_id_or_none() -> None:
    # "²" (a header byte 0xb2 read as latin-1) passes str.isdigit() but not int().
    assert [parse_event_id(v) for v in ("42", " 7 ", "²", "", None, str(2**31), "1e3")] == [
        42,
        7,
        None,
        None,
        None,
        None,
        None,
    ]


def client_group(client: TestClient, headers: dict[str, str]) -> int:
    response = client.post("/api/v1/chat/groups", json={"name": "Events"}, headers=headers)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def test_json_encoded_error_list_has_the_documented_shape(client: TestClient, member: Login) -> None:
    response = client.post("/api/v1/qas", json={"model_id": 0, "question": ""}, headers=member[1])
    body = response.json()
    assert response.status_code == 422
    assert set(body) == {"detail", "field", "errors"}
    assert all(set(e) <= {"loc", "msg", "type", "line"} for e in body["errors"])
    assert json.dumps(body)
