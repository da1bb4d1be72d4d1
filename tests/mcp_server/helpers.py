"""Drives the erpai MCP server with the official ``mcp`` SDK client."""

from __future__ import annotations

import json
from typing import Any

import mcp_types
from mcp.client import Client

# Every tool the erpai MCP server offers, as the SDK client lists them (sorted), over either transport.
TOOLS = [
    "add_qa",
    "ask_model",
    "create_lead",
    "create_todo",
    "ingest_invoice",
    "list_models",
    "search_knowledge",
]


def tool_result(result: mcp_types.CallToolResult) -> Any:
    """The tool's value: structured content (``result`` wraps a list), else the text parsed as JSON."""
    assert not result.is_error, result.content
    data = result.structured_content
    if data is not None:
        return data.get("result", data) if set(data) == {"result"} else data
    first = result.content[0]
    assert isinstance(first, mcp_types.TextContent)
    return json.loads(first.text)


def tool_error(result: mcp_types.CallToolResult) -> str:
    assert result.is_error, result
    first = result.content[0]
    assert isinstance(first, mcp_types.TextContent)
    return first.text


def resource_text(result: mcp_types.ReadResourceResult) -> str:
    (content,) = result.contents
    assert isinstance(content, mcp_types.TextResourceContents)
    return content.text


async def walk(client: Client, *, model: str) -> dict[str, Any]:
    """Every tool and resource once, as a trainer (admin) of ``model``."""
    tools = sorted(t.name for t in (await client.list_tools()).tools)
    models = tool_result(await client.call_tool("list_models", {}))
    asked = tool_result(
        await client.call_tool("ask_model", {"model": model, "question": "how many vacation days a year?"})
    )
    found = tool_result(
        await client.call_tool("search_knowledge", {"model": model, "query": "expense reports", "limit": 3})
    )
    added = tool_result(
        await client.call_tool(
            "add_qa", {"model": model, "question": "Is there a gym?", "answer": "Yes, on floor 2."}
        )
    )
    qas = resource_text(await client.read_resource(f"erpai://models/{model}/qas"))
    log = resource_text(await client.read_resource(f"erpai://models/{model}/build-log"))
    return {
        "tools": tools,
        "models": models,
        "asked": asked,
        "found": found,
        "added": added,
        "qas": qas,
        "log": log,
    }
