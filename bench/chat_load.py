"""Chat load: concurrent clients post to groups with two compiled arbiters each, against a real uvicorn.

Every arbiter model gets a few Q&As and a compiled build first; then each client posts its comments,
half of them questions to one of its group's arbiters. Checks that every comment is stored exactly once
and every mention answered exactly once, and prints the time from a mention to its reply (server
timestamps). SQLite by default; PostgreSQL as well with ``--pg-url`` or ERPAI_TEST_PG_URL (a server
URL; a throwaway database is created on it and dropped). Only 127.0.0.1 is used.

    .venv/bin/python bench/chat_load.py [--clients 50] [--comments 20] [--groups 10] [--pg-url URL]
        [--pg-concurrency N] [--pg-workers N] [--skip-sqlite]
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

sys.path.insert(0, str(ROOT / "bench"))
from chat_load_world import QUESTIONS, World, compile_arbiters, seed  # noqa: E402
from proc_cpu import load_average, tree_cpu_seconds  # noqa: E402

MARKER = re.compile(r"\bm-\d+-\d+\b")
WARM_UP_PER_PROCESS = 4


@dataclass
class Posted:
    comment_id: int
    marker: str
    group_id: int
    mentions: str | None
    seconds: float


@dataclass
class Results:
    warm_up: int  # warm-up questions asked (and answered) before the load
    posted: list[Posted] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env(url: str, data_dir: str, args: argparse.Namespace) -> dict[str, str]:
    env = {
        **os.environ,
        "ERPAI_DATABASE_URL": url,
        "ERPAI_DATA_DIR": data_dir,
        "PYTHONPATH": str(ROOT / "src"),
    }
    if args.pg_concurrency:
        env["ERPAI_JOB_WORKER_CONCURRENCY"] = str(args.pg_concurrency)
    if args.no_embedded_worker:
        env["ERPAI_EMBEDDED_WORKER"] = "false"
    return env


def start_server(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "uvicorn", "erpai.api:create_app", "--factory", "--host", "127.0.0.1"]
    server = subprocess.Popen([*command, "--port", str(port), "--log-level", "warning"], env=env)
    return wait_until_healthy(server, port)


def wait_until_healthy(server: subprocess.Popen[bytes], port: int) -> subprocess.Popen[bytes]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.2)
    server.terminate()
    raise RuntimeError("the server did not start within 30 s")


def start_workers(
    env: dict[str, str], count: int, log_dir: Path | None = None
) -> list[subprocess.Popen[bytes]]:
    """Extra ``erpai worker`` processes (PostgreSQL), beside the worker embedded in the server.

    With ``log_dir`` their output goes to worker-N.log there, else stdout is dropped.
    """
    command = [sys.executable, "-m", "erpai.cli.main", "worker"]
    if log_dir is None:
        return [subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL) for _ in range(count)]
    logs = [(log_dir / f"worker-{n}.log").open("wb") for n in range(count)]
    return [subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT) for log in logs]


def run_client(base: str, world: World, index: int, comments: int, results: Results) -> None:
    headers = {"Authorization": f"Bearer {world.tokens[index]}"}
    with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
        for n in range(comments):
            # Half of the comments ask a question, of the group's two arbiters in turn.
            post_comment(client, world, index, n, results, mention=n % 2 == 0)


def post_comment(
    client: httpx.Client, world: World, index: int, n: int, results: Results, *, mention: bool
) -> bool:
    """Client ``index`` posts its comment ``n`` (marker m-index-n); a question to an arbiter if ``mention``.

    Returns whether it was stored (a failure is added to ``results.errors``).
    """
    group_id = world.client_group[index]
    marker = f"m-{index}-{n}"
    kind = ("sales", "support")[(n // 2) % 2]
    login = world.arbiter_logins[group_id][(n // 2) % 2] if mention else None
    question = QUESTIONS[kind][(index + n) % len(QUESTIONS[kind])]
    body = f"@{login} {question} ({marker})" if login else f"note {marker}"
    started = time.perf_counter()
    try:
        response = client.post(f"/api/v1/chat/groups/{group_id}/comments", json={"text": body})
        response.raise_for_status()
    except httpx.HTTPError as exc:
        with results.lock:
            results.errors.append(f"client {index} comment {n}: {exc}")
        return False
    seconds = time.perf_counter() - started
    with results.lock:
        results.posted.append(Posted(response.json()["id"], marker, group_id, login, seconds))
    return True


def fetch_all(
    base: str, token: str, group_id: int, rows: list[dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """The group's comments: ``rows`` (those fetched before, extended in place) and the newer ones."""
    rows = [] if rows is None else rows
    after = rows[-1]["id"] if rows else 0
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60) as client:
        while True:
            page = client.get(
                f"/api/v1/chat/groups/{group_id}/comments", params={"after_id": after, "limit": 500}
            ).json()
            rows += page["items"]
            if not page["has_more"]:
                return rows
            after = rows[-1]["id"]


