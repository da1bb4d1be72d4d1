"""Compile speed on CLINC150: a cold compile of the 15,000 training Q&As, then a recompile after
100 Q&As changed (the embedding cache means only those 100 are embedded again).

    .venv/bin/python bench/compile_speed.py

Targets (issue 4): cold <= 60 s, recompile <= 10 s (2-core CPU).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parent))
from clinc_data import write_splits
from erpai import evaluation


def _change_100(model_id: int) -> None:
    from erpai.db import session_factory
    from erpai.qas.models import ModelQA

    with session_factory()() as session:
        rows = session.scalars(
            select(ModelQA)
            .where(ModelQA.model_id == model_id, ModelQA.qa_type == "T")
            .order_by(ModelQA.id)
            .limit(100)
        )
        for row in rows:
            row.question = f"{row.question} please"
        session.commit()


def _timings(compilation_id: int) -> str:
    from erpai.compilations.models import Compilation
    from erpai.db import session_factory

    with session_factory()() as session:
        log = (session.get(Compilation, compilation_id) or Compilation()).build_log or ""
    return next((line for line in log.splitlines() if line.startswith("Timings")), "")


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="compile-speed-") as tmp:
        splits = write_splits(Path(tmp) / "data")
        train = evaluation.read_jsonl(splits["train"])
        validation = evaluation.read_jsonl(splits["validation"])
        evaluation.use_temporary_database(tmp)
        model_id, user_id = evaluation.create_eval_model(train, validation, None)
        started = time.perf_counter()
        first, cold = evaluation.compile_model(model_id, user_id)
        print("cold:", _timings(first))
        _change_100(model_id)
        second, warm = evaluation.compile_model(model_id, user_id)
        print("recompile:", _timings(second))
        total = time.perf_counter() - started
    print(
        f"cold compile of {len(train)} Q&As (+{len(validation)} validation): {cold:.1f} s  (target <= 60 s)"
    )
    print(f"recompile after 100 Q&As changed:                       {warm:.1f} s  (target <= 10 s)")
    print(f"total {total:.1f} s")


if __name__ == "__main__":
    main()
