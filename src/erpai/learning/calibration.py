"""Confidence for small companies (nearest-neighbour mode), without validation Q&As.

A question's features, from cosines on the frozen embeddings:

* ``s1``: cosine to the closest training question (its answer is the prediction);
* ``margin``: ``s1`` minus the cosine to the closest question of another answer (0 with one answer);
* ``gap``: ``s1`` minus the cosine to the closest *synthetic negative*, a generic out-of-domain question from
  ``data/negatives.jsonl`` shipped with the package (CLINC150 ``oos_train`` plus questions written for
  erpai), and the model's own out-of-scope Q&As.

``confidence = sigmoid(b + w1 * s1 + w2 * margin + w3 * gap)`` estimates the probability that the answer
is right.
The coefficients are fitted per embedder by logistic regression on simulated small companies built from
CLINC150's train / val splits (``bench/small_company.py --fit``) and checked on companies built from its
test split.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np

__all__ = [
    "SMALL_COEFFICIENTS", "SMALL_PARTS", "fit_logistic", "negative_questions", "small_coefficients",
    "small_confidence", "small_features", "small_parts",
]

_NEGATIVES = Path(__file__).parent / "data" / "negatives.jsonl"

#: Part widths of the concatenated embedders (their per-part cosines are separate features: a high
#: character n-gram cosine with a low sentence-encoder cosine is word overlap, not meaning).
SMALL_PARTS: dict[str, tuple[int, ...]] = {
    "minilm-muse-char": (384, 512, 512), "minilm-muse": (384, 512), "muse-char": (512, 512),
}
#: (b, w_cosine(s)..., w_margin, w_gap) per embedder; "" is the fallback (one cosine) for embedders
#: without a fit of their own.
SMALL_COEFFICIENTS: dict[str, tuple[float, ...]] = {
    "": (-4.446, 7.060, 10.356, 2.842),
    "minilm-muse-char": (-4.663, 5.831, 2.282, -1.681, 10.848, 2.328),
}


@lru_cache(maxsize=1)
def negative_questions() -> tuple[str, ...]:
    """The shipped generic out-of-domain questions."""
    with _NEGATIVES.open(encoding="utf-8") as handle:
        return tuple(json.loads(line) for line in handle if line.strip())


def small_parts(embedder: str | None) -> tuple[int, ...]:
    """Part widths used for the features of ``embedder`` (() = one cosine), matching its coefficients."""
    return SMALL_PARTS.get(embedder or "", ()) if (embedder or "") in SMALL_COEFFICIENTS else ()


def small_coefficients(embedder: str | None) -> np.ndarray:
    coef = SMALL_COEFFICIENTS.get(embedder or "", SMALL_COEFFICIENTS[""])
    return np.asarray(coef, dtype=np.float32)


def small_features(
    X: np.ndarray, train: np.ndarray, labels: np.ndarray, negatives: np.ndarray, parts: tuple[int, ...] = ()
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(predicted label, best training row, features) for unit query rows ``X``.

    Features: the cosine to the best training row (one per embedder part when ``parts`` gives the part
    widths of a concatenated embedder, each part's cosine on its own), the margin to the next answer and the
    gap to the closest negative.
    """
    sims = X @ train.T
    best = sims.argmax(axis=1)
    label = labels[best]
    s1 = sims[np.arange(len(sims)), best]
    other = np.where(labels[None, :] != label[:, None], sims, -np.inf).max(axis=1)
    margin = np.where(np.isfinite(other), s1 - other, s1)
    neg = (X @ negatives.T).max(axis=1) if len(negatives) else np.zeros_like(s1)
    cols = [s1] if not parts else _part_cosines(X, train[best], parts)
    feats = np.stack([*cols, margin, s1 - neg], axis=1).astype(np.float32)
    return label.astype(np.int64), best.astype(np.int64), feats


def _part_cosines(a: np.ndarray, b: np.ndarray, parts: tuple[int, ...]) -> list[np.ndarray]:
    out, start = [], 0
    for width in parts:
        x, y = a[:, start:start + width], b[:, start:start + width]
        norms = np.maximum(np.linalg.norm(x, axis=1) * np.linalg.norm(y, axis=1), 1e-12)
        out.append((x * y).sum(axis=1) / norms)
        start += width
    return out


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