def warm_up(base: str, world: World, count: int, timeout: float) -> float:
    """Asks ``count`` questions first and waits for their replies: each worker loads its encoders once.

    The figures below are then the steady state; this cold start is printed on its own.
    """
    group_id = world.group_ids[0]
    headers = {"Authorization": f"Bearer {world.tokens[world.client_group.index(group_id)]}"}
    started = time.perf_counter()
    with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
        asked = [
            client.post(
                f"/api/v1/chat/groups/{group_id}/comments",
                json={"text": f"@{world.arbiter_logins[group_id][n % 2]} warm-up question {n}?"},
            ).raise_for_status()
            for n in range(count)
        ]
        wanted = {r.json()["id"] for r in asked}
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            rows = fetch_all(base, headers["Authorization"].split()[-1], group_id)
            if wanted <= {c["reply_to_comment_id"] for c in rows if c["author_is_virtual"]}:
                break
            time.sleep(0.2)
    return time.perf_counter() - started


def wait_for_replies(
    base: str, world: World, expected: int, timeout: float
) -> dict[int, list[dict[str, Any]]]:
    owner = {g: world.client_group.index(g) for g in world.group_ids}
    deadline = time.monotonic() + timeout
    # Only the new comments at each look (re-reading every group from the start each half second was a
    # load of its own on the server the replies wait for).
    comments: dict[int, list[dict[str, Any]]] = {g: [] for g in world.group_ids}
    while True:
        for g in world.group_ids:
            fetch_all(base, world.tokens[owner[g]], g, comments[g])
        replies = sum(1 for rows in comments.values() for c in rows if c["author_is_virtual"])
        if replies >= expected or time.monotonic() > deadline:
            return comments
        time.sleep(0.5)


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def check(world: World, results: Results, comments: dict[int, list[dict[str, Any]]], url: str) -> list[str]:
    problems = list(results.errors)
    by_id = {c["id"]: c for rows in comments.values() for c in rows}
    markers = Counter(
        m for c in by_id.values() if not c["author_is_virtual"] for m in MARKER.findall(c["text"])
    )
    problems += [f"{m} stored {n} times" for m, n in markers.items() if n != 1]
    problems += [f"{p.marker} missing" for p in results.posted if p.marker not in markers]
    replies = Counter(
        (c["reply_to_comment_id"], c["user_id"]) for c in by_id.values() if c["author_is_virtual"]
    )
    for p in results.posted:
        owed = {(p.comment_id, world.arbiter_users[p.mentions])} if p.mentions else set()
        got = {key for key in replies if key[0] == p.comment_id}
        if got != owed or any(replies[k] != 1 for k in got):
            problems.append(
                f"comment {p.comment_id} ({p.marker}): replies {sorted(got)}, expected {sorted(owed)}"
            )
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT status, count(*) FROM chat_arbiter_tasks GROUP BY status"))
        statuses: dict[str, int] = {str(status): int(count) for status, count in rows}
    engine.dispose()
    tasks_owed = sum(1 for p in results.posted if p.mentions) + results.warm_up
    if statuses.get("done", 0) != tasks_owed or sum(statuses.values()) != tasks_owed:
        problems.append(f"arbiter tasks {statuses}, expected {tasks_owed} done (warm-up included)")
    return problems


def reply_seconds(
    world: World, comments: dict[int, list[dict[str, Any]]]
) -> tuple[list[float], Counter[str]]:
    by_id = {c["id"]: c for rows in comments.values() for c in rows}
    asked_ids = {c["id"] for c in by_id.values() if MARKER.search(c["text"]) and not c["author_is_virtual"]}
    seconds: list[float] = []
    kinds: Counter[str] = Counter()
    for c in by_id.values():
        if c["author_is_virtual"] and c["reply_to_comment_id"] in asked_ids:
            asked = datetime.fromisoformat(by_id[c["reply_to_comment_id"]]["creation_time_utc"])
            seconds.append((datetime.fromisoformat(c["creation_time_utc"]) - asked).total_seconds())
            kinds[_kind(world, c["text"])] += 1
    return seconds, kinds


def _kind(world: World, reply: str) -> str:
    if reply in world.answers:
        return "answered from the build"
    return "could not answer" if reply.startswith("I can't answer") else "does not know"


