"""Bulk Q&A import speed: 100,000 rows as CSV and as JSONL, each into a fresh migrated database.

    .venv/bin/python bench/import_qas.py [--rows 100000] [--pg-url postgresql+psycopg://...]

SQLite always; PostgreSQL too when --pg-url or ERPAI_TEST_PG_URL is given (a throw-away database is
created and dropped). The timed part is the whole use case: read the file, decode, parse and
validate every row, bulk INSERT and commit (``erpai.qas.service.import_qas``).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from erpai.ai_models.models import AIModel
from erpai.db import make_engine
from erpai.migrate import upgrade
from erpai.qas.io import FIELDS, parse_qas
from erpai.qas.models import ModelQA
from erpai.qas.service import import_qas
from erpai.users.schemas import UserCreate
from erpai.users.service import create_user

WORDS = [
    "order", "invoice", "refund", "delivery", "warehouse", "supplier",
    "discount", "payment", "account", "contract", "leave", "holiday",
]  # fmt: skip


def generate_rows(count: int, seed: int = 7) -> list[dict[str, object]]:
    rng = random.Random(seed)
    rows: list[dict[str, object]] = []
    for number in range(count):
        question = f"How do I handle {' '.join(rng.choices(WORDS, k=rng.randint(3, 12)))} case {number}?"
        answer = "" if rng.random() < 0.05 else " ".join(rng.choices(WORDS, k=rng.randint(5, 40))) + "."
        rows.append(
            {
                "question": question,
                "answer": answer,
                "section": rng.choice(["General", "Sales", "Finance", "HR, policies"]),
                "qa_type": "validation" if rng.random() < 0.1 else "training",
                "is_active": rng.random() > 0.05,
            }
        )
    return rows


def write_files(rows: list[dict[str, object]], folder: Path) -> dict[str, Path]:
    csv_path, jsonl_path = folder / "qas.csv", folder / "qas.jsonl"
    with csv_path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=FIELDS)
        writer.writeheader()
        writer.writerows({**r, "is_active": "true" if r["is_active"] else "false"} for r in rows)
    with jsonl_path.open("w", encoding="utf-8") as handle:
        handle.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    return {"csv": csv_path, "jsonl": jsonl_path}


@contextmanager
def fresh_sqlite() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="erpai-bench-") as folder:
        yield f"sqlite:///{folder}/bench.db"


@contextmanager
def fresh_postgres(admin_url: str) -> Iterator[str]:
    name = f"erpai_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def run_import(url: str, path: Path, fmt: str) -> tuple[float, int]:
    upgrade(url)
    engine = make_engine(url)
    try:
        with Session(engine, expire_on_commit=False) as session:
            admin = UserCreate(login="bench", name="Bench", is_admin=True)
            user = create_user(session, data=admin, actor_id=None)
            model = AIModel(name="Bench")
            session.add(model)
            session.commit()
            started = time.perf_counter()
            content = path.read_bytes().decode("utf-8-sig")
            imported = import_qas(session, model_id=model.id, content=content, fmt=fmt, actor_id=user.id)
            seconds = time.perf_counter() - started
            stored = session.scalar(select(func.count()).select_from(ModelQA)) or 0
            assert stored == imported, (stored, imported)
            return seconds, imported
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--pg-url", default=os.environ.get("ERPAI_TEST_PG_URL", ""))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="erpai-bench-files-") as folder:
        files = write_files(generate_rows(args.rows), Path(folder))
        print(f"{args.rows} rows; CSV {files['csv'].stat().st_size / 1e6:.1f} MB, "
              f"JSONL {files['jsonl'].stat().st_size / 1e6:.1f} MB")  # fmt: skip
        for fmt, path in files.items():
            started = time.perf_counter()
            parse_qas(path.read_text(encoding="utf-8"), fmt)
            print(f"parse+validate only  {fmt:5s} {time.perf_counter() - started:7.2f} s")
        backends = [("sqlite", fresh_sqlite)]
        if args.pg_url:
            backends.append(("postgresql", lambda: fresh_postgres(args.pg_url)))
        for backend, fresh in backends:
            for fmt, path in files.items():
                with fresh() as url:
                    seconds, imported = run_import(url, path, fmt)
                print(f"import {backend:10s} {fmt:5s} {seconds:7.2f} s  {imported / seconds:10,.0f} rows/s")


if __name__ == "__main__":
    main()
