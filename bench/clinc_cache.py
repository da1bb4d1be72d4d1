"""CLINC150 embedded once per embedder and cached on disk (``ERPAI_BENCH_CACHE``, default /tmp/erpai-bench).

    from clinc_cache import load_embedded
    data = load_embedded("minilm-muse-char")   # {"train": (X, labels), "val": ..., "test": ..., "oos_*": ...}
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from clinc_data import DATA
from erpai.learning.embedders import MiniLMEmbedder, get_embedder

SPLITS = ("train", "val", "test", "oos_train", "oos_val", "oos_test")


def cache_dir() -> Path:
    return Path(os.environ.get("ERPAI_BENCH_CACHE", "/tmp/erpai-bench"))


def load_texts() -> dict[str, tuple[list[str], list[str]]]:
    """split -> (texts, labels), straight from CLINC150's JSON."""
    data = json.loads(DATA.read_text(encoding="utf-8"))
    return {s: ([t for t, _ in data[s]], [lab for _, lab in data[s]]) for s in SPLITS}


def load_embedded(embedder: str) -> dict[str, tuple[np.ndarray, list[str], list[str]]]:
    """split -> (float32 unit rows, texts, labels)."""
    data = load_texts()
    path = cache_dir() / f"clinc150-{embedder}.npz"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        model = get_embedder(embedder)
        arrays = {s: model.embed(data[s][0]).astype(np.float16) for s in SPLITS}
        tmp = path.with_suffix(".tmp.npz")
        np.savez(tmp, **arrays)
        tmp.replace(path)
    with np.load(path) as z:
        return {s: (z[s].astype(np.float32), *data[s]) for s in SPLITS}


def load_tokens() -> dict[str, list[np.ndarray]]:
    """split -> each question's MiniLM content token vectors (float32 unit rows), for late interaction."""
    data = load_texts()
    path = cache_dir() / "clinc150-minilm-tokens.npz"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        model = MiniLMEmbedder()
        arrays = {}
        for s in SPLITS:
            _, tokens = model.embed_with_tokens(data[s][0])
            arrays[s] = np.concatenate(tokens).astype(np.float16)
            arrays[f"{s}_ends"] = np.cumsum([len(t) for t in tokens])
        tmp = path.with_suffix(".tmp.npz")
        np.savez(tmp, **arrays)
        tmp.replace(path)
    with np.load(path) as z:
        return {s: np.split(z[s].astype(np.float32), z[f"{s}_ends"][:-1]) for s in SPLITS}


if __name__ == "__main__":
    for name in sys.argv[1:] or ["minilm-muse-char"]:
        out = load_embedded(name)
        print(name, {s: v[0].shape for s, v in out.items()})
