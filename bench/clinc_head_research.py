"""Research bench: erpai.learning on CLINC150 (Larson et al. 2019 protocol).

Fits the head on ``train`` only (plus the shipped negatives, as a build does: in trained mode they
teach the reject prototype), calibrates on ``val + oos_val``, reports on ``test + oos_test``; also the
in-scope accuracy at test OOS recall 0.85 (a threshold-free view of the trade-off).
Embeddings are cached under /tmp/clinc_cache/ (``--fresh``
re-embeds the training split to time a cold build).

    .venv/bin/python bench/clinc_head_research.py [--embedder NAME] [--fresh] [--seed N]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from erpai.learning.calibration import negative_questions  # noqa: E402
from erpai.learning.embedders import DEFAULT_EMBEDDER, get_embedder  # noqa: E402
from erpai.learning.head import IntentHead  # noqa: E402

DATA = Path("/work/shared/data/clinc150/data_full.json")
CACHE = Path("/tmp/clinc_cache")
SPLITS = ("train", "val", "test", "oos_val", "oos_test")


def embed_split(name: str, split: str, texts: list[str], fresh: bool) -> tuple[np.ndarray, float]:
    """Embeddings of one split (cached) and the seconds embedding took (when it was done)."""
    path = CACHE / f"{name}_{split}.npy"
    timing = CACHE / f"{name}_{split}.seconds.json"
    if path.exists() and timing.exists() and not fresh:
        return np.load(path), float(json.loads(timing.read_text())["seconds"])
    emb = get_embedder(name)
    emb.embed(texts[:8])                                  # load the model outside the timing
    t0 = time.perf_counter()
    X = emb.embed(texts)
    seconds = time.perf_counter() - t0
    CACHE.mkdir(parents=True, exist_ok=True)
    np.save(path, X)
    timing.write_text(json.dumps({"seconds": seconds, "rows": len(texts)}))
    return X, seconds


def latency(name: str, head: IntentHead, texts: list[str]) -> tuple[float, float]:
    emb = get_embedder(name)
    emb.embed(texts[:2])
    times = []
    for text in texts:
        t0 = time.perf_counter()
        head.predict(emb.embed([text]))
        times.append(time.perf_counter() - t0)
    ms = np.array(times) * 1000
    return float(np.percentile(ms, 50)), float(np.percentile(ms, 95))


def evaluate(head: IntentHead, X: np.ndarray, y: np.ndarray) -> dict[str, float]:
    preds = head.predict(X)
    label = np.array([p.label for p in preds])
    acc = np.array([p.accepted for p in preds])
    ins = y >= 0
    rejected_oos = ~acc[~ins]
    conf = np.array([p.confidence for p in preds])
    at_85 = conf > np.quantile(conf[~ins], 0.85)
    return {
        "in_scope_at_oos_recall_0.85": float(np.mean((label[ins] == y[ins]) & at_85[ins])),
        "in_scope_accuracy": float(np.mean((label[ins] == y[ins]) & acc[ins])),
        "oos_recall": float(np.mean(rejected_oos)),
        "oos_precision": float(rejected_oos.sum() / max(1, (~acc).sum())),
        "closed_accuracy": float(np.mean(label[ins] == y[ins])),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--embedder", default=DEFAULT_EMBEDDER)
    ap.add_argument("--fresh", action="store_true", help="re-embed the train split to time it")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--floor", type=float, default=0.9, help="OOS recall floor on val")
    args = ap.parse_args()
    data = json.loads(DATA.read_text())
    names = sorted({lab for _, lab in data["train"]})
    index = {lab: i for i, lab in enumerate(names)}
    X, ys, embed_s = {}, {}, 0.0
    for split in SPLITS:
        texts = [t for t, _ in data[split]]
        X[split], secs = embed_split(args.embedder, split, texts, args.fresh and split == "train")
        ys[split] = np.array([index.get(lab, -1) for _, lab in data[split]])
        embed_s = secs if split == "train" else embed_s
    negatives, _ = embed_split(args.embedder, "negatives", list(negative_questions()), False)
    t0 = time.perf_counter()
    head = IntentHead.fit(X["train"], ys["train"], seed=args.seed, embedder=args.embedder,
                          negatives=negatives)
    fit_s = time.perf_counter() - t0
    Xv = np.concatenate([X["val"], X["oos_val"]])
    yv = np.concatenate([ys["val"], ys["oos_val"]])
    t0 = time.perf_counter()
    params = head.calibrate(Xv, yv, oos_recall_floor=args.floor)
    cal_s = time.perf_counter() - t0
    Xt = np.concatenate([X["test"], X["oos_test"]])
    yt = np.concatenate([ys["test"], ys["oos_test"]])
    res = evaluate(head, Xt, yt)
    rng = np.random.default_rng(0)
    sample = [data["test"][i][0] for i in rng.choice(len(data["test"]), 200, replace=False)]
    p50, p95 = latency(args.embedder, head, sample)
    size = len(head.to_bytes())
    print(f"embedder {args.embedder}  mode {head.mode}  seed {args.seed}")
    print("calibration:", {k: round(v, 4) for k, v in params.items()})
    for key, val in res.items():
        print(f"{key:28s} {val * 100:6.2f}")
    print(f"embed train seconds  {embed_s:6.1f}  (15,000 rows)")
    print(f"fit seconds          {fit_s:6.2f}")
    print(f"calibrate seconds    {cal_s:6.2f}")
    print(f"cold build seconds   {embed_s + fit_s + cal_s:6.1f}")
    print(f"ask latency ms       p50 {p50:.1f}  p95 {p95:.1f}")
    print(f"head bytes           {size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
