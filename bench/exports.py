"""Export speed and memory: the hit history streamed as CSV, and a whole model exported and imported.

    .venv/bin/python bench/exports.py [--hits 200000] [--qas 20000]

A fresh migrated SQLite file under a temp directory. Prints rows per second and the peak Python memory
(tracemalloc) of each export: the hit history is read in batches, so its peak should not grow with --hits.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

DATA_DIR = tempfile.mkdtemp(prefix="erpai-bench-exports-")
os.environ["ERPAI_DATABASE_URL"] = f"sqlite:///{Path(DATA_DIR) / 'bench.db'}"
os.environ["ERPAI_DATA_DIR"] = DATA_DIR

from sqlalchemy import insert  # noqa: E402

from erpai.ai_models.models import AIModel  # noqa: E402
from erpai.compilations.models import ModelHit  # noqa: E402
from erpai.db import session_factory  # noqa: E402
from erpai.exports import bundle  # noqa: E402
from erpai.exports.schemas import HitFilters  # noqa: E402
from erpai.exports.service import hit_chunks  # noqa: E402
from erpai.migrate import upgrade  # noqa: E402
from erpai.qas.models import ModelQA  # noqa: E402
from erpai.users.models import User  # noqa: E402


def _measure(label: str, rows: int, run: Callable[[], int]) -> None:
    tracemalloc.start()
    started = time.perf_counter()
    size = run()
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"{label}: {rows} rows, {size / 1e6:.1f} MB in {seconds:.2f} s = {rows / seconds:,.0f} rows/s, "
        f"peak Python memory {peak / 1e6:.1f} MB"
    )


def _setup(hits: int, qas: int) -> tuple[User, int]:
    upgrade()
    with session_factory()() as session:
        admin = User(login="admin", name="Admin", is_admin=True)
        model = AIModel(name="Bench")
        session.add_all([admin, model])
        session.flush()
        start = datetime(2026, 1, 1)
        session.execute(
            insert(ModelHit),
            [
                {"model_id": model.id, "channel": "openai" if n % 3 else "api", "question": f"question {n}?",
                 "answer": f"answer {n}" if n % 4 else None, "answered": bool(n % 4), "score": 0.5,
                 "time_utc": start + timedelta(seconds=n)}
                for n in range(hits)
            ],
        )  # fmt: skip
        session.execute(
            insert(ModelQA),
            [
                {"model_id": model.id, "question": f"How do I do thing {n}?", "answer": f"Like this: {n}.",
                 "section": "General", "qa_type": "T", "is_active": True, "added_by_user_id": admin.id}
                for n in range(qas)
            ],
        )  # fmt: skip
        session.commit()
        return admin, model.id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hits", type=int, default=200_000)
    parser.add_argument("--qas", type=int, default=20_000)
    args = parser.parse_args()
    admin, model_id = _setup(args.hits, args.qas)

    def hits_csv() -> int:
        with session_factory()() as session:
            chunks = hit_chunks(session, user=admin, filters=HitFilters(), fmt="csv")
        return sum(len(chunk) for chunk in chunks)

    _measure("hit history CSV", args.hits, hits_csv)
    lines: list[str] = []

    def model_export() -> int:
        with session_factory()() as session:
            lines.extend(bundle.export_model(session, user=admin, model_id=model_id))
        return sum(len(line) for line in lines)

    _measure("model export", args.qas, model_export)

    def model_import() -> int:
        with session_factory()() as session:
            bundle.import_model(session, user=admin, lines=lines, name="Bench copy")
        return sum(len(line) for line in lines)

    _measure("model import", args.qas, model_import)


if __name__ == "__main__":
    main()
