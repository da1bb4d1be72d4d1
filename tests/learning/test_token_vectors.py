"""MiniLM's content token vectors (for late interaction) come from the run that makes the sentence vectors."""

from __future__ import annotations

import numpy as np
import pytest

from erpai.learning.embedders import MiniLMEmbedder, get_embedder


@pytest.fixture(scope="module")
def minilm() -> MiniLMEmbedder:
    found = get_embedder("minilm")
    assert isinstance(found, MiniLMEmbedder)
    return found


def _maxsim(question: np.ndarray, row: np.ndarray) -> np.ndarray:
    """Each question token's best cosine to the row's tokens."""
    found: np.ndarray = (question @ row.T).max(axis=1)
    return found


def test_sentence_vectors_are_those_of_embed_and_tokens_skip_stop_words(minilm: MiniLMEmbedder) -> None:
    texts = ["What colour is the sky?", "What is our brand colour?", "What is it?"]
    vectors, tokens = minilm.embed_with_tokens(texts)
    assert np.array_equal(vectors, minilm.embed(texts))
    # [CLS], [SEP], "?" and the stop words what / is / the / our are left out: colour + sky, brand + colour
    assert [len(t) for t in tokens[:2]] == [2, 2]
    assert len(tokens[2]) == 4      # nothing but stop words: all of what / is / it / ? instead
    for found in tokens:
        assert found.dtype == np.float32 and found.shape[1] == minilm.dim
        assert np.allclose(np.linalg.norm(found, axis=1), 1.0, atol=1e-5)
    sky, brand = tokens[0], tokens[1]
    coverage = _maxsim(sky, brand)
    assert coverage[0] > 0.8            # "colour" is found in the brand question
    assert coverage[1] < 0.5            # "sky" is not
    assert _maxsim(brand, brand).min() > 0.99


def test_token_vectors_land_at_their_texts_across_batches(minilm: MiniLMEmbedder) -> None:
    texts = [f"invoice number {n} for the {'warehouse' if n % 2 else 'customer'} order" for n in range(150)]
    texts[97] = "Where is the nearest train station?"       # a different length: sorted into another batch
    _, tokens = minilm.embed_with_tokens(texts)
    _, [alone] = minilm.embed_with_tokens([texts[97]])
    assert tokens[97].shape == alone.shape == (3, minilm.dim)          # nearest, train, station
    assert (tokens[97] * alone).sum(axis=1).min() > 0.98
    # in ##vo ##ice number 0 customer order: "in" starts a word here, it is no stop word
    assert len(tokens[0]) == len(tokens[1]) == 7
