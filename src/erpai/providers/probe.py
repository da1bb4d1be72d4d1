"""``erpai provider test``: a few cheap calls that tell which declared capabilities really work."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from erpai.providers.base import ProbeReport, ProviderError
from erpai.providers.resilience import Retrier

if TYPE_CHECKING:
    from erpai.providers.openai_client import OpenAIProvider

_FATAL = frozenset({"auth", "permission", "unavailable", "timeout", "misconfigured"})


def _check(label: str, declared: bool, call: Callable[[], Any], notes: list[str]) -> bool | None:
    """None: not declared; True/False: the call worked or failed (the failure goes into ``notes``)."""
    if not declared:
        notes.append(f"{label}: not enabled in the provider's config")
        return None
    try:
        call()
    except ProviderError as exc:
        notes.append(f"{label}: no ({exc.message})")
        return False
    notes.append(f"{label}: yes")
    return True


def _list_models(client: OpenAIProvider, sdk: Any, retrier: Retrier, notes: list[str]) -> list[str] | None:
    """The listed model ids, [] when the server has no /models, None on a fatal error (noted)."""
    try:
        models: list[str] = retrier.run("models", lambda t: [m.id for m in sdk.models.list(timeout=t)])
    except ProviderError as exc:
        notes.append(exc.message)
        return [] if exc.code not in _FATAL else None
    notes.append(f"models: {len(models)} listed")
    if models and client.base_model not in models:
        notes.append(f"warning: the base model '{client.base_model}' is not among the listed models")
    return models


def probe_openai(client: OpenAIProvider, sdk: Any, retrier: Retrier) -> ProbeReport:
    # At most two attempts and a short deadline: a test should answer in seconds, not minutes.
    policy = retrier.policy
    quick = replace(
        retrier,
        policy=replace(
            policy,
            max_attempts=min(2, policy.max_attempts),
            deadline_seconds=min(60.0, policy.deadline_seconds),
            timeout_seconds=min(20.0, policy.timeout_seconds),
        ),
    )
    notes: list[str] = []
    models = _list_models(client, sdk, quick, notes)
    if models is None:
        return ProbeReport(ok=False, chat=None, embeddings=None, fine_tune=None, models=[], messages=notes)
    saved, client._retrier = client._retrier, quick
    try:
        chat = _check(
            "chat",
            client.has("chat"),
            lambda: client.chat([{"role": "user", "content": "ping"}], max_tokens=1),
            notes,
        )
        embeddings = _check("embeddings", client.has("embeddings"), lambda: client.embed(["ping"]), notes)
        fine_tune = _check(
            "fine_tune",
            client.has("fine_tune"),
            lambda: quick.run("fine-tune list", lambda t: sdk.fine_tuning.jobs.list(limit=1, timeout=t)),
            notes,
        )
    finally:
        client._retrier = saved
    ok = all(result is not False for result in (chat, embeddings, fine_tune))
    return ProbeReport(
        ok=ok, chat=chat, embeddings=embeddings, fine_tune=fine_tune, models=models, messages=notes
    )
