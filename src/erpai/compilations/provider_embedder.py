"""Builds that embed with a provider's embedding model (any OpenAI-compatible /v1/embeddings).

A build records its embedder's name; for a provider's model the name is ``provider:<id>:<model>``, so the
embedding cache keys by provider and model, and answering resolves the same provider again. Turned on per
provider with ``config.build_embeddings`` (OpenAI-compatible providers); the built-in encoders stay the
default.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from erpai.config import get_settings
from erpai.db import session_factory
from erpai.errors import InvalidInput
from erpai.learning.embedders import DEFAULT_EMBEDDER, EMBEDDER_NAMES, Embedder, get_embedder, warm_up
from erpai.providers import get_provider
from erpai.providers.base import ProviderClient, require_capability
from erpai.providers.models import Provider

PREFIX = "provider:"


class ProviderEmbedder:
    """The provider contract's ``embed`` behind the learning module's ``Embedder`` protocol."""

    def __init__(self, name: str, client: ProviderClient) -> None:
        self.name = name
        self.dim = 0  # known after the first call
        self._client = client

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        matrix = self._client.embed(list(texts))
        if matrix.size:
            self.dim = int(matrix.shape[1])
        return matrix


def _config(provider: Provider) -> dict[str, object]:
    loaded = json.loads(provider.config_json or "{}")
    return loaded if isinstance(loaded, dict) else {}


def embedder_name_for(provider: Provider | None) -> str:
    """The embedder a build of a model with this provider uses."""
    config = _config(provider) if provider else {}
    if provider is not None and provider.kind != "local" and config.get("build_embeddings") is True:
        client = get_provider(provider)
        require_capability(client, "embeddings")
        return f"{PREFIX}{provider.id}:{_embedding_model(client)}"
    name = config.get("embedder")
    return name if isinstance(name, str) and name and name != "default" else DEFAULT_EMBEDDER


def _embedding_model(client: ProviderClient) -> str:
    config = getattr(client, "config", None)
    model = getattr(config, "resolved_embedding_model", None)
    return str(model or "")


def builtin_embedders_in_use(session: Session) -> list[str]:
    """The built-in encoders the providers' builds use (the default first), for warming up a process."""
    names = [DEFAULT_EMBEDDER]
    for provider in session.scalars(select(Provider)):
        config = _config(provider)
        if provider.kind == "local" or config.get("build_embeddings") is not True:
            name = config.get("embedder")
            names.append(name if isinstance(name, str) and name in EMBEDDER_NAMES else DEFAULT_EMBEDDER)
    return list(dict.fromkeys(names))


def warm_up_encoders() -> threading.Thread | None:
    """A worker or server loads the encoders its builds use in the background (``warm_up_encoders``)."""
    if not get_settings().warm_up_encoders:
        return None
    with session_factory()() as session:
        names = builtin_embedders_in_use(session)
    return warm_up(names)


def resolve_embedder(session: Session, name: str) -> Embedder:
    """The embedder called ``name``: a built-in encoder, or a provider's embedding model."""
    if not name.startswith(PREFIX):
        return get_embedder(name)
    provider_ref, _, model = name[len(PREFIX) :].partition(":")
    provider = session.get(Provider, int(provider_ref)) if provider_ref.isdigit() else None
    if provider is None:
        raise InvalidInput(
            f"provider: the build embeds with provider {provider_ref}, which no longer exists; "
            "rebuild the model",
            field="provider",
        )
    client = get_provider(provider)
    if _embedding_model(client) != model:
        raise InvalidInput(
            f"provider: the build embeds with '{model}' but provider '{provider.name}' now names "
            f"'{_embedding_model(client)}'; rebuild the model",
            field="provider",
        )
    return ProviderEmbedder(name, client)
