"""The assistant's prompt: system chain, instructions, grounding, page data, bounded history, the question."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from erpai.answering.grounding import grounding_text
from erpai.answering.schemas import Source
from erpai.assistant.models import AssistantMessage
from erpai.assistant.page_data import estimate_tokens
from erpai.providers.base import ChatMessage

ASSISTANT_ROLE = (
    "You are the user's personal AI assistant inside the company's business software. Answer in the "
    "user's language, briefly and precisely. Use the page data when the question is about it."
)


@dataclass
class History:
    turns: list[AssistantMessage]
    dropped: int
    budget: int

    @property
    def note(self) -> str | None:
        if not self.dropped:
            return None
        return (
            f"[Note: {self.dropped} earlier message(s) of this conversation were left out to fit the history "
            f"budget of {self.budget} tokens; only the latest {len(self.turns)} are shown.]"
        )


def bounded_history(messages: Sequence[AssistantMessage], *, token_budget: int) -> History:
    """The newest messages (oldest first) whose estimated tokens fit ``token_budget``; never silently:
    :attr:`History.note` says how many were dropped."""
    kept: list[AssistantMessage] = []
    used = 0
    for message in reversed(messages):
        cost = estimate_tokens(message.content)
        if used + cost > token_budget:
            break
        kept.append(message)
        used += cost
    kept.reverse()
    return History(turns=kept, dropped=len(messages) - len(kept), budget=token_budget)


@dataclass
class PromptParts:
    system_messages: Sequence[str]
    instructions: str = ""
    form_kind: str = "record"
    matches: Sequence[Source] = ()
    page_text: str | None = None
    history: History = field(default_factory=lambda: History(turns=[], dropped=0, budget=0))


def assistant_messages(parts: PromptParts, question: str) -> list[ChatMessage]:
    chain = "\n\n".join(m.strip() for m in parts.system_messages if m.strip())
    messages: list[ChatMessage] = [
        {"role": "system", "content": f"{chain}\n\n{ASSISTANT_ROLE}" if chain else ASSISTANT_ROLE}
    ]
    if parts.instructions.strip():
        text = f"Additional instructions ({parts.form_kind} pages):\n{parts.instructions.strip()}"
        messages.append({"role": "system", "content": text})
    if parts.matches:
        messages.append({"role": "system", "content": grounding_text(parts.matches)})
    if parts.page_text:
        messages.append({"role": "system", "content": parts.page_text})
    note = parts.history.note
    if note:
        messages.append({"role": "system", "content": note})
    for turn in parts.history.turns:
        role = turn.role if turn.role in ("user", "assistant") else "system"
        messages.append({"role": role, "content": turn.content})
    messages.append({"role": "user", "content": question})
    return messages
