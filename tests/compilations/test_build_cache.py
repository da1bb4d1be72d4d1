"""The cache of loaded builds: least recently used out first, bounded by count and by size."""

from __future__ import annotations

import numpy as np

from erpai.compilations.artifact import BuildArtifact, BuildCache
from erpai.learning.head import IntentHead


def _artifact(name: str) -> BuildArtifact:
    head = IntentHead("raw", np.zeros(0, np.int64), np.zeros((0, 2), np.float32), 0)
    return BuildArtifact(embedder=name, answers=[], rows=[], system_messages=[], head=head)


def test_the_least_recently_used_build_goes_first() -> None:
    cache = BuildCache(capacity=2)
    cache.put("a", _artifact("a"))
    cache.put("b", _artifact("b"))
    assert cache.get("a") is not None  # a is now the most recently used
    cache.put("c", _artifact("c"))
    assert (cache.get("a") is not None, cache.get("b"), cache.get("c") is not None) == (True, None, True)


def test_more_builds_than_the_old_eight_places_stay_loaded() -> None:
    """Twenty arbiters answering in turn: all stay loaded (eight places unpacked one build per question)."""
    cache = BuildCache()
    for n in range(20):
        cache.put(str(n), _artifact(str(n)))
    assert all(cache.get(str(n)) is not None for n in range(20))


def test_the_size_budget_evicts_but_keeps_the_newest() -> None:
    cache = BuildCache(capacity=10, max_bytes=100)
    cache.put("a", _artifact("a"), size=60)
    cache.put("b", _artifact("b"), size=60)
    assert (cache.get("a"), len(cache)) == (None, 1)
    cache.put("huge", _artifact("huge"), size=1000)  # bigger than the budget: still cached, alone
    assert cache.get("huge") is not None and len(cache) == 1
