"""The assistant tool of the notifications domain: ``list_my_notifications`` (the asking user's own)."""

from __future__ import annotations

from typing import Any

from erpai.assistant.tools import AssistantTool, ToolContext, register_tool
from erpai.common import PageParams
from erpai.notifications.service import list_notifications

MAX_RESULTS = 50


def list_my_notifications(context: ToolContext, arguments: dict[str, Any]) -> dict[str, Any]:
    unread = arguments.get("unread_only")
    limit = max(1, min(int(arguments.get("limit") or 10), MAX_RESULTS))
    rows, total = list_notifications(
        context.session,
        user_id=context.user.id,
        params=PageParams(offset=0, limit=limit),
        unread=True if unread else None,
    )
    items = [
        {
            "id": row.id,
            "title": row.title,
            "message": row.message,
            "created": row.creation_time_utc.isoformat(),
            "read": row.read_time_utc is not None,
        }
        for row in rows
    ]
    return {"total": total, "notifications": items}


register_tool(
    AssistantTool(
        name="list_my_notifications",
        description="List the asking user's own notifications, newest first.",
        parameters={
            "type": "object",
            "properties": {
                "unread_only": {"type": "boolean", "description": "Only unread ones."},
                "limit": {"type": "integer", "minimum": 1, "maximum": MAX_RESULTS},
            },
        },
        run=list_my_notifications,
    )
)
