"""The provider contract: capability flags plus the operations features call.

Features ask ``client.has("chat")`` or call :func:`require_capability`; they never branch on a kind name.
``vision``: the chat accepts images as OpenAI-style content parts (``{"type": "image_url", "image_url":
{"url": "data:image/png;base64,..."}}``) next to the text of a user message.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar, get_args

import numpy as np

from erpai.errors import DomainError, MissingCapability

Capability = Literal["chat", "embeddings", "fine_tune", "tools", "vision"]
CAPABILITIES: tuple[Capability, ...] = get_args(Capability)
ChatMessage = dict[str, Any]
T = TypeVar("T")

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
    "bad_output",
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
class ChatResult:
    """One chat answer: its text, the parsed JSON when a schema was asked for, and the token counts."""

    text: str
    data: Any = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None

    @property
    def total_tokens(self) -> int | None:
        if self.prompt_tokens is None and self.completion_tokens is None:
            return None
        return (self.prompt_tokens or 0) + (self.completion_tokens or 0)


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

    def chat_once(
        self,
        messages: Sequence[ChatMessage],
        *,
        model: str | None,
        temperature: float,
        max_tokens: int | None,
        timeout_s: float | None,
        json_schema: dict[str, Any] | None,
    ) -> ChatResult:
        """One chat call; kinds override it to report tokens, bound the SDK wait and ask for JSON."""
        return ChatResult(self.chat(messages, model=model, temperature=temperature, max_tokens=max_tokens))

    def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        model: str | None = None,
        temperature: float = 0.2,
        max_tokens: int | None = None,
        timeout_s: float | None = None,
        json_schema: dict[str, Any] | None = None,
    ) -> ChatResult:
        """A chat call whose wait is bounded by ``timeout_s`` (the call is abandoned past it: ProviderError
        code ``timeout``). With ``json_schema`` the answer must be JSON valid against it: one repair retry
        that shows the model its error, then ProviderError code ``bad_output``."""
        require_capability(self, "chat")
        result = self._bounded(messages, model, temperature, max_tokens, timeout_s, json_schema)
        if json_schema is None:
            return result
        problem = json_problem(result.text, json_schema)
        if problem is None:
            return _with_data(result)
        repair = [
            *messages,
            {"role": "assistant", "content": result.text},
            {
                "role": "user",
                "content": f"That answer is not valid: {problem}. Answer again with only JSON "
                f"valid against this schema: {json.dumps(json_schema)}",
            },
        ]
        retried = self._bounded(repair, model, temperature, max_tokens, timeout_s, json_schema)
        problem = json_problem(retried.text, json_schema)
        if problem is not None:
            raise ProviderError(
                f"provider '{self.name}' chat: the answer is not JSON valid against the schema after one "
                f"repair retry ({problem})",
                code="bad_output",
            )
        return _with_data(retried)

    def _bounded(
        self,
        messages: Sequence[ChatMessage],
        model: str | None,
        temperature: float,
        max_tokens: int | None,
        timeout_s: float | None,
        json_schema: dict[str, Any] | None,
    ) -> ChatResult:
        def call() -> ChatResult:
            return self.chat_once(
                messages,
                model=model,
                temperature=temperature,
                max_tokens=max_tokens,
                timeout_s=timeout_s,
                json_schema=json_schema,
            )

        if timeout_s is None:
            return call()
        return run_bounded(call, timeout_s=timeout_s, what=f"provider '{self.name}' chat")

    def close(self) -> None:
        """Releases connections; the client is not used afterwards."""

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


def run_bounded(call: Callable[[], T], *, timeout_s: float, what: str) -> T:
    """Runs ``call`` on a daemon thread and waits at most ``timeout_s``; past it the call is abandoned
    (kinds also pass the timeout to their SDK, so the thread ends about as soon)."""
    future: Future[T] = Future()

    def target() -> None:
        try:
            future.set_result(call())
        except BaseException as exc:  # handed to the waiting caller
            future.set_exception(exc)

    threading.Thread(target=target, name="erpai-bounded-call", daemon=True).start()
    try:
        return future.result(timeout=timeout_s)
    except TimeoutError:
        raise ProviderError(f"{what}: no answer within {timeout_s:g}s", code="timeout") from None


def json_problem(text: str, schema: dict[str, Any]) -> str | None:
    """None when ``text`` is JSON valid against ``schema`` (a common subset of JSON Schema), else why not."""
    body = text.strip()
    if body.startswith("```"):
        body = body.strip("`").removeprefix("json").strip()
    try:
        value = json.loads(body)
    except json.JSONDecodeError as exc:
        return f"not JSON ({exc.msg})"
    return schema_problem(value, schema, "$")


_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "null": (type(None),),
}


def schema_problem(value: Any, schema: dict[str, Any], where: str) -> str | None:
    """Checks type, enum, required, properties, additionalProperties: false and items."""
    kinds = schema.get("type")
    allowed = [kinds] if isinstance(kinds, str) else list(kinds or [])
    if allowed and not any(_is_type(value, kind) for kind in allowed):
        return f"{where} should be {' or '.join(allowed)}"
    if "enum" in schema and value not in schema["enum"]:
        return f"{where} should be one of {schema['enum']}"
    if isinstance(value, dict):
        return _object_problem(value, schema, where)
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(value):
            problem = schema_problem(item, schema["items"], f"{where}[{index}]")
            if problem:
                return problem
    return None


def _is_type(value: Any, kind: str) -> bool:
    if kind in ("integer", "number") and isinstance(value, bool):
        return False
    return isinstance(value, _JSON_TYPES.get(kind, (object,)))


def _object_problem(value: dict[str, Any], schema: dict[str, Any], where: str) -> str | None:
    properties: dict[str, Any] = schema.get("properties", {})
    for name in schema.get("required", []):
        if name not in value:
            return f"{where}.{name} is required"
    if schema.get("additionalProperties") is False:
        extra = sorted(set(value) - set(properties))
        if extra:
            return f"{where} has unknown properties {extra}"
    for name, sub in properties.items():
        if name in value:
            problem = schema_problem(value[name], sub, f"{where}.{name}")
            if problem:
                return problem
    return None


def _with_data(result: ChatResult) -> ChatResult:
    body = result.text.strip()
    if body.startswith("```"):
        body = body.strip("`").removeprefix("json").strip()
    return ChatResult(result.text, json.loads(body), result.prompt_tokens, result.completion_tokens)


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