def load(
    base: str, world: World, args: argparse.Namespace, warm: int
) -> tuple[Results, dict[int, Any], float, float]:
    results = Results(warm_up=warm)
    started = time.perf_counter()
    threads = [
        threading.Thread(target=run_client, args=(base, world, i, args.comments, results))
        for i in range(args.clients)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    posting = time.perf_counter() - started
    mentions = sum(1 for p in results.posted if p.mentions)
    comments = wait_for_replies(base, world, mentions + warm, args.timeout)
    return results, comments, posting, time.perf_counter() - started


def run(url: str, label: str, args: argparse.Namespace) -> bool:
    data_dir = tempfile.mkdtemp(prefix="erpai-chat-bench-")
    env = server_env(url, data_dir, args)
    seeded = time.perf_counter()
    world = seed(url, args.clients, args.groups)
    compile_seconds = compile_arbiters(url, data_dir, world)
    port = free_port()
    server = start_server(env, port)
    workers = start_workers(env, args.pg_workers) if url.startswith("postgresql") else []
    base = f"http://127.0.0.1:{port}"
    try:
        warm = WARM_UP_PER_PROCESS * (1 + len(workers))
        cold = warm_up(base, world, warm, args.timeout)
        print(f"{label}: warm-up ({warm} questions answered with cold encoders): {cold:.1f} s")
        before, started_at = sum(tree_cpu_seconds(p.pid) for p in [server, *workers]), load_average()
        results, comments, posting, drained = load(base, world, args, warm)
        cpu = sum(tree_cpu_seconds(p.pid) for p in [server, *workers]) - before
        print(f"{label}: server + workers used {cpu:.1f} CPU s ({started_at} -> {load_average()})")
    finally:
        for process in [server, *workers]:
            process.terminate()
        for process in [server, *workers]:
            process.wait(timeout=30)
    report(label, args, world, results, comments, url, (posting, drained, compile_seconds, seeded))
    return not check(world, results, comments, url)


def report(
    label: str,
    args: argparse.Namespace,
    world: World,
    results: Results,
    comments: dict[int, Any],
    url: str,
    times: tuple[float, float, float, float],
) -> None:
    posting, drained, compile_seconds, seeded = times
    problems = check(world, results, comments, url)
    seconds, kinds = reply_seconds(world, comments)
    post_times = [p.seconds for p in results.posted]
    mentions = sum(1 for p in results.posted if p.mentions)
    embedded = "no server-started workers" if args.no_embedded_worker else "server-started workers"
    workers = f"; {embedded}, {args.pg_workers} extra workers, concurrency {args.pg_concurrency or 'default'}"
    print(
        f"== {label}: {args.clients} clients x {args.comments} comments, {args.groups} groups x 2 arbiters",
        end="",
    )
    print(workers if url.startswith("postgresql") else "")
    print(f"compiled {len(world.arbiter_users)} arbiter models in {compile_seconds:.1f} s")
    rate = len(results.posted) / posting
    print(f"comments posted: {len(results.posted)} in {posting:.1f} s ({rate:.0f}/s); mentions: {mentions}")
    p50, p95 = percentile(post_times, 0.5) * 1000, percentile(post_times, 0.95) * 1000
    print(f"POST latency: p50 {p50:.0f} ms, p95 {p95:.0f} ms")
    r50, r95, rmax = percentile(seconds, 0.5), percentile(seconds, 0.95), max(seconds, default=float("nan"))
    print(f"mention -> reply: {len(seconds)} replies, p50 {r50:.2f} s, p95 {r95:.2f} s, max {rmax:.2f} s")
    print(f"all replies in {drained:.1f} s after the first post; replies: {dict(kinds)}")
    print(f"total for {label}: {time.perf_counter() - seeded:.0f} s")
    print(
        "checks: OK (each comment stored once, each mention answered once)"
        if not problems
        else "checks: FAILED"
    )
    for problem in problems[:20]:
        print("  -", problem)


def pg_database(server_url: str) -> tuple[str, str]:
    name = f"erpai_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return name, make_url(server_url).set(database=name).render_as_string(hide_password=False)


def drop_pg_database(server_url: str, name: str) -> None:
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--comments", type=int, default=20)
    parser.add_argument("--groups", type=int, default=10)
    parser.add_argument("--timeout", type=float, default=120.0, help="Seconds to wait for all replies.")
    parser.add_argument("--pg-url", default=os.environ.get("ERPAI_TEST_PG_URL", ""))
    parser.add_argument("--pg-concurrency", type=int, default=0, help="Jobs per PG worker (0: the default).")
    parser.add_argument("--pg-workers", type=int, default=0, help="Extra 'erpai worker' processes on PG.")
    parser.add_argument(
        "--no-embedded-worker", action="store_true", help="PG: jobs run only in the --pg-workers processes."
    )
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()
    ok = True
    if not args.skip_sqlite:
        ok &= run(f"sqlite:///{tempfile.mkdtemp(prefix='erpai-chat-db-')}/bench.db", "SQLite", args)
    if args.pg_url:
        name, url = pg_database(args.pg_url)
        try:
            ok &= run(url, "PostgreSQL", args)
        finally:
            drop_pg_database(args.pg_url, name)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
