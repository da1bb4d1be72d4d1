"""What rules talk to: the default model's chat provider, its system message chain, a prompt cache."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from erpai.ai_models.models import AIModel
from erpai.ai_models.service import find_default_model
from erpai.answering.service import (
    chat_model_for,  # the build's model, else the base model
    load_active_build,
)
from erpai.compilations.snapshot import system_message_chain
from erpai.providers import ProviderClient, ProviderError, get_provider
from erpai.providers.models import Provider
from erpai.providers.registry import capabilities_of

CACHE_TTL_SETTING = "rules.cache_ttl_seconds"


@dataclass
class RuleAI:
    """What a firing uses; ``problem`` says why rules cannot run (then ``client`` is None)."""

    client: ProviderClient | None = None
    model: str | None = None
    system: str = ""
    problem: str | None = None


@dataclass
class Answer:
    text: str
    tokens: int | None
    cached: bool = False


def default_model_problem(session: Session) -> str | None:
    """None when rules can run; else a sentence saying what is missing."""
    return _default_chat(session)[2]


def _default_chat(session: Session) -> tuple[AIModel | None, Provider | None, str | None]:
    model = find_default_model(session)
    if model is None:
        return None, None, "rules use the default model, and no model is the default"
    provider = session.get(Provider, model.provider_id) if model.provider_id is not None else None
    if provider is None:
        return model, None, f"the default model '{model.name}' has no provider"
    if "chat" not in capabilities_of(provider):
        return model, provider, f"provider '{provider.name}' of the default model '{model.name}' lacks 'chat'"
    return model, provider, None


def rule_ai(session: Session) -> RuleAI:
    model, provider, problem = _default_chat(session)
    if problem is not None or model is None:
        return RuleAI(problem=problem)
    client = _client(provider)
    build = load_active_build(session, model=model)
    chain = build[1].system_messages if build else system_message_chain(session, model=model)
    return RuleAI(
        client=client,
        model=chat_model_for(session, build[0] if build else None, client),
        system="\n\n".join(chain),
    )


_clients: dict[tuple[int, int, str, str, str], ProviderClient] = {}
_clients_lock = threading.Lock()


def _client(row: Provider | None) -> ProviderClient:
    """One client per provider version (building an SDK client per save would cost more than the rule)."""
    assert row is not None
    key = (row.id, row.object_version, row.base_model_name, row.config_json, row.api_key_encrypted or "")
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            for old in [k for k in _clients if k[0] == row.id]:
                _clients.pop(old).close()
            client = _clients[key] = get_provider(row)
        return client


@dataclass
class PromptCache:
    """Identical prompt to the same model within the TTL: the earlier answer (per server process)."""

    entries: dict[tuple[str, str, str], tuple[float, str, int | None]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self, key: tuple[str, str, str]) -> Answer | None:
        with self.lock:
            hit = self.entries.get(key)
            if hit is None or hit[0] < time.monotonic():
                return None
            return Answer(hit[1], hit[2], cached=True)

    def put(self, key: tuple[str, str, str], answer: Answer, ttl: float) -> None:
        if ttl <= 0:
            return
        with self.lock:
            if len(self.entries) > 10_000:
                now = time.monotonic()
                self.entries = {k: v for k, v in self.entries.items() if v[0] >= now}
            self.entries[key] = (time.monotonic() + ttl, answer.text, answer.tokens)

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()


prompt_cache = PromptCache()


def ask(ai: RuleAI, prompt: str, *, timeout_ms: int, ttl: float) -> Answer:
    """The model's answer to ``prompt`` (raises ProviderError: timeout, or any provider failure)."""
    if ai.client is None:
        raise ProviderError(ai.problem or "rules cannot run", code="misconfigured")
    key = (ai.model or "", ai.system, prompt)
    cached = prompt_cache.get(key)
    if cached is not None:
        return cached
    messages = ([{"role": "system", "content": ai.system}] if ai.system else []) + [
        {"role": "user", "content": prompt}
    ]
    result = ai.client.complete(messages, model=ai.model, temperature=0.0, timeout_s=timeout_ms / 1000)
    answer = Answer(result.text, result.total_tokens)
    prompt_cache.put(key, answer, ttl)
    return answer


__all__ = ["Answer", "RuleAI", "ask", "default_model_problem", "prompt_cache", "rule_ai"]
