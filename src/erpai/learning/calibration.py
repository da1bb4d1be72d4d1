"""Confidence for small companies (nearest-neighbour mode), without validation Q&As.

The answer is the class with the highest *score*: its closest training question's cosine plus its
prototype's cosine (the normalised mean of its training questions). Cosines are per encoder part of a
concatenated embedder (``parts``), weighted (``PART_WEIGHTS``: the character n-grams count less, they
measure word overlap, not meaning) and averaged.

A question's features (feature set 2):

* per part: the cosine to the closest training question of the answer, the cosine to the answer's
  prototype, and the gap between that closest cosine and the closest *synthetic negative* (generic
  out-of-domain questions from ``data/negatives.jsonl`` shipped with the package, CLINC150 ``oos_train``
  plus questions written for erpai, and the model's own out-of-scope Q&As);
* on the weighted cosines: the score margin to the next answer and the gap to the closest negative;
* the log of the number of answers and of the answer's training questions (more answers, more chances
  that a near miss wins).

Feature set 3 (builds before set 4 of the embedders in ``CENTRED_COEFFICIENTS`` with at least
``CENTRED_MIN_ANSWERS`` answers, the range it was fitted on) computes the same features
after centring each part on the company: the mean of its training questions is subtracted from them, from
the question and from the negatives, and the rows re-normalised. What all of a company's questions share
(phrasing, domain) then no longer counts as similarity; what tells its answers apart does (50 simulated
companies: in-scope 0.854 -> 0.856, OOS recall 0.894 -> 0.905, AUROC 0.952 -> 0.954, closed-set accuracy
0.936 -> 0.943).

Feature set 4 (``FEATURES``; new builds of the embedders in ``COMBINED_COEFFICIENTS`` with at least
``CENTRED_MIN_ANSWERS`` answers) is set 3 followed by set 2's per-part cosines, margin and gaps *for the same
answer* (not centred): centring sharpens what tells a company's answers apart, the plain cosines still say how
close the question is to the answer at all (50 simulated companies: in-scope 0.856 -> 0.862, OOS recall
0.905 -> 0.906 at threshold 0.4, AUROC 0.954 -> 0.957, ECE 0.059 -> 0.055; its own threshold
``COMBINED_THRESHOLDS``, 0.35: 0.875 / 0.891). Token-level late interaction (MaxSim over MiniLM's
token vectors, ``bench/late_interaction.py``) and per-part margins or agreement added nothing to it.

``confidence = sigmoid(b + w . features)`` estimates the probability that the answer is right. The
coefficients are fitted per embedder by logistic regression on simulated small companies built from
CLINC150's train / val splits (``bench/small_company.py --fit``) and checked on companies built from its
test split. Questions that do not look English (:func:`looks_english`) are scored without an embedder's
English-only first part (MiniLM), with the coefficients of the remaining parts (``OTHER_LANGUAGE``).
A build keeps the feature set and coefficients it was made with (``FEATURES = 1``: one cosine per part,
nearest-neighbour margin, gap; 2, 3 and 4 as above).

An answer's own text, when of question-like length (:func:`knowledge_text`), is one more row of its answer
(``IntentHead.fit(knowledge=...)``; the compile pipeline does so with the built-in encoders): "Do new
customers have to pay upfront?" is answered by "...; new customers pay in advance" although no training
question mentions new customers.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

__all__ = [
    "CENTRED_COEFFICIENTS",
    "CENTRED_MIN_ANSWERS",
    "COMBINED_COEFFICIENTS",
    "COMBINED_THRESHOLDS",
    "FEATURES",
    "OTHER_LANGUAGE",
    "PART_WEIGHTS",
    "SMALL_COEFFICIENTS",
    "SMALL_PARTS",
    "SMALL_THRESHOLDS",
    "CompanySpace",
    "company_space",
    "fit_logistic",
    "knowledge_text",
    "looks_english",
    "negative_questions",
    "small_coefficients",
    "small_confidence",
    "small_feature_set",
    "small_features",
    "small_parts",
    "small_threshold",
]

_NEGATIVES = Path(__file__).parent / "data" / "negatives.jsonl"
#: Version of the feature set that :func:`small_features` computes for new builds.
FEATURES = 4

#: Part widths of the concatenated embedders (their per-part cosines are separate features: a high
#: character n-gram cosine with a low sentence-encoder cosine is word overlap, not meaning).
SMALL_PARTS: dict[str, tuple[int, ...]] = {
    "minilm8-muse-char": (384, 512, 512), "minilm-muse-char": (384, 512, 512), "minilm-muse": (384, 512),
    "muse-char": (512, 512),
}
#: Weight of each part in the answer's score (same order as SMALL_PARTS); missing: all 1.
PART_WEIGHTS: dict[str, tuple[float, ...]] = {
    "minilm8-muse-char": (1.0, 1.0, 0.3), "minilm-muse-char": (1.0, 1.0, 0.3), "muse-char": (1.0, 0.3)}
#: Feature-set-2 coefficients (b, w...) per embedder; "" is the fallback (one part) for embedders without
#: a fit of their own.
SMALL_COEFFICIENTS: dict[str, tuple[float, ...]] = {
    "": (-2.276, -9.759, 5.629, 1.854, 1.854, 16.633, -0.413, -1.031),
    "minilm8-muse-char": (-2.404, -3.585, -7.904, 1.520, 5.344, 0.128, 0.435, 4.464, -0.937, 9.762, 7.189,
                          -0.255, -0.367, -1.031),
    "minilm-muse-char": (-2.415, -3.591, -7.825, 1.459, 5.349, 0.333, 0.143, 4.383, -0.859, 9.910, 7.091,
                         -0.338, -0.365, -1.022),
    "muse-char": (-2.097, -10.755, 0.298, 5.725, -3.113, 8.609, 0.571, 14.671, 0.675, -0.394, -0.923),
}
#: Feature-set-3 coefficients (centred on the company's questions), for companies of at least
#: CENTRED_MIN_ANSWERS answers: the range they were fitted on. With fewer answers the mean says little
#: about a domain (one answer: nothing is left after centring), and feature set 2 does better
#: (2-9 answers: in-scope 0.928 / OOS recall 0.916 vs 0.912 / 0.912 centred).
CENTRED_COEFFICIENTS: dict[str, tuple[float, ...]] = {
    "minilm8-muse-char": (-1.726, -3.763, -3.982, 0.753, 3.621, 1.195, 1.028, 1.986, -0.145, 9.446, 5.089,
                          -0.050, -0.547, -0.627),
    "minilm-muse-char": (-1.744, -3.388, -4.197, 0.726, 3.578, 1.181, 0.848, 2.050, -0.143, 9.336, 5.167,
                         -0.050, -0.551, -0.618),
    "muse-char": (-1.377, -6.241, 0.127, 3.681, 0.894, 3.171, 0.418, 11.856, 0.582, -0.591, -0.489),
}
CENTRED_MIN_ANSWERS = 10
#: Feature-set-4 coefficients (set 3 followed by set 2's per-part cosines and gaps for the same answer),
#: for companies of at least CENTRED_MIN_ANSWERS answers.
COMBINED_COEFFICIENTS: dict[str, tuple[float, ...]] = {
    "minilm8-muse-char": (-1.889, 1.516, 12.409, -0.980, 3.343, -1.426, 3.579, -5.340, 3.391, 0.784, -4.632,
                          2.014, -0.504, -0.875, -5.290, -20.037, 1.986, 0.110, 2.600, -2.956, 8.630, -3.912,
                          9.591, 13.462, -2.115),
    "minilm-muse-char": (-1.888, 2.993, 11.556, -1.286, 3.289, -2.209, 3.844, -4.925, 3.554, 0.061, -4.252,
                         2.224, -0.510, -0.858, -6.693, -19.177, 2.270, 0.110, 3.446, -3.359, 8.243, -4.059,
                         10.386, 12.999, -2.345),
    "muse-char": (-1.409, 10.303, -1.587, 3.388, 6.819, -8.370, 2.148, -0.889, 0.692, -0.562, -0.745, -20.531,
                  1.688, 0.140, -8.124, 14.981, -1.428, 17.017, 0.019),
}
#: Confidence threshold per embedder: the one maximising the mean of in-scope accuracy and OOS recall on
#: the fitting companies (answers a little more readily than 0.5).
SMALL_THRESHOLDS: dict[str, float] = {
    "": 0.4, "minilm8-muse-char": 0.4, "minilm-muse-char": 0.4, "muse-char": 0.4}
#: The same for feature set 4 (its fit's choice: in-scope 0.875 / OOS recall 0.891 on the test companies at
#: 0.35, 0.862 / 0.906 at 0.4; about the same mean).
COMBINED_THRESHOLDS: dict[str, float] = {
    "minilm8-muse-char": 0.35, "minilm-muse-char": 0.35, "muse-char": 0.4}
#: Embedders whose first part is English only (MiniLM): questions in another language are scored without it,
#: with the coefficients of the embedder named here (fitted on the remaining parts).
OTHER_LANGUAGE: dict[str, str] = {"minilm8-muse-char": "muse-char", "minilm-muse-char": "muse-char"}
_ENGLISH = frozenset(
    [
        "the", "what", "how", "do", "does", "did", "you", "your", "is", "are", "can", "where", "when",
        "who", "which", "why", "my", "our", "we", "of", "to", "for", "with", "and", "have", "has",
        "should", "would", "could", "there", "this", "that", "it", "i", "me", "be", "will"
    ]
)
_WORDS = re.compile(r"[^\W\d_]+")
@lru_cache(maxsize=1)
def negative_questions() -> tuple[str, ...]:
    """The shipped generic out-of-domain questions."""
    with _NEGATIVES.open(encoding="utf-8") as handle:
        return tuple(json.loads(line) for line in handle if line.strip())


#: Answers of this many words count as knowledge rows of their answer (``IntentHead.fit(knowledge=...)``):
#: shorter ones ("Yes.") say too little, longer ones blur into their topic.
KNOWLEDGE_WORDS = (4, 60)


def knowledge_text(answer: str) -> bool:
    """Whether an answer's own text is used as one more question of that answer."""
    return KNOWLEDGE_WORDS[0] <= len(answer.split()) <= KNOWLEDGE_WORDS[1]


