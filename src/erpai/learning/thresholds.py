"""Choosing a build's threshold from validation scores, and Platt scaling of the trained mode's score."""

from __future__ import annotations

import numpy as np

from erpai.learning.calibration import fit_logistic

__all__ = ["DEFAULT_TEMPERATURE", "choose_threshold", "platt"]

#: Temperature of the trained mode's logistic curve when no validation set fits one.
DEFAULT_TEMPERATURE = 0.04


def choose_threshold(score: np.ndarray, good: np.ndarray, ins: np.ndarray,
                      floor: float) -> float | None:
    n_in, n_out = int(ins.sum()), int((~ins).sum())
    if n_in >= 20 and n_out >= 20:
        return float(np.quantile(score[~ins], floor))
    if n_in >= 3 and n_out >= 3:
        cands = np.unique(score)
        mids = np.concatenate([cands[:1] - 1e-3, (cands[1:] + cands[:-1]) / 2, cands[-1:] + 1e-3])
        acc = [(np.mean(good[ins] & (score[ins] >= t)) + np.mean(score[~ins] < t)) / 2 for t in mids]
        best = np.flatnonzero(np.isclose(acc, np.max(acc)))
        return float(np.median(mids[best]))
    if n_in >= 5 and n_out == 0 and good.any():
        return float(np.quantile(score[good], 0.1))
    return None


def platt(score: np.ndarray, good: np.ndarray, raw: float) -> tuple[float, float]:
    """Fit P(good | score) = sigmoid(a * score + b) (logistic regression on the standardised score, which
    Newton's method solves from zero without overshooting); returns (centre, temperature)."""
    x = score.astype(np.float64)
    mean, std = float(x.mean()), float(x.std())
    if not std > 0:
        return raw, DEFAULT_TEMPERATURE
    b, w = (float(v) for v in fit_logistic(((x - mean) / std)[:, None], good))
    a = w / std
    if not np.isfinite(a) or a <= 1.0:
        return raw, DEFAULT_TEMPERATURE
    return float(mean - b / a), float(1.0 / a)
