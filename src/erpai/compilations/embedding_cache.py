"""Embeddings cached in the database by (embedder, text): a recompile embeds only what changed."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from erpai.compilations.models import EmbeddingCacheEntry
from erpai.learning.embedders import Embedder

_CHUNK = 500


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _insert_ignoring_duplicates(session: Session) -> Any:
    """Two compiles may embed the same new text at once; the first row wins."""
    if session.get_bind().dialect.name == "postgresql":
        return pg_insert(EmbeddingCacheEntry).on_conflict_do_nothing()
    return sqlite_insert(EmbeddingCacheEntry).on_conflict_do_nothing()


def _cached(session: Session, embedder: str, digests: list[str]) -> dict[str, bytes]:
    found: dict[str, bytes] = {}
    for start in range(0, len(digests), _CHUNK):
        chunk = digests[start : start + _CHUNK]
        stmt = select(EmbeddingCacheEntry.text_sha256, EmbeddingCacheEntry.vector).where(
            EmbeddingCacheEntry.embedder == embedder, EmbeddingCacheEntry.text_sha256.in_(chunk)
        )
        found.update({digest: vector for digest, vector in session.execute(stmt)})
    return found


def embed_with_cache(
    session: Session,
    *,
    embedder: Embedder,
    texts: Sequence[str],
    progress: Callable[[int, int], None] | None = None,
    release: Callable[[], None] | None = None,
    batch_size: int = 4096,
) -> tuple[np.ndarray, int]:
    """Returns (vectors in input order, how many texts were newly embedded). Flushes, never commits.

    ``release`` is called after the cache lookup, before the slow embedding: the caller ends its
    transaction there, so no database lock is held while the encoder runs.
    """
    digests = [_digest(t) for t in texts]
    cached = _cached(session, embedder.name, sorted(set(digests)))
    missing = sorted({d: t for d, t in zip(digests, texts, strict=True) if d not in cached}.items())
    if release:
        release()
    fresh: list[dict[str, Any]] = []
    for start in range(0, len(missing), batch_size):
        batch = missing[start : start + batch_size]
        vectors = embedder.embed([t for _, t in batch]).astype(np.float32)
        fresh += [
            {"embedder": embedder.name, "text_sha256": d, "vector": v.tobytes()}
            for (d, _), v in zip(batch, vectors, strict=True)
        ]
        if progress:
            progress(min(start + batch_size, len(missing)), len(missing))
    for start in range(0, len(fresh), _CHUNK):
        session.execute(_insert_ignoring_duplicates(session), fresh[start : start + _CHUNK])
    cached.update({row["text_sha256"]: row["vector"] for row in fresh})
    session.flush()
    matrix = (
        np.stack([np.frombuffer(cached[d], dtype=np.float32) for d in digests])
        if digests
        else np.zeros((0, embedder.dim), np.float32)
    )
    return matrix, len(missing)
