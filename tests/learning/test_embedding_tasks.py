"""Embedding calls split into tasks on one pool: the same vectors as embedding part by part; warm-up."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import pytest

from erpai.learning import embedders
from erpai.learning.embedders import CharHashEmbedder, ConcatEmbedder, warm_up

TEXTS = [f"question number {n} about {'invoices' if n % 3 else 'the VPN'}" for n in range(700)]


class _NoTasks:
    """An embedder with only ``embed`` (as a provider's): a concatenation runs it as one task."""

    name = "plain"
    dim = 8

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        rows = np.array([[len(t) % 7 + 1, *(ord(c) % 5 for c in t[:7].ljust(7))] for t in texts], np.float32)
        return rows / np.linalg.norm(rows, axis=1, keepdims=True)


@pytest.mark.parametrize("threads", ["1", "2"])
def test_a_concatenation_equals_its_parts_side_by_side(monkeypatch: pytest.MonkeyPatch, threads: str) -> None:
    monkeypatch.setenv("ERPAI_EMBED_THREADS", threads)
    small, wide = CharHashEmbedder(dim=64), CharHashEmbedder(dim=128)
    small.chunk = 100  # several tasks per part, interleaved with the other parts'
    parts = [small, _NoTasks(), wide]
    combined = ConcatEmbedder("test", parts).embed(TEXTS)
    expected = np.concatenate([p.embed(TEXTS) for p in parts], axis=1) / np.float32(np.sqrt(3))
    assert combined.dtype == np.float32 and combined.shape == (len(TEXTS), 200)
    assert np.array_equal(combined, expected)
    assert np.allclose(np.linalg.norm(combined, axis=1), 1.0, atol=1e-5)


def test_chunks_do_not_change_a_vector() -> None:
    whole = CharHashEmbedder(dim=64)
    split = CharHashEmbedder(dim=64)
    split.chunk = 7
    assert np.array_equal(whole.embed(TEXTS), split.embed(TEXTS))
    assert split.embed([]).shape == (0, 64)


def test_warm_up_loads_the_named_embedders(caplog: pytest.LogCaptureFixture) -> None:
    embedders._cache.pop("char", None)
    with caplog.at_level(logging.WARNING, logger="erpai.learning"):
        warm_up(["char", "no-such-encoder", "char"]).join(timeout=60)
    assert "char" in embedders._cache
    assert any("no-such-encoder" in r.getMessage() for r in caplog.records)


def test_named_parts_load_on_first_use_and_give_the_same_vectors() -> None:
    embedders._cache.pop("char", None)
    lazy = ConcatEmbedder("lazy", ["char", CharHashEmbedder(dim=64)])
    assert lazy.dim == 512 + 64 and "char" not in embedders._cache  # nothing loaded to know the width
    vectors = lazy.embed(TEXTS[:50])
    assert "char" in embedders._cache
    expected = ConcatEmbedder("loaded", [embedders.get_embedder("char"), CharHashEmbedder(dim=64)])
    assert np.array_equal(vectors, expected.embed(TEXTS[:50]))
