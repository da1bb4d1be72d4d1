"""The provider contract: capability flags plus the operations features call.

Features ask ``client.has("chat")`` or call :func:`require_capability`; they never branch on a kind name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

import numpy as np

from erpai.errors import DomainError, MissingCapability

Capability = Literal["chat", "embeddings", "fine_tune", "tools"]
CAPABILITIES: tuple[Capability, ...] = get_args(Capability)
ChatMessage = dict[str, Any]

ErrorCode = Literal[
    "auth",
    "permission",
    "not_found",
    "rate_limited",
    "unavailable",
    "timeout",
    "bad_request",
    "model_not_available",
    "misconfigured",
]

# Upstream failures are the gateway's problem, not the erpai caller's: never answer 401/403 for them.
_STATUS_BY_CODE: dict[str, int] = {"rate_limited": 503, "unavailable": 503, "timeout": 504}


class ProviderError(DomainError):
    """A call to a provider failed; ``code`` is stable, the message never holds a secret."""

    def __init__(self, message: str, *, code: ErrorCode, upstream_status: int | None = None) -> None:
        super().__init__(message, field="provider")
        self.code: ErrorCode = code
        self.upstream_status = upstream_status
        self.status_code = _STATUS_BY_CODE.get(code, 502)


@dataclass(frozen=True)
class ToolSpec:
    """A function the model may call: its name, what it does, and its JSON-schema parameters."""

    name: str
    description: str
    parameters: dict[str, Any]


@dataclass(frozen=True)
class ToolCall:
    """One call the model made, and what the tool answered."""

    id: str
    name: str
    arguments: str
    result: str


@dataclass
class ChatOutcome:
    """A finished chat (after any tool calls): the text, the calls made, token usage and raw responses."""

    text: str
    tool_calls: list[ToolCall] = field(default_factory=list)
    usage: dict[str, int] = field(default_factory=dict)
    raw: list[dict[str, Any]] = field(default_factory=list)


# Runs one tool: (name, JSON arguments text) -> the result text given back to the model.
ToolRunner = Callable[[str, str], str]


@dataclass(frozen=True)
class FineTuneJob:
    """The provider's fine-tune job, reduced to what a compile needs."""

    id: str
    status: str
    model: str
    fine_tuned_model: str | None = None
    error: str | None = None
    trained_tokens: int | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class ProbeReport:
    """What ``erpai provider test`` found: which capabilities answered."""

    ok: bool
    chat: bool | None
    embeddings: bool | None
    fine_tune: bool | None
    models: list[str]
    messages: list[str]


class ProviderClient:
    """One configured provider. Subclasses set ``capabilities`` and override the operations they support."""

    kind: str = ""
    capabilities: frozenset[Capability] = frozenset()

    def __init__(self, *, name: str, base_model: str) -> None:
        self.name = name
        self.base_model = base_model

    def has(self, capability: Capability) -> bool:
        return capability in self.capabilities

    def _missing(self, capability: Capability) -> MissingCapability:
        return missing_capability(self, capability)

    def chat(
        self,
        messages: Sequence[ChatMessage],
        *,
        model: str | None = None,
        temperature: float = 0.2,
        max_tokens: int | None = None,
    ) -> str:
        raise self._missing("chat")

    def chat_stream(
        self,
        messages: Sequence[ChatMessage],
        *,
        model: str | None = None,
        temperature: float = 0.2,
        max_tokens: int | None = None,
    ) -> Iterator[str]:
        raise self._missing("chat")

    def chat_with_tools(
        self,
        messages: Sequence[ChatMessage],
        *,
        tools: Sequence[ToolSpec],
        run_tool: ToolRunner,
        model: str | None = None,
        max_rounds: int = 4,
        temperature: float = 0.2,
    ) -> ChatOutcome:
        """A chat in which the model may call ``tools`` (needs ``tools`` when any are given): each call is
        run with ``run_tool`` and its result sent back, for at most ``max_rounds`` rounds of calls."""
        raise self._missing("tools" if tools else "chat")

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        raise self._missing("embeddings")

    def upload_training_file(self, jsonl: bytes, filename: str) -> str:
        raise self._missing("fine_tune")

    def create_fine_tune(
        self,
        training_file_id: str,
        *,
        model: str | None = None,
        suffix: str | None = None,
        method: dict[str, Any] | None = None,
    ) -> FineTuneJob:
        raise self._missing("fine_tune")

    def retrieve_fine_tune(self, job_id: str) -> FineTuneJob:
        raise self._missing("fine_tune")

    def list_fine_tune_events(self, job_id: str, *, limit: int = 50) -> list[str]:
        raise self._missing("fine_tune")

    def cancel_fine_tune(self, job_id: str) -> FineTuneJob:
        raise self._missing("fine_tune")

    def probe(self) -> ProbeReport:
        """One cheap round trip per capability; never raises for upstream failures."""
        raise NotImplementedError


def missing_capability(client: ProviderClient, capability: Capability) -> MissingCapability:
    have = ", ".join(sorted(client.capabilities)) or "none"
    return MissingCapability(
        f"provider '{client.name}' lacks the '{capability}' capability (it has: {have})", field="provider"
    )


def require_capability(client: ProviderClient, capability: Capability) -> None:
    """Fails with :class:`MissingCapability` naming ``capability`` when ``client`` lacks it."""
    if capability not in CAPABILITIES:
        raise ValueError(f"unknown capability {capability!r}")
    if not client.has(capability):
        raise missing_capability(client, capability)
