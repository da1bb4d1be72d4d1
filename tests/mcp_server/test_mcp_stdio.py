"""``erpai mcp`` over stdio: the SDK client starts it as a subprocess against a temporary SQLite database."""

from __future__ import annotations

import asyncio
import os
import sys
from typing import Any

from mcp.client import Client
from mcp.client.stdio import StdioServerParameters
from sqlalchemy import select

from erpai.compilations.models import ModelHit
from erpai.db import session_factory
from erpai.users.models import User
from tests.ecosystem_helpers import VACATION, compiled_model
from tests.mcp_server.helpers import TOOLS, tool_error, walk


def _server(database_url: str, **env: str) -> StdioServerParameters:
    return StdioServerParameters(
        command=sys.executable,
        args=["-m", "erpai.cli.main", "mcp"],
        env={**os.environ, "ERPAI_DATABASE_URL": database_url, **env},
    )


async def _walk(params: StdioServerParameters) -> dict[str, Any]:
    async with Client(params, read_timeout_seconds=120) as client:
        return await walk(client, model="hr-helper")


async def _add_qa(params: StdioServerParameters) -> str:
    async with Client(params, read_timeout_seconds=120) as client:
        result = await client.call_tool("add_qa", {"model": "hr-helper", "question": "q?", "answer": "a"})
        return tool_error(result)


def test_stdio_server_runs_as_the_token_owner(cli_db: str) -> None:
    with session_factory()() as session:
        model, admin = compiled_model(session, name="HR Helper")
        model_id, admin_id = model.id, admin.id
    seen = asyncio.run(_walk(_server(cli_db, ERPAI_TOKEN="tok-boss")))

    assert seen["tools"] == TOOLS
    assert [m["model_id"] for m in seen["models"]] == [model_id]
    assert seen["asked"]["answer"] == VACATION
    assert seen["found"][0]["source_type"] == "qa"
    assert seen["added"]["added_by_user_id"] == admin_id
    assert "Is there a gym?" in seen["qas"] and "accuracy" in seen["log"].lower()
    with session_factory()() as session:
        hit = session.scalars(select(ModelHit)).one()
        assert (hit.channel, hit.user_id) == ("mcp", admin_id)
    # A user without the train right, chosen with ERPAI_USER, is refused add_qa.
    with session_factory()() as session:
        session.add(User(login="jane", name="Jane"))
        session.commit()
    refused = asyncio.run(_add_qa(_server(cli_db, ERPAI_USER="jane")))
    assert "train right" in refused
