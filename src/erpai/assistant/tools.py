"""The assistant's tool registry. Each domain adds its tools from its own package:

    # src/erpai/<domain>/assistant_tools.py
    register_tool(AssistantTool(name=..., description=..., parameters={...json schema...}, run=my_function))

and lists that module in ``TOOL_MODULES`` below (the way models_registry lists ORM modules). A tool runs with
the asking user's permissions: it receives a :class:`ToolContext` and must check rights through the services,
as any front-end does. Its result is JSON-serialisable and goes back to the model as text.
"""

from __future__ import annotations

import importlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from erpai.errors import DomainError
from erpai.providers.base import ToolSpec
from erpai.users.models import User

log = logging.getLogger("erpai.assistant.tools")

TOOL_MODULES: tuple[str, ...] = (
    "erpai.answering.assistant_tools",
    "erpai.notifications.assistant_tools",
)
MAX_RESULT_CHARS = 8000


@dataclass(frozen=True)
class ToolContext:
    """Who asks, in which conversation, with which model: a tool acts as this user, never more."""

    session: Session
    user: User
    model_id: int
    conversation_id: int


@dataclass(frozen=True)
class AssistantTool:
    name: str
    description: str
    parameters: dict[str, Any]
    run: Callable[[ToolContext, dict[str, Any]], Any]

    @property
    def spec(self) -> ToolSpec:
        return ToolSpec(name=self.name, description=self.description, parameters=self.parameters)


_REGISTRY: dict[str, AssistantTool] = {}
_loaded = False


def register_tool(tool: AssistantTool) -> None:
    existing = _REGISTRY.get(tool.name)
    if existing is not None and existing.run is not tool.run:
        raise ValueError(f"an assistant tool named '{tool.name}' is already registered")
    _REGISTRY[tool.name] = tool


def available_tools() -> list[AssistantTool]:
    global _loaded
    if not _loaded:
        for module in TOOL_MODULES:
            importlib.import_module(module)
        _loaded = True
    return sorted(_REGISTRY.values(), key=lambda tool: tool.name)


def run_tool(context: ToolContext, name: str, arguments_json: str) -> str:
    """Runs one call as the asking user; an unknown tool, bad arguments or a refusal go back as an error
    text the model can read (never an exception out of the reply)."""
    tool = {t.name: t for t in available_tools()}.get(name)
    if tool is None:
        return json.dumps({"error": f"no tool named '{name}'"})
    try:
        arguments = json.loads(arguments_json or "{}")
        if not isinstance(arguments, dict):
            raise ValueError("arguments must be a JSON object")
        result = tool.run(context, arguments)
    except (ValueError, TypeError) as exc:
        return json.dumps({"error": f"bad arguments for {name}: {exc}"})
    except DomainError as exc:
        return json.dumps({"error": exc.message})
    text = json.dumps(result, ensure_ascii=False, default=str)
    return text if len(text) <= MAX_RESULT_CHARS else text[:MAX_RESULT_CHARS] + "…"
