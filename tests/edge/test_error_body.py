"""One documented error body for every failure; UTC offsets on every response time; an unexpected
exception is a logged generic 500, never a traceback."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from erpai.api import create_app
from erpai.db import get_session
from erpai.users.models import User
from tests.ai_models.factories import make_model

Login = tuple[User, dict[str, str]]
ERROR_CODES = ("401", "403", "404", "409", "422")


def test_malformed_json_names_the_body_not_an_offset(client: TestClient, member: Login) -> None:
    headers = {**member[1], "Content-Type": "application/json"}
    response = client.post("/api/v1/qas", content=b'{"model_id": 1, "question": ', headers=headers)
    assert response.status_code == 422
    body = response.json()
    assert body["field"] == "body"
    assert body["detail"].startswith("body: the request body is not valid JSON")
    assert body["errors"][0]["loc"] == ["body"]


def test_a_body_that_is_not_utf8_is_400_naming_the_body(client: TestClient, member: Login) -> None:
    headers = {**member[1], "Content-Type": "application/json"}
    response = client.post("/api/v1/qas", content=b'{"question": "\xff\xfe"}', headers=headers)
    assert response.status_code == 400
    assert response.json()["field"] == "body"


def test_unknown_route_and_method_use_the_error_body(client: TestClient) -> None:
    for response in (client.get("/api/v1/nothing-here"), client.put("/api/v1/health")):
        assert response.status_code in (404, 405)
        assert set(response.json()) == {"detail", "field"}


def test_every_operation_documents_its_errors_with_the_error_body(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert set(spec["components"]["schemas"]["ErrorBody"]["properties"]) == {"detail", "field", "errors"}
    item = spec["components"]["schemas"]["ErrorItem"]
    assert {"loc", "msg", "type"} <= set(item["required"])
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for code in ERROR_CODES:
                content = operation["responses"][code]["content"]["application/json"]
                assert content["schema"] == {"$ref": "#/components/schemas/ErrorBody"}, (method, path, code)


def _inputs(spec: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Every parameter and every property of every request body schema, with where it was found."""
    found = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            params = operation.get("parameters", [])
            # The bearer token is read by erpai.auth (the header's length does not reach the database).
            found += [
                (f"{method} {path} {p['name']}", p["schema"]) for p in params if p["name"] != "authorization"
            ]
    request_schemas = set()
    for operations in spec["paths"].values():
        for operation in operations.values():
            for media in operation.get("requestBody", {}).get("content", {}).values():
                request_schemas |= _refs(media["schema"])
    pending = set(request_schemas)
    while pending:
        name = pending.pop()
        schema = spec["components"]["schemas"][name]
        for prop, sub in schema.get("properties", {}).items():
            found.append((f"{name}.{prop}", sub))
            new = _refs(sub) - request_schemas
            request_schemas |= new
            pending |= new
    return found


def _refs(schema: Any) -> set[str]:
    if isinstance(schema, dict):
        here = {schema["$ref"].rsplit("/", 1)[-1]} if "$ref" in schema else set()
        return here.union(*(_refs(v) for v in schema.values()))
    if isinstance(schema, list):
        return set().union(*(_refs(v) for v in schema))
    return set()


def _leaves(schema: dict[str, Any]) -> list[dict[str, Any]]:
    if "anyOf" in schema:
        return [leaf for sub in schema["anyOf"] for leaf in _leaves(sub)]
    if schema.get("type") == "array":
        return [schema, *_leaves(schema.get("items", {}))]
    return [schema]


def test_every_text_and_integer_input_is_bounded_in_the_openapi_schema(client: TestClient) -> None:
    """Every free-text field of every input has maxLength, every integer a maximum, every list maxItems
    (except a provider's free-form config object, validated by its kind's config model)."""
    unbounded = []
    for where, schema in _inputs(client.get("/openapi.json").json()):
        for leaf in _leaves(schema):
            kind = leaf.get("type")
            fixed = "enum" in leaf or "const" in leaf or "format" in leaf
            if kind == "string" and not fixed and "maxLength" not in leaf:
                unbounded.append(where)
            if kind == "integer" and "maximum" not in leaf:
                unbounded.append(where)
            if kind == "array" and "maxItems" not in leaf:
                unbounded.append(where)
    assert sorted(set(unbounded)) == []


def test_response_times_carry_the_utc_offset(client: TestClient, db: Session, admin: Login) -> None:
    model = make_model(db, "Support")
    created = client.post("/api/v1/qas", json={"model_id": model.id, "question": "q?"}, headers=admin[1])
    read = [
        created.json()["creation_time_utc"],
        client.get("/api/v1/users/me", headers=admin[1]).json()["creation_time_utc"],
        client.get(f"/api/v1/models/{model.id}", headers=admin[1]).json()["aggregate_last_update_time_utc"],
    ]
    for text in read:
        assert text.endswith(("Z", "+00:00")), text
        assert datetime.fromisoformat(text).utcoffset() is not None


def test_an_unexpected_exception_is_a_generic_logged_500(
    db: Session, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: Any, **__: Any) -> Any:
        raise RuntimeError("secret internals")

    monkeypatch.setattr("erpai.ai_models.service.list_models", broken)
    app = create_app(startup_tasks=False)
    app.dependency_overrides[get_session] = lambda: db
    from tests.conftest import make_user

    _, headers = make_user(db, "ops")
    with TestClient(app, raise_server_exceptions=False) as client, caplog.at_level(logging.ERROR):
        response = client.get("/api/v1/models", headers=headers)
    assert response.status_code == 500
    assert response.json() == {"detail": "internal error; it has been logged", "field": None}
    assert "secret internals" not in response.text
    assert any("GET /api/v1/models" in r.getMessage() for r in caplog.records)
