"""Simulated small companies (issue 14): 10-30 intents with 1-5 Q&As each and no validation Q&As.

Drawn from a committed CLINC150 sample (tests/quality/data, CC BY 3.0) with fixed seeds and the default
embedder; the test questions are 5 per intent plus as many out-of-scope ones (other intents' test questions
and CLINC ``oos_test``). Floors sit a little under the figures measured on this sample (see
bench/small_company.py for the 50-seed benchmark on full CLINC150), so a regression fails.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from erpai.learning.calibration import negative_questions
from erpai.learning.embedders import DEFAULT_EMBEDDER, get_embedder
from erpai.learning.head import IntentHead
from erpai.learning.metrics import quality_metrics

SAMPLE = Path(__file__).parent / "data" / "clinc150_sample.jsonl"
SEEDS = range(12)
# Measured on this sample: in-scope 0.850, OOS recall 0.888, AUROC 0.948, ECE 0.055 (feature set 4, threshold
# 0.35; at 0.4: 0.837 / 0.911; feature set 3: 0.826 / 0.907 / 0.944 / 0.055; feature set 2: 0.834 / 0.896 /
# 0.943 / 0.054; feature set 1: 0.728 / 0.906 / 0.922 / 0.051). Targets of issue 14 for the full benchmark:
# 0.88 / 0.88 / ECE <= 0.05; the in-scope target is not reached yet, and a per-company ECE of ~0.05 is the
# noise floor of 10 bins over these company sizes even for perfectly calibrated confidences
# (bench/small_company.py prints it as ``ece_floor``).
FLOORS = {"in_scope_accuracy": 0.84, "oos_recall": 0.875, "auroc": 0.94}
ECE_CEILING = 0.065


def _company(
    rng: np.random.Generator, X: np.ndarray, rows: list[dict[str, str | None]], intents: list[str]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    chosen = [intents[i] for i in rng.choice(len(intents), size=int(rng.integers(10, 31)), replace=False)]
    index = {name: i for i, name in enumerate(chosen)}
    train, y, test, yt, oos = [], [], [], [], []
    for i, row in enumerate(rows):
        label = index.get(row["intent"] or "", -1)
        if row["split"] == "train" and label >= 0:
            train.append(i)
            y.append(label)
        elif row["split"] == "test":
            (test if label >= 0 else oos).append(i)
            if label >= 0:
                yt.append(label)
    keep = np.concatenate(
        [np.flatnonzero(np.array(y) == c)[: int(rng.integers(1, 6))] for c in range(len(chosen))]
    )
    picked = rng.choice(oos, size=len(test), replace=False)
    Xt = np.concatenate([X[test], X[picked]])
    return X[np.array(train)[keep]], np.array(y)[keep], Xt, np.array(yt + [-1] * len(picked))


def test_small_companies_without_validation_are_calibrated() -> None:
    rows = [json.loads(line) for line in SAMPLE.read_text(encoding="utf-8").splitlines()]
    embedder = get_embedder(DEFAULT_EMBEDDER)
    X = embedder.embed([str(r["text"]) for r in rows])
    negatives = embedder.embed(list(negative_questions()))
    intents = sorted({str(r["intent"]) for r in rows if r["intent"]})
    figures: dict[str, list[float]] = {}
    for seed in SEEDS:
        Xtr, y, Xt, yt = _company(np.random.default_rng(seed), X, rows, intents)
        head = IntentHead.fit(Xtr, y, embedder=DEFAULT_EMBEDDER, negatives=negatives)
        preds = head.predict(Xt)
        label = np.array([p.label for p in preds])
        m = quality_metrics(
            np.array([p.confidence for p in preds]), (yt >= 0) & (label == yt), yt >= 0, head.threshold
        )
        for key in (*FLOORS, "ece", "oos_precision"):
            figures.setdefault(key, []).append(float(m[key]))  # type: ignore[arg-type]
    mean = {k: float(np.mean(v)) for k, v in figures.items()}
    print(mean)
    for key, floor in FLOORS.items():
        assert mean[key] >= floor, (key, mean)
    assert mean["ece"] <= ECE_CEILING, mean
