"""Simulated small companies from CLINC150: confidence without validation Q&As (issue 14).

    .venv/bin/python bench/small_company.py [--seeds 50] [--embedder minilm8-muse-char (the default)]
    .venv/bin/python bench/small_company.py --fit [--features 2|3]   # refit the raw-mode confidence
                                          # coefficients and threshold of feature set FEATURES (4), or 2 or 3
                                          # (and, for an embedder in OTHER_LANGUAGE, those without part 0)

Small companies: 10-30 random intents, 1-5 Q&As each from CLINC's train split, no validation; test = 5
questions per intent from the test split, as many out-of-scope questions (half other intents' test
questions, half ``oos_test``). "Chatbot traffic": few Q&As per intent, no out-of-scope training rows,
40-70 % OOS in the test. ``--fit`` fits the coefficients on companies drawn from train + val / ``oos_val``
(never the test split). Embeddings are cached on disk (bench/clinc_cache.py).
Targets: in-scope >= 0.88, OOS recall >= 0.88, ECE <= 0.05.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from clinc_cache import cache_dir, load_embedded, load_texts
from erpai.learning.calibration import (
    FEATURES,
    OTHER_LANGUAGE,
    SMALL_PARTS,
    fit_logistic,
    negative_questions,
    small_confidence,
    small_features,
)
from erpai.learning.embedders import DEFAULT_EMBEDDER, get_embedder
from erpai.learning.head import IntentHead
from erpai.learning.metrics import ece, quality_metrics

Split = tuple[np.ndarray, np.ndarray]  # (unit rows, int labels; -1 = out of scope)


@dataclass
class Pools:
    train: dict[int, np.ndarray]
    test: dict[int, np.ndarray]
    oos: np.ndarray
    intents: int


def pools(embedder: str, held: str) -> Pools:
    return pools_of(load_embedded(embedder), held)


def text_pools(held: str) -> Pools:
    """The same pools with each question's text as its row: ``company`` makes the same random draws (they
    depend on pool sizes only), so it returns the very questions the embedded pools give, as texts."""
    data = load_texts()
    return pools_of({s: (np.array(texts), texts, labels) for s, (texts, labels) in data.items()}, held)


def pools_of(data: dict[str, tuple[np.ndarray, list[str], list[str]]], held: str) -> Pools:
    names = sorted(set(data["train"][2]))
    index = {n: i for i, n in enumerate(names)}

    def group(split: str) -> dict[int, np.ndarray]:
        X, _, labels = data[split]
        y = np.array([index[lab] for lab in labels])
        return {c: X[y == c] for c in range(len(names))}

    return Pools(group("train"), group(held), data[f"oos_{held}"][0], len(names))


def embedded_negatives(embedder: str) -> np.ndarray:
    path = cache_dir() / f"negatives-{embedder}.npy"
    texts = list(negative_questions())
    if path.exists():
        cached = np.load(path)
        if len(cached) == len(texts):
            return cached
    out = get_embedder(embedder).embed(texts)
    np.save(path, out)
    return out


def company(p: Pools, rng: np.random.Generator, *, intents: int, per: tuple[int, int],
            test_per: int, oos_share: float) -> tuple[Split, Split]:
    chosen = rng.choice(p.intents, size=intents, replace=False)
    xs, ys, tx, ty = [], [], [], []
    for label, c in enumerate(chosen):
        rows = p.train[c][rng.choice(len(p.train[c]), size=rng.integers(per[0], per[1] + 1), replace=False)]
        xs.append(rows)
        ys += [label] * len(rows)
        tx.append(p.test[c][rng.choice(len(p.test[c]), size=test_per, replace=False)])
        ty += [label] * test_per
    n_in = len(ty)
    n_oos = round(n_in * oos_share / (1 - oos_share))
    others = np.setdiff1d(np.arange(p.intents), chosen)
    other_rows = np.concatenate([p.test[c] for c in others])
    half = n_oos // 2
    oos = np.concatenate([other_rows[rng.choice(len(other_rows), size=n_oos - half, replace=False)],
                          p.oos[rng.choice(len(p.oos), size=min(half, len(p.oos)), replace=False)]])
    train = (np.concatenate(xs), np.array(ys))
    test = (np.concatenate([*tx, oos]), np.array(ty + [-1] * len(oos)))
    return train, test


KEYS = ("in_scope_accuracy", "oos_recall", "oos_precision", "oos_f1", "auroc", "ece")


def run(p: Pools, negs: np.ndarray, embedder: str, seeds: range,
        shape: Callable[[int], dict[str, Any]]) -> dict[str, float]:
    """Mean of the per-company figures, plus ECE over all companies' questions pooled (``ece_pooled``) and
    ``ece_floor``: the mean per-company ECE that perfectly calibrated confidences would show (outcomes drawn
    as Bernoulli(confidence); 10 bins over 100-300 questions leave that much noise)."""
    rows, confs, goods, floors = [], [], [], []
    draw = np.random.default_rng(0)
    for seed in seeds:
        (X, y), (Xt, yt) = company(p, np.random.default_rng(seed), **shape(seed))
        head = IntentHead.fit(X, y, embedder=embedder, negatives=negs, seed=seed)
        preds = head.predict(Xt)
        label = np.array([q.label for q in preds])
        confs.append(np.array([q.confidence for q in preds]))
        goods.append((yt >= 0) & (label == yt))
        m = quality_metrics(confs[-1], goods[-1], yt >= 0, head.threshold)
        rows.append({k: float(m[k]) for k in KEYS if m[k] is not None})  # type: ignore[arg-type]
        floors += [ece(confs[-1], draw.random(len(confs[-1])) < confs[-1]) or 0.0 for _ in range(10)]
    out = {k: float(np.mean([r[k] for r in rows])) for k in rows[0]}
    out["ece_pooled"] = float(ece(np.concatenate(confs), np.concatenate(goods)) or 0.0)
    out["ece_floor"] = float(np.mean(floors))
    return out


def fit(p: Pools, negs: np.ndarray, seeds: range, parts: tuple[int, ...],
        version: int = FEATURES) -> tuple[np.ndarray, float]:
    """Coefficients of feature set ``version``, and the threshold maximising the mean of in-scope accuracy
    and OOS recall."""
    feats, goods, ins = [], [], []
    for seed in seeds:
        (X, y), (Xt, yt) = company(p, np.random.default_rng(seed), intents=int(10 + seed % 21), per=(1, 5),
                                   test_per=5, oos_share=0.5)
        label, _, f = small_features(Xt, X, y, negs, parts, version)
        feats.append(f)
        goods.append((yt >= 0) & (label == yt))
        ins.append(yt >= 0)
    coef = fit_logistic(np.concatenate(feats), np.concatenate(goods))
    conf = [small_confidence(f, coef) for f in feats]
    grid = np.round(np.arange(0.25, 0.61, 0.05), 2)
    balanced = [np.mean([(np.mean(g[i] & (c[i] >= t)) + np.mean(c[~i] < t)) / 2
                         for c, g, i in zip(conf, goods, ins, strict=True)]) for t in grid]
    return coef, float(grid[int(np.argmax(balanced))])


TABLES = {2: "SMALL_COEFFICIENTS", 3: "CENTRED_COEFFICIENTS", 4: "COMBINED_COEFFICIENTS"}
SMALL = {"intents": 0, "per": (1, 5), "test_per": 5, "oos_share": 0.5}
TRAFFIC = {
    "A: 20 intents x 1-3 Q&As, 40% OOS": {"intents": 20, "per": (1, 3), "test_per": 10, "oos_share": 0.4},
    "B: 60 intents x 2-4 Q&As, 55% OOS": {"intents": 60, "per": (2, 4), "test_per": 10, "oos_share": 0.55},
    "C: 40 intents x 3-6 Q&As, 70% OOS": {"intents": 40, "per": (3, 6), "test_per": 10, "oos_share": 0.7},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--embedder", default=DEFAULT_EMBEDDER)
    parser.add_argument("--seeds", type=int, default=50)
    parser.add_argument("--fit", action="store_true")
    parser.add_argument("--features", type=int, default=FEATURES, choices=(2, 3, 4), help="set to --fit")
    parser.add_argument("--traffic", action="store_true", help="also run the chatbot-traffic sets")
    args = parser.parse_args()
    negs = embedded_negatives(args.embedder)
    if args.fit:
        table = TABLES[args.features]
        thresholds = "COMBINED_THRESHOLDS" if args.features >= 4 else "SMALL_THRESHOLDS"
        coef, threshold = fit(pools(args.embedder, "val"), negs, range(1000, 1000 + 4 * args.seeds),
                              SMALL_PARTS.get(args.embedder, ()), args.features)
        print(f'{table} "{args.embedder}": ({", ".join(f"{c:.3f}" for c in coef)}),')
        print(f'{thresholds} "{args.embedder}": {threshold}')
        if args.embedder in OTHER_LANGUAGE:     # the same companies without the English-only first part
            cut = SMALL_PARTS[args.embedder][0]
            sliced = pools(args.embedder, "val")
            sliced.train = {c: x[:, cut:] for c, x in sliced.train.items()}
            sliced.test = {c: x[:, cut:] for c, x in sliced.test.items()}
            sliced.oos = sliced.oos[:, cut:]
            coef, threshold = fit(sliced, negs[:, cut:], range(1000, 1000 + 4 * args.seeds),
                                  SMALL_PARTS[args.embedder][1:], args.features)
            other = OTHER_LANGUAGE[args.embedder]
            print(f'{table} "{other}": ({", ".join(f"{c:.3f}" for c in coef)}),')
            print(f'{thresholds} "{other}": {threshold}')
        return
    p = pools(args.embedder, "test")
    mean = run(p, negs, args.embedder, range(args.seeds),
               lambda seed: dict(SMALL, intents=int(np.random.default_rng(10_000 + seed).integers(10, 31))))
    print(f"small companies ({args.seeds} seeds, {args.embedder}): "
          + "  ".join(f"{k} {v:.4f}" for k, v in mean.items()))
    tiny = run(p, negs, args.embedder, range(args.seeds),
               lambda seed: dict(SMALL, intents=int(2 + seed % 8)))
    print("tiny companies (2-9 intents, feature set 2): "
          + "  ".join(f"{k} {v:.4f}" for k, v in tiny.items()))
    if args.traffic:
        for name, shape in TRAFFIC.items():
            m = run(p, negs, args.embedder, range(3), lambda _seed, s=shape: s)
            print(f"traffic {name}: " + "  ".join(f"{k} {v:.4f}" for k, v in m.items()))


if __name__ == "__main__":
    main()
