"""What bench/api_load.py records, its "nothing lost" checks (via the API; hits from the DB), its report."""

from __future__ import annotations

import csv
import io
import re
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text

from chat_load import Results as ChatResults
from chat_load import percentile, reply_seconds
from chat_load_world import World

QA_MARKER = re.compile(r"\bqa-\w+?-\d+\b")  # qa-<client>-0, qa-shared-<k>


@dataclass
class Write:
    """One successful write of a Q&A's answer and notes (both carry ``token``: a torn write shows)."""

    token: str
    started: float
    ended: float


@dataclass
class Ledger:
    """What the clients were told succeeded, to compare with what is stored afterwards."""

    created: dict[str, int] = field(default_factory=dict)  # Q&A marker -> id
    writes: dict[int, list[Write]] = field(default_factory=dict)  # Q&A id -> its successful writes
    hit_ids: list[int] = field(default_factory=list)  # from the asks' responses (warm-up included)
    imported: list[str] = field(default_factory=list)  # questions of the import that was accepted
    rejected: list[str] = field(default_factory=list)  # questions of the import that had to be refused
    lock: threading.Lock = field(default_factory=threading.Lock)

    def wrote(self, qa_id: int, token: str, started: float) -> None:
        with self.lock:
            self.writes.setdefault(qa_id, []).append(Write(token, started, time.perf_counter()))


def qa_fields(token: str) -> dict[str, str]:
    return {"answer": f"answer {token}", "notes": token}


