"""Quality figures of a build on labelled questions: the same in ``erpai eval``, build logs and benchmarks.

Inputs per question: the calibrated ``confidence`` of the predicted answer, ``good`` (in scope and the
predicted answer is the expected one) and ``in_scope`` (False for out-of-scope questions). An answer is
given when ``confidence >= threshold``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["SWEEP_THRESHOLDS", "auroc", "ece", "quality_metrics", "threshold_sweep"]

SWEEP_THRESHOLDS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


def _mean(x: np.ndarray) -> float | None:
    return float(x.mean()) if len(x) else None


def ece(confidence: np.ndarray, good: np.ndarray, bins: int = 10) -> float | None:
    """Expected calibration error: |accuracy - mean confidence| per confidence bin, weighted by bin size."""
    if not len(confidence):
        return None
    index = np.minimum((confidence * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        sel = index == b
        if sel.any():
            total += abs(float(good[sel].mean()) - float(confidence[sel].mean())) * float(sel.mean())
    return total


def auroc(confidence: np.ndarray, in_scope: np.ndarray) -> float | None:
    """AUROC of the out-of-scope score (1 - confidence) for telling out-of-scope from in-scope questions."""
    pos, neg = -confidence[~in_scope], -confidence[in_scope]
    if not len(pos) or not len(neg):
        return None
    order = np.concatenate([pos, neg])
    ranks = np.empty(len(order))
    sorter = np.argsort(order, kind="mergesort")
    ranks[sorter] = np.arange(1, len(order) + 1)
    for value in np.unique(order):            # average ranks of ties
        tie = order == value
        if tie.sum() > 1:
            ranks[tie] = ranks[tie].mean()
    return float((ranks[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


def _at(
    confidence: np.ndarray, good: np.ndarray, in_scope: np.ndarray, threshold: float
) -> dict[str, float | None]:
    accepted = confidence >= threshold
    rejected = ~accepted
    recall = _mean(rejected[~in_scope])
    precision = _mean(~in_scope[rejected])
    f1 = (2 * precision * recall / (precision + recall)
          if recall is not None and precision is not None and precision + recall > 0 else None)
    return {"in_scope_accuracy": _mean((good & accepted)[in_scope]), "oos_recall": recall,
            "oos_precision": precision, "oos_f1": f1}


def threshold_sweep(confidence: np.ndarray, good: np.ndarray, in_scope: np.ndarray,
                    thresholds: tuple[float, ...] = SWEEP_THRESHOLDS) -> list[dict[str, float | None]]:
    """In-scope accuracy vs OOS recall (and precision) at each threshold: the admin's trade-off table."""
    return [{"threshold": t, **_at(confidence, good, in_scope, t)} for t in thresholds]


def quality_metrics(confidence: np.ndarray, good: np.ndarray, in_scope: np.ndarray,
                    threshold: float) -> dict[str, object]:
    confidence = np.asarray(confidence, dtype=np.float64)
    good, in_scope = np.asarray(good, dtype=bool), np.asarray(in_scope, dtype=bool)
    out: dict[str, object] = dict(_at(confidence, good, in_scope, threshold))
    out["threshold"] = threshold
    out["auroc"] = auroc(confidence, in_scope)
    out["ece"] = ece(confidence, good)
    out["sweep"] = threshold_sweep(confidence, good, in_scope)
    return out
