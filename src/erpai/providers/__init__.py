"""AI providers: the typed client contract, the kinds (local, openai) and provider configuration."""

from __future__ import annotations

from typing import TYPE_CHECKING

from erpai.providers.base import (
    CAPABILITIES,
    Capability,
    ChatMessage,
    ChatResult,
    FineTuneJob,
    ProbeReport,
    ProviderClient,
    ProviderError,
    require_capability,
)

if TYPE_CHECKING:
    from erpai.providers.models import Provider

__all__ = [
    "CAPABILITIES",
    "Capability",
    "ChatMessage",
    "ChatResult",
    "FineTuneJob",
    "ProbeReport",
    "ProviderClient",
    "ProviderError",
    "get_provider",
    "require_capability",
]


def get_provider(row: Provider) -> ProviderClient:
    """The client for a ``Provider`` row (see :func:`erpai.providers.registry.get_provider`)."""
    from erpai.providers.registry import get_provider as _get_provider

    return _get_provider(row)
