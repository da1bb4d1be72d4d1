"""The MCP server over streamable HTTP at /mcp of a live erpai server, driven by the ``mcp`` SDK client."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import httpx2
from mcp.client import Client
from mcp.client.streamable_http import streamable_http_client
from sqlalchemy import select
from sqlalchemy.orm import Session

from erpai.compilations.models import ModelHit
from erpai.qas.models import ModelQA
from erpai.security import hash_token
from erpai.users.models import ApiToken, User
from tests.ecosystem_helpers import VACATION, compiled_model
from tests.mcp_server.helpers import TOOLS, resource_text, tool_error, tool_result, walk


def _client(url: str, token: str) -> Client:
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=60)
    return Client(streamable_http_client(f"{url}/mcp", http_client=http))


def _member(session: Session) -> None:
    user = User(login="jane", name="Jane")
    session.add(user)
    session.flush()
    session.add(ApiToken(user_id=user.id, token_hash=hash_token("tok-jane"), token_prefix="tok"))
    session.commit()


async def _as_admin(url: str) -> dict[str, Any]:
    async with _client(url, "tok-boss") as client:
        return await walk(client, model="hr-helper")


async def _as_member(url: str) -> dict[str, Any]:
    async with _client(url, "tok-jane") as client:
        models = tool_result(await client.call_tool("list_models", {}))
        asked = tool_result(await client.call_tool("ask_model", {"model": "HR Helper", "question": "wifi?"}))
        refused = tool_error(
            await client.call_tool("add_qa", {"model": "hr-helper", "question": "q?", "answer": "a"})
        )
        unknown = tool_error(await client.call_tool("ask_model", {"model": "nope", "question": "hi"}))
        return {"models": models, "asked": asked, "refused": refused, "unknown": unknown}


def test_tools_and_resources_over_http_run_as_the_token_owner(live_url: str, live_session: Session) -> None:
    model, admin = compiled_model(live_session, name="HR Helper")
    _member(live_session)
    seen = asyncio.run(_as_admin(live_url))

    assert seen["tools"] == TOOLS
    assert [(m["id"], m["model_id"], m["compiled"]) for m in seen["models"]] == [
        ("hr-helper", model.id, True)
    ]
    assert seen["asked"]["answer"] == VACATION and seen["asked"]["answered"] is True
    top = seen["found"][0]
    live_session.rollback()
    qa = live_session.get(ModelQA, top["source_id"])
    assert top["source_type"] == "qa" and qa is not None and "expense" in qa.question.lower()
    assert seen["added"]["question"] == "Is there a gym?" and seen["added"]["added_by_user_id"] == admin.id
    assert '"question": "Is there a gym?"' in seen["qas"]
    assert json.loads(seen["log"].splitlines()[0][2:])["successful"] is True
    hit = live_session.scalars(select(ModelHit)).one()
    assert hit.channel == "mcp" and hit.user_id == admin.id

    member = asyncio.run(_as_member(live_url))
    assert [m["id"] for m in member["models"]] == ["hr-helper"]
    assert member["asked"]["model"] == "hr-helper"
    assert "train right" in member["refused"]
    assert "does not exist" in member["unknown"]
    live_session.rollback()
    assert live_session.scalar(select(ModelQA).where(ModelQA.question == "q?")) is None
    hits = live_session.scalars(select(ModelHit).order_by(ModelHit.id)).all()
    assert hits[-1].user_id != admin.id and hits[-1].channel == "mcp"


async def _read_as_member(url: str) -> str:
    async with _client(url, "tok-jane") as client:
        try:
            result = await client.read_resource("erpai://models/hr-helper/build-log")
        except Exception as exc:  # the SDK raises the server's error for a refused read
            return str(exc)
        return resource_text(result)


def test_resources_need_the_train_right_and_http_needs_a_token(live_url: str, live_session: Session) -> None:
    compiled_model(live_session, name="HR Helper")
    _member(live_session)
    assert "train right" in asyncio.run(_read_as_member(live_url))

    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
    for headers in ({}, {"Authorization": "Bearer wrong"}):
        refused = httpx.post(f"{live_url}/mcp", json=body, headers=headers, timeout=30)
        assert refused.status_code == 401 and refused.headers["www-authenticate"].startswith("Bearer")


def test_wrong_tokens_at_mcp_count_towards_the_failed_sign_in_throttle(live_url: str) -> None:
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
    wrong = {"Authorization": "Bearer wrong"}
    answers = [httpx.post(f"{live_url}/mcp", json=body, headers=wrong, timeout=30) for _ in range(11)]
    assert [a.status_code for a in answers[:10]] == [401] * 10  # auth.max_failed_logins_per_minute = 10
    assert answers[10].status_code == 429 and int(answers[10].headers["retry-after"]) >= 1
    assert "too many failed authentications" in answers[10].json()["detail"]
    # The API shares the same throttle: the address is refused there too.
    assert httpx.get(f"{live_url}/api/v1/models", headers=wrong, timeout=30).status_code == 429