def _key(embedder: str | None) -> str:
    return embedder if embedder in SMALL_COEFFICIENTS else ""


def small_parts(embedder: str | None) -> tuple[int, ...]:
    """Part widths used for the features of ``embedder`` (() = one part), matching its coefficients."""
    return SMALL_PARTS.get(_key(embedder), ())


def small_coefficients(embedder: str | None, features: int = 2) -> np.ndarray:
    """The coefficients of ``embedder`` for feature set ``features`` (2-4: :func:`small_feature_set`)."""
    table = {3: CENTRED_COEFFICIENTS, 4: COMBINED_COEFFICIENTS}.get(features, SMALL_COEFFICIENTS)
    return np.asarray(table[_key(embedder)], dtype=np.float32)


def small_feature_set(embedder: str | None, answers: int) -> int:
    """The feature set for a new build of ``embedder`` with ``answers`` answers: 4 where fitted, else 2."""
    return FEATURES if embedder in COMBINED_COEFFICIENTS and answers >= CENTRED_MIN_ANSWERS else 2


def small_threshold(embedder: str | None, features: int = 2) -> float:
    """The confidence threshold of a new build of ``embedder`` with feature set ``features``."""
    if features >= 4 and embedder in COMBINED_THRESHOLDS:
        return COMBINED_THRESHOLDS[embedder]
    return SMALL_THRESHOLDS[_key(embedder)]


