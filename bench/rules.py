"""Business rules: what a save costs with and without AI actions, concurrency, and a hanging provider.

Against the local OpenAI-wire fake server (tests/fakes) on 127.0.0.1, on SQLite and (with --pg-url or
ERPAI_TEST_PG_URL, a server URL: a throw-away database is created and dropped) PostgreSQL. Prints:
  - no-rule save overhead: median of save_record (no rules) minus a plain ORM insert of the same party;
  - AISET + AIVALIDATE overhead: p50/p95 of (save time - provider time in the runs - no-rule save);
  - 50 concurrent saves each firing two AI actions: rows, distinct names, runs (nothing lost or doubled);
  - a hanging provider with a 500 ms AIVALIDATE timeout: the save's wall time.

    .venv/bin/python bench/rules.py [--saves 200] [--pg-url URL] [--skip-pg]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("ERPAI_DATA_DIR", tempfile.mkdtemp(prefix="erpai-bench-"))

from sqlalchemy import create_engine, func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.orm import Session, sessionmaker  # noqa: E402
from tests.fakes.openai_server import FakeOpenAI  # noqa: E402

from erpai.ai_models.schemas import ModelCreate  # noqa: E402
from erpai.ai_models.service import create_model  # noqa: E402
from erpai.db import make_engine  # noqa: E402
from erpai.migrate import upgrade  # noqa: E402
from erpai.providers.schemas import ProviderCreate  # noqa: E402
from erpai.providers.service import create_provider  # noqa: E402
from erpai.records.models import Party  # noqa: E402
from erpai.records.service import RuleRefused, save_record  # noqa: E402
from erpai.rules.ai import prompt_cache  # noqa: E402
from erpai.rules.models import BusinessRule, RuleRun  # noqa: E402
from erpai.settings.service import set_setting  # noqa: E402

TWO_ACTIONS = [
    {"type": "AISET", "attribute": "Phone", "prompt": "Phone of {Name}?", "timeout_ms": 2000},
    {"type": "AIVALIDATE", "prompt": "Is {Name} real?", "message": "no", "timeout_ms": 2000},
]


def _ms(seconds: float) -> float:
    return seconds * 1000


def _p95(values: list[float]) -> float:
    return sorted(values)[max(0, int(len(values) * 0.95) - 1)]


def _setup(factory: sessionmaker[Session], fake: FakeOpenAI) -> None:
    with factory() as session:
        provider = create_provider(
            session,
            data=ProviderCreate(name="Fake", base_model_name="gpt-4o-mini", config={"base_url": fake.url}),
            actor_id=None,
        )
        create_model(
            session, data=ModelCreate(name="Rules", is_default=True, provider_id=provider.id), actor_id=None
        )
        set_setting(
            session, key="rules.cache_ttl_seconds", value=0, actor=None
        )  # every save asks the provider


def _rule(factory: sessionmaker[Session], actions: list[dict[str, object]] | None) -> None:
    with factory() as session:
        session.query(BusinessRule).delete()
        if actions:
            session.add(BusinessRule(name="bench", entity="parties", event="create", actions=actions))
        session.commit()


def _timed(run: Callable[[], object], n: int) -> list[float]:
    times = []
    for _ in range(n):
        started = time.perf_counter()
        run()
        times.append(_ms(time.perf_counter() - started))
    return times


def _save(factory: sessionmaker[Session]) -> tuple[float, float]:
    """(save ms, provider ms from the runs)."""
    with factory() as session:
        started = time.perf_counter()
        _, firing = save_record(session, kind="parties", values={"name": f"P {uuid.uuid4().hex[:8]}"})
        return _ms(time.perf_counter() - started), sum(run.latency_ms for run in firing.runs)


def _plain(factory: sessionmaker[Session]) -> None:
    with factory() as session:
        name = f"P {uuid.uuid4().hex[:8]}"
        session.add(Party(name=name, normalized_name=name.lower()))
        session.commit()


def run_backend(label: str, url: str, saves: int) -> None:
    upgrade(url)
    engine = make_engine(url)
    factory = sessionmaker(engine, expire_on_commit=False)
    with FakeOpenAI() as fake:
        fake.chat_reply = "true"
        _setup(factory, fake)
        _rule(factory, None)
        plain = statistics.median(_timed(lambda: _plain(factory), saves))
        bare = statistics.median([_save(factory)[0] for _ in range(saves)])
        print(
            f"[{label}] plain insert {plain:.2f} ms, save_record without rules {bare:.2f} ms: "
            f"overhead {bare - plain:.2f} ms (target <= 2 ms)"
        )
        _rule(factory, TWO_ACTIONS)
        prompt_cache.clear()
        samples = [_save(factory) for _ in range(saves)]
        beyond = [total - provider - bare for total, provider in samples]
        provider_ms = statistics.median([p for _, p in samples])
        print(
            f"[{label}] AISET+AIVALIDATE: provider {provider_ms:.2f} ms (median, both calls); beyond it and "
            f"the plain save p50 {statistics.median(beyond):.2f} ms, p95 {_p95(beyond):.2f} ms "
            "(target p95 <= 30 ms)"
        )
        _concurrent(label, factory)
        _hanging(label, factory, fake)
    engine.dispose()


def _concurrent(label: str, factory: sessionmaker[Session]) -> None:
    with factory() as session:
        before_rows = session.scalar(select(func.count()).select_from(Party)) or 0
        before_runs = session.scalar(select(func.count()).select_from(RuleRun)) or 0
    names = [f"C {i:03d} {uuid.uuid4().hex[:6]}" for i in range(50)]

    def one(name: str) -> None:
        with factory() as session:
            save_record(session, kind="parties", values={"name": name})

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=50) as pool:
        list(pool.map(one, names))
    wall = _ms(time.perf_counter() - started)
    with factory() as session:
        rows = session.scalar(select(func.count()).select_from(Party)) or 0
        distinct = (
            session.scalar(select(func.count(func.distinct(Party.name))).where(Party.name.in_(names))) or 0
        )
        runs = session.scalar(select(func.count()).select_from(RuleRun)) or 0
    ok = rows - before_rows == 50 and distinct == 50 and runs - before_runs == 100
    print(
        f"[{label}] 50 concurrent saves x 2 AI actions in {wall:.0f} ms: {rows - before_rows} rows, "
        f"{distinct} distinct, {runs - before_runs} runs -> "
        f"{'OK, nothing lost or doubled' if ok else 'MISMATCH'}"
    )


def _hanging(label: str, factory: sessionmaker[Session], fake: FakeOpenAI) -> None:
    _rule(factory, [{"type": "AIVALIDATE", "prompt": "Is {Name} real?", "message": "no", "timeout_ms": 500}])
    walls = []
    for _ in range(3):
        fake.fail("POST /v1/chat/completions", hang=5)
        started = time.perf_counter()
        with contextlib.suppress(RuleRefused):
            _save(factory)
        walls.append(_ms(time.perf_counter() - started))
    print(
        f"[{label}] hanging provider, timeout 500 ms: saves took {', '.join(f'{w:.0f}' for w in walls)} ms "
        "(target 500 +- 100 ms)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--saves", type=int, default=200)
    parser.add_argument("--pg-url", default=os.environ.get("ERPAI_TEST_PG_URL", ""))
    parser.add_argument("--skip-pg", action="store_true")
    args = parser.parse_args()
    run_backend("sqlite", f"sqlite:///{tempfile.mkdtemp(prefix='erpai-rules-')}/bench.db", args.saves)
    if args.pg_url and not args.skip_pg:
        name = f"erpai_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(args.pg_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            run_backend(
                "postgresql",
                make_url(args.pg_url).set(database=name).render_as_string(hide_password=False),
                args.saves,
            )
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


if __name__ == "__main__":
    main()
