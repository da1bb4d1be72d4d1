"""The embedded provider: sentence embeddings computed in-process, no key, no network."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from erpai.providers.base import Capability, ProbeReport, ProviderClient, ProviderError
from erpai.providers.config import LocalConfig


def local_capabilities(_: LocalConfig) -> frozenset[Capability]:
    return frozenset({"embeddings"})


class LocalProvider(ProviderClient):
    kind = "local"

    def __init__(self, *, name: str, base_model: str, config: LocalConfig) -> None:
        super().__init__(name=name, base_model=base_model)
        self.config = config
        self.capabilities = local_capabilities(config)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        try:
            from erpai.learning.embedders import DEFAULT_EMBEDDER, get_embedder
        except ImportError as exc:
            raise ProviderError(
                f"provider '{self.name}': the local embedders are not installed", code="unavailable"
            ) from exc
        name = DEFAULT_EMBEDDER if self.config.embedder == "default" else self.config.embedder
        return get_embedder(name).embed(list(texts))

    def probe(self) -> ProbeReport:
        notes = [f"embedder: {self.config.embedder}"]
        try:
            self.embed(["ping"])
        except (ProviderError, ValueError, OSError) as exc:
            notes.append(f"embeddings: no ({exc})")
            return ProbeReport(
                ok=False, chat=None, embeddings=False, fine_tune=None, models=[], messages=notes
            )
        notes.append("embeddings: yes")
        return ProbeReport(ok=True, chat=None, embeddings=True, fine_tune=None, models=[], messages=notes)