def looks_english(texts: Sequence[str]) -> np.ndarray:
    """True for texts written in English as far as a few words tell: an English function word, or nothing
    but ASCII letters and no word of another language's (mostly numbers, names, codes: English by default)."""
    out = []
    for text in texts:
        words = _WORDS.findall(text.lower())
        out.append(any(w in _ENGLISH for w in words) or (all(w.isascii() for w in words)
                                                         and not any(w in _FOREIGN for w in words)))
    return np.array(out, dtype=bool)


_FOREIGN = frozenset(
    [
        "der", "die", "das", "ist", "wie", "wer", "was", "wann", "wo", "warum", "ich", "du", "wir",
        "ihr", "sie", "und", "nicht", "ein", "eine", "einen", "mein", "unser", "gibt", "es", "le", "la",
        "les", "est", "qui", "quel", "quelle", "comment", "pourquoi", "je", "nous", "vous", "et", "ne",
        "pas", "une", "des", "du", "el", "los", "las", "es", "quién", "qué", "cómo", "cuándo", "dónde",
        "por", "yo", "tengo", "hay", "una", "il", "che", "chi", "come", "quando", "dove", "perché",
        "sono"
    ]
)


def _weights(parts: tuple[int, ...]) -> np.ndarray:
    for name, widths in SMALL_PARTS.items():
        if widths == parts and name in PART_WEIGHTS:
            return np.asarray(PART_WEIGHTS[name], dtype=np.float32)
    return np.ones(max(1, len(parts)), dtype=np.float32)


