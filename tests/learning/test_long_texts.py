"""A very long text reaches every encoder cut to its window: the same vector as its first part, fast and
with memory bounded by the number of texts (a 1 MB text through USE used to take gigabytes)."""

from __future__ import annotations

import numpy as np
import pytest

from erpai.learning.embedders import MAX_EMBED_CHARS, get_embedder

WORDS = ["invoice", "discount", "delivery", "Rechnung", "поръчка", "payment", "warehouse", "tea"]


def _long_text(chars: int) -> str:
    words = [f"{WORDS[i % len(WORDS)]}{i}" for i in range(chars // 6)]
    return "  \n".join(words)[:chars]


@pytest.mark.parametrize("name", ["minilm", "minilm8", "muse", "char"])
def test_one_megabyte_text_embeds_as_its_first_part(name: str) -> None:
    embedder = get_embedder(name)
    text = _long_text(1_000_000)
    head = " ".join(text.split())[:MAX_EMBED_CHARS]
    vectors = embedder.embed([text, head, "short question"])
    assert vectors.shape == (3, embedder.dim)
    assert np.all(np.isfinite(vectors))
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert np.allclose(vectors[0], vectors[1], atol=1e-5)


def test_whitespace_runs_do_not_shorten_the_cut() -> None:
    embedder = get_embedder("char")
    text = " " * 50_000 + "tea in bulk " * 1_000
    [vector] = embedder.embed([text])
    [expected] = embedder.embed([" ".join(text.split())[:MAX_EMBED_CHARS]])
    assert np.allclose(vector, expected)
