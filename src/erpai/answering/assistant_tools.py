"""The assistant tool of the answering domain: ``search_knowledge`` over the conversation's model's build."""

from __future__ import annotations

from typing import Any

from erpai.ai_models.service import get_model
from erpai.answering.grounding import retrieve
from erpai.answering.service import load_active_build
from erpai.assistant.tools import AssistantTool, ToolContext, register_tool
from erpai.permissions.service import require_use_model

MAX_RESULTS = 8


def search_knowledge(context: ToolContext, arguments: dict[str, Any]) -> dict[str, Any]:
    """The best matches of the model's active build for a query, with their ids (the user's use right)."""
    query = str(arguments.get("query") or "").strip()
    if not query:
        raise ValueError("query is required")
    limit = max(1, min(int(arguments.get("limit") or 4), MAX_RESULTS))
    require_use_model(context.session, user=context.user, model_id=context.model_id)
    model = get_model(context.session, model_id=context.model_id)
    build = load_active_build(context.session, model=model)
    if build is None:
        return {"matches": [], "note": f"model '{model.name}' has no active build yet"}
    _, matches = retrieve(build[1], query, top_k=limit)
    return {"compilation_id": build[0], "matches": [m.model_dump(mode="json") for m in matches]}


register_tool(
    AssistantTool(
        name="search_knowledge",
        description="Search the company's curated knowledge base (Q&As) for a question; returns the best "
        "matches with their ids, questions, answers and match scores.",
        parameters={
            "type": "object",
            "properties": {
                "query": {"type": "string", "description": "What to look for."},
                "limit": {"type": "integer", "minimum": 1, "maximum": MAX_RESULTS},
            },
            "required": ["query"],
        },
        run=search_knowledge,
    )
)