def _unit(x: np.ndarray) -> np.ndarray:
    out: np.ndarray = x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)
    return out


def _split(x: np.ndarray, parts: tuple[int, ...]) -> list[np.ndarray]:
    """Each part's block, re-normalised (one block, as is, without parts)."""
    if not parts:
        return [x]
    edges = np.cumsum((0, *parts))
    return [_unit(x[:, a:b]) for a, b in itertools.pairwise(edges)]


@dataclass(frozen=True)
class CompanySpace:
    """A company's training rows and negatives as :func:`small_features` compares with them (per part; centred
    for feature set 3), with its answers' prototypes: prepared once per build, not per question."""

    labels: np.ndarray
    train: list[np.ndarray]
    negatives: list[np.ndarray]
    protos: list[np.ndarray]
    means: list[np.ndarray] | None
    parts: tuple[int, ...]
    order: np.ndarray           # the rows sorted by answer (stable)
    starts: np.ndarray          # where each answer's rows start in ``order``

    def best_per_answer(self, sims: np.ndarray) -> np.ndarray:
        """(m, k): each answer's highest value in ``sims`` (m, n), over its rows."""
        if len(self.starts) and (np.diff(np.append(self.starts, len(self.order))) > 0).all():
            found: np.ndarray = np.maximum.reduceat(sims[:, self.order], self.starts, axis=1)
            return found
        onehot = self.labels[None, :] == np.arange(len(self.starts))[:, None]   # an answer without rows
        return np.stack([np.where(c, sims, -np.inf).max(axis=1) for c in onehot], axis=1)


def company_space(train: np.ndarray, labels: np.ndarray, negatives: np.ndarray, parts: tuple[int, ...] = (),
                  version: int = FEATURES) -> CompanySpace:
    """Feature set 3 shifts each part by the mean of the company's training questions and re-normalises: what
    all of its questions share (phrasing, domain) then no longer counts as similarity; what tells its answers
    apart does."""
    k = int(labels.max()) + 1
    onehot = labels[None, :] == np.arange(k)[:, None]                       # (k, n)
    t, n = _split(train, parts), _split(negatives, parts)
    means = [block.mean(axis=0) for block in t] if version >= 3 else None
    if means is not None:
        t, n = ([_unit(b - m) for b, m in zip(blocks, means, strict=True)] for blocks in (t, n))
    protos = [_unit((onehot @ b) / onehot.sum(axis=1)[:, None]) for b in t]
    order = np.argsort(labels, kind="stable")
    starts = np.searchsorted(labels[order], np.arange(k))
    return CompanySpace(labels, t, n, protos, means, parts, order, starts)