def list_model_qas(client: httpx.Client, model_id: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    while True:
        page = client.get("/api/v1/qas", params={"model_id": model_id, "limit": 500, "offset": len(rows)})
        page.raise_for_status()
        rows += page.json()["items"]
        if len(rows) >= page.json()["total"]:
            return rows


def check_qas(client: httpx.Client, ledger: Ledger, model_id: int) -> list[str]:
    """Every created Q&A stored once; every written row holds the last write (a whole one)."""
    rows = list_model_qas(client, model_id)
    by_id = {r["id"]: r for r in rows}
    markers = Counter(m for r in rows for m in QA_MARKER.findall(r["question"]))
    problems = [f"Q&A {m} stored {n} times" for m, n in markers.items() if n != 1]
    problems += [f"Q&A {m} (id {i}) missing" for m, i in ledger.created.items() if markers[m] != 1]
    problems += [f"Q&A {m} stored but its create failed" for m in markers if m not in ledger.created]
    for qa_id, writes in ledger.writes.items():
        row = by_id.get(qa_id)
        if row is None:
            problems.append(f"Q&A {qa_id} missing")
            continue
        token = row["notes"] or ""
        if qa_fields(token)["answer"] != row["answer"]:
            problems.append(f"Q&A {qa_id}: torn write, answer {row['answer']!r} with notes {token!r}")
        # The last write to commit cannot have ended before another one started.
        latest_start = {w.token: max((o.started for o in writes if o is not w), default=0.0) for w in writes}
        could_be_last = {w.token for w in writes if w.ended >= latest_start[w.token]}
        if token not in could_be_last:
            problems.append(
                f"Q&A {qa_id}: holds {token!r}, the last write was one of {sorted(could_be_last)}"
            )
    return problems


def check_import(client: httpx.Client, ledger: Ledger, model_id: int) -> list[str]:
    """The accepted file's rows are all stored exactly once, the refused file's rows not at all."""
    response = client.get(f"/api/v1/models/{model_id}/qas/export", params={"format": "csv"})
    response.raise_for_status()
    stored = Counter(r["question"] for r in csv.DictReader(io.StringIO(response.text)))
    wanted = Counter(ledger.imported)
    problems = []
    if stored != wanted:
        missing, extra = wanted - stored, stored - wanted
        problems.append(
            f"import: {sum(stored.values())} rows stored, {sum(wanted.values())} expected; "
            f"missing {sum(missing.values())} (e.g. {list(missing)[:2]}), "
            f"extra or doubled {sum(extra.values())} (e.g. {list(extra)[:2]})"
        )
    leaked = sum(stored[q] for q in set(ledger.rejected))
    if leaked:
        problems.append(f"rejected import: {leaked} of its rows were stored")
    return problems


def check_hits(url: str, ledger: Ledger) -> list[str]:
    """Every ask answered 2xx left exactly one hit-history row, and no other API ask did."""
    engine = create_engine(url)
    with engine.connect() as conn:
        stored = Counter(
            int(i) for (i,) in conn.execute(text("SELECT id FROM model_hits WHERE channel = 'api'"))
        )
    engine.dispose()
    told = Counter(ledger.hit_ids)
    problems = [f"hit id {i} returned {n} times" for i, n in told.items() if n != 1]
    if set(stored) != set(told):
        missing, extra = set(told) - set(stored), set(stored) - set(told)
        problems.append(
            f"ask hits: {len(missing)} missing (e.g. {sorted(missing)[:3]}), {len(extra)} unexpected"
        )
    return problems


@dataclass
class Load:
    chat: ChatResults
    ledger: Ledger = field(default_factory=Ledger)
    seconds: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    skipped: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def timed(self, kind: str, seconds: float) -> None:
        with self.lock:
            self.seconds[kind].append(seconds)

    def fail(self, message: str) -> None:
        with self.lock:
            self.errors.append(message)


def server_findings(log_dir: Path) -> list[str]:
    """Tracebacks and 5xx access-log lines in the servers' and workers' logs."""
    findings = []
    for log in sorted(log_dir.glob("*.log")):
        lines = log.read_text(errors="replace").splitlines()
        tracebacks = sum(1 for line in lines if line.startswith("Traceback"))
        server_errors = sum(1 for line in lines if re.search(r'HTTP/1\.1" 5\d\d', line))
        if tracebacks or server_errors:
            last = next(
                (line for line in reversed(lines) if re.match(r"^[\w.]+(Error|Exception)\b", line)), ""
            )
            findings.append(f"{log.name}: {tracebacks} tracebacks, {server_errors} 5xx; last: {last[:200]}")
    return findings


KINDS = ("ask", "comment", "mention", "qa_create", "qa_patch", "shared_patch", "import", "import_refused")


def report(
    load: Load, world: World, comments: dict[int, list[dict[str, object]]], problems: list[str],
    times: tuple[float, float],
) -> None:  # fmt: skip
    wall, drained = times
    seconds = dict(load.seconds)
    seconds["comment"] = [p.seconds for p in load.chat.posted if not p.mentions]
    seconds["mention"] = [p.seconds for p in load.chat.posted if p.mentions]
    done = sum(len(seconds.get(k, [])) for k in KINDS)
    errors = load.errors + load.chat.errors
    print(f"load: {done} requests answered in {wall:.1f} s ({done / wall:.0f}/s); skipped at the deadline: "
          f"{load.skipped}; all mention replies in {drained:.1f} s")  # fmt: skip
    print(f"errors: {len(errors)}")
    for error in errors[:15]:
        print("  -", error)
    print(f"  {'kind':15s} {'count':>6s} {'p50 ms':>8s} {'p95 ms':>8s} {'max ms':>8s}")
    for kind in KINDS:
        values = [s * 1000 for s in seconds.get(kind, [])]
        p50, p95, top = percentile(values, 0.5), percentile(values, 0.95), max(values, default=float("nan"))
        print(f"  {kind:15s} {len(values):6d} {p50:8.0f} {p95:8.0f} {top:8.0f}")
    replies, kinds = reply_seconds(world, comments)
    r50, r95 = percentile(replies, 0.5), percentile(replies, 0.95)
    print(
        f"  mention -> reply (server clock): {len(replies)} replies, p50 {r50:.2f} s, p95 {r95:.2f} s;",
        dict(kinds),
    )
    verdict = (
        "OK (Q&As once, last writes kept, import once, refused import absent, hits, comments, replies once)"
    )
    print(f"nothing lost: {verdict}" if not problems else f"nothing lost: FAILED ({len(problems)})")
    for problem in problems[:20]:
        print("  -", problem)
