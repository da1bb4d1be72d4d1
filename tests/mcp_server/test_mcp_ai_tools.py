"""``create_lead`` and ``create_todo`` over MCP stdio (``erpai mcp``), run as the chosen user."""

from __future__ import annotations

import asyncio
from typing import Any

from mcp.client import Client
from sqlalchemy import select

from erpai.chat.models import ChatComment, ChatGroup, ChatMember, MemberRole
from erpai.db import session_factory
from erpai.records.models import Lead, Todo
from erpai.users.models import User
from tests.mcp_server.helpers import tool_error, tool_result
from tests.mcp_server.test_mcp_stdio import _server

TEXT = "Jane Roe of Roe Trading Ltd, jane@roe.example, asks for a quote."


async def _calls(params: Any, comment_id: int) -> dict[str, Any]:
    async with Client(params, read_timeout_seconds=120) as client:
        lead = tool_result(await client.call_tool("create_lead", {"text": TEXT, "save": True}))
        again = tool_error(await client.call_tool("create_lead", {"text": TEXT, "save": True}))
        todo = tool_result(
            await client.call_tool("create_todo", {"comment_id": comment_id, "title": "Quote"})
        )
        no_ai = tool_error(await client.call_tool("create_todo", {"comment_id": comment_id}))
        both = tool_error(
            await client.call_tool("create_todo", {"comment_id": comment_id, "notification_id": 1})
        )
        return {"lead": lead, "again": again, "todo": todo, "no_ai": no_ai, "both": both}


def test_create_lead_and_create_todo_run_as_the_user(cli_db: str) -> None:
    with session_factory()() as session:
        jane, bob = User(login="jane", name="Jane"), User(login="bob", name="Bob")
        session.add_all([jane, bob])
        session.flush()
        group = ChatGroup(name="Sales", created_by_user_id=jane.id)
        session.add(group)
        session.flush()
        session.add_all(
            ChatMember(group_id=group.id, user_id=u.id, role=MemberRole.MEMBER.value) for u in (jane, bob)
        )
        comment = ChatComment(group_id=group.id, user_id=bob.id, text="Send Roe a quote")
        session.add(comment)
        session.commit()
        comment_id, jane_id = comment.id, jane.id
    seen = asyncio.run(_calls(_server(cli_db, ERPAI_USER="jane"), comment_id))
    assert seen["lead"]["proposal"]["fields"]["email"] == "jane@roe.example"
    assert seen["lead"]["saved"]["record"]["source"] == "text"
    assert "may already exist" in seen["again"] and "(allow_duplicate)" in seen["again"]
    assert seen["todo"]["todo"]["owner_user_id"] == jane_id and seen["todo"]["system_comment_id"]
    assert "'chat' capability" in seen["no_ai"]
    assert "exactly one of comment_id or notification_id" in seen["both"]
    with session_factory()() as session:
        assert len(session.scalars(select(Lead)).all()) == 1
        assert session.scalars(select(Todo.title)).all() == ["Quote"]