def small_features(
    X: np.ndarray, train: np.ndarray, labels: np.ndarray, negatives: np.ndarray,
    parts: tuple[int, ...] = (), version: int = FEATURES, space: CompanySpace | None = None,
    plain: CompanySpace | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(predicted label, closest training row of that answer, features) for unit query rows ``X``;
    ``space``: :func:`company_space` of the same arguments, prepared before; ``plain`` (feature set 4): that
    of feature set 2 (not centred)."""
    if version == 1:
        return _features_v1(X, train, labels, negatives, parts)
    space = space or company_space(train, labels, negatives, parts, version)
    label, best, cols = _answer_features(X, space)
    if version >= 4:        # the same answer's features in the space not centred (without the two counts)
        plain = plain or company_space(train, labels, negatives, parts, 2)
        cols = np.hstack([cols, _answer_features(X, plain, label)[2][:, :-2]])
    return label, best, cols


def _answer_features(X: np.ndarray, space: CompanySpace, label: np.ndarray | None = None
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(label, closest row of that answer, features) in ``space``; the best-scored answer unless ``label``."""
    parts = space.parts
    k = len(space.protos[0])
    rows = np.arange(len(X))
    onehot = space.labels[None, :] == np.arange(k)[:, None]                 # (k, n)
    counts = onehot.sum(axis=1)
    w = _weights(parts)
    q = _split(X, parts)
    if space.means is not None:
        q = [_unit(a - m) for a, m in zip(q, space.means, strict=True)]
    sims = [a @ b.T for a, b in zip(q, space.train, strict=True)]            # per part: (m, n)
    protos = [a @ b.T for a, b in zip(q, space.protos, strict=True)]         # per part: (m, k)
    mix = _mix(sims, w)
    best_row = space.best_per_answer(mix)                                    # (m, k)
    score = best_row + _mix(protos, w)
    label = score.argmax(axis=1) if label is None else label
    # one answer: as if one more at 0
    margin = (score[rows, label] - np.where(np.arange(k) == label[:, None], -np.inf, score).max(axis=1)
              if k > 1 else best_row[:, 0])
    best = np.where(onehot[label], mix, -np.inf).argmax(axis=1)
    closest = [s[rows, best] for s in sims]
    # cosines to the negatives; without negatives, gaps of 0 (each question its own negative)
    negs = [a @ b.T for a, b in zip(q, space.negatives, strict=True)] if len(space.negatives[0]) else [
        c[:, None] for c in closest]
    gaps = [c - s.max(axis=1) for c, s in zip(closest, negs, strict=True)]
    cols = [*closest, margin, best_row[rows, label] - _mix(negs, w).max(axis=1), *gaps,
            *(p[rows, label] for p in protos), np.full(len(X), np.log(k)), np.log(counts[label])]
    return label.astype(np.int64), best.astype(np.int64), np.stack(cols, axis=1).astype(np.float32)


def _mix(blocks: list[np.ndarray], weights: np.ndarray) -> np.ndarray:
    out: np.ndarray = sum(w * b for w, b in zip(weights, blocks, strict=True)) / weights.sum()
    return out


def _features_v1(
    X: np.ndarray, train: np.ndarray, labels: np.ndarray, negatives: np.ndarray, parts: tuple[int, ...]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Feature set 1: the closest training row decides; its cosine (per part), margin and gap."""
    sims = X @ train.T
    best = sims.argmax(axis=1)
    label = labels[best]
    s1 = sims[np.arange(len(sims)), best]
    other = np.where(labels[None, :] != label[:, None], sims, -np.inf).max(axis=1)
    margin = np.where(np.isfinite(other), s1 - other, s1)
    neg = (X @ negatives.T).max(axis=1) if len(negatives) else np.zeros_like(s1)
    pairs = zip(_split(X, parts), _split(train[best], parts), strict=True)
    cols = [s1] if not parts else [(a * b).sum(axis=1) for a, b in pairs]
    feats = np.stack([*cols, margin, s1 - neg], axis=1).astype(np.float32)
    return label.astype(np.int64), best.astype(np.int64), feats


def small_confidence(feats: np.ndarray, coef: np.ndarray) -> np.ndarray:
    z = coef[0] + feats @ coef[1:]
    out: np.ndarray = (1.0 / (1.0 + np.exp(-np.clip(z, -50.0, 50.0)))).astype(np.float32)
    return out


def fit_logistic(feats: np.ndarray, good: np.ndarray, l2: float = 1e-3) -> np.ndarray:
    """Logistic regression by Newton's method: (b, w...) for P(good | feats)."""
    x = np.hstack([np.ones((len(feats), 1)), feats.astype(np.float64)])
    t = good.astype(np.float64)
    w = np.zeros(x.shape[1])
    reg = l2 * np.eye(x.shape[1])
    reg[0, 0] = 0.0
    for _ in range(100):
        p = 1.0 / (1.0 + np.exp(-np.clip(x @ w, -50, 50)))
        grad = x.T @ (p - t) + reg @ w
        hess = (x * (p * (1 - p))[:, None]).T @ x + reg
        step = np.linalg.solve(hess + 1e-9 * np.eye(len(w)), grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w.astype(np.float32)
