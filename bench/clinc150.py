"""CLINC150 benchmark of the product's own `erpai eval` (Larson protocol).

    .venv/bin/python bench/clinc150.py [--embedder NAME]

Targets (issue 4): in-scope accuracy >= 0.95, out-of-scope recall >= 0.75, compile <= 60 s cold,
ask p95 <= 30 ms.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from clinc_data import write_splits

TARGETS = {
    "in_scope_accuracy": (">=", 0.95),
    "oos_recall": (">=", 0.75),
    "compile_seconds": ("<=", 60.0),
    "ask_p95_ms": ("<=", 30.0),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--embedder", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="clinc-") as tmp:
        splits = write_splits(Path(tmp))
        command = [
            sys.executable,
            "-m",
            "erpai.cli.main",
            "eval",
            "--json",
            "--train",
            str(splits["train"]),
            "--validation",
            str(splits["validation"]),
            "--test",
            str(splits["test"]),
        ]
        if args.embedder:
            command += ["--embedder", args.embedder]
        output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    figures = json.loads(output)
    print(f"CLINC150 full (Larson): train 15000, val 3100, test 5500; embedder {args.embedder or 'default'}")
    for row in figures.pop("sweep", []):
        cells = " / ".join("n/a" if row[k] is None else f"{row[k]:.4f}"
                           for k in ("in_scope_accuracy", "oos_recall", "oos_precision"))
        print(f"sweep threshold {row['threshold']:.1f}: in-scope / OOS recall / OOS precision {cells}")
    for key, value in figures.items():
        if not isinstance(value, float):
            print(f"{key:20s} {value}")
            continue
        target = TARGETS.get(key)
        verdict = ""
        if target:
            ok = value >= target[1] if target[0] == ">=" else value <= target[1]
            verdict = f"  target {target[0]} {target[1]}: {'met' if ok else 'MISSED'}"
        print(f"{key:20s} {value:10.4f}{verdict}")


if __name__ == "__main__":
    main()
