"""CLINC150 (Larson et al. 2019, CC BY 3.0) as erpai eval JSONL: train → TRAIN, val + oos_val → VAL,
test + oos_test → TEST. Out-of-scope rows get ``"answer": null``."""

from __future__ import annotations

import json
import os
from pathlib import Path

DATA = Path(os.environ.get(
    "ERPAI_CLINC150",
    Path(__file__).resolve().parents[1].parent / "shared" / "data" / "clinc150" / "data_full.json",
))


def _write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8") as handle:
        for text, label in rows:
            handle.write(json.dumps({"question": text, "answer": None if label == "oos" else label}) + "\n")
    return path


def write_splits(directory: Path, data_path: Path = DATA) -> dict[str, Path]:
    if not data_path.exists():
        raise SystemExit(
            f"CLINC150 not found at {data_path}: it lives in ../shared/data/clinc150 beside the repo"
        )
    data = json.loads(data_path.read_text(encoding="utf-8"))
    directory.mkdir(parents=True, exist_ok=True)
    return {
        "train": _write(directory / "train.jsonl", data["train"]),
        "validation": _write(directory / "val.jsonl", data["val"] + data["oos_val"]),
        "test": _write(directory / "test.jsonl", data["test"] + data["oos_test"]),
    }
