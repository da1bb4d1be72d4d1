"""Chat load: concurrent clients post to groups with two arbiters each, against a real uvicorn server.

Checks that every comment is stored exactly once and every mention answered exactly once, and prints
the time from a mention to its reply (server timestamps). SQLite by default; PostgreSQL as well with
``--pg-url`` or ERPAI_TEST_PG_URL (a server URL; a throwaway database is created on it and dropped).

    .venv/bin/python bench/chat_load.py [--clients 50] [--comments 20] [--groups 10] [--pg-url URL]
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


@dataclass
class World:
    group_ids: list[int]
    arbiter_logins: dict[int, list[str]]  # group -> the two arbiters' logins
    arbiter_users: dict[str, int]  # login -> virtual user id
    tokens: list[str]  # one per client
    client_group: list[int]


@dataclass
class Posted:
    comment_id: int
    marker: str
    group_id: int
    mentions: str | None
    seconds: float


@dataclass
class Results:
    posted: list[Posted] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def seed(url: str, clients: int, groups: int) -> World:
    """People with tokens, two arbiters (model + virtual user, no build) per group, groups of people."""
    from erpai.ai_models.models import AIModel
    from erpai.chat.schemas import GroupCreate
    from erpai.chat.service import create_group
    from erpai.db import make_engine
    from erpai.migrate import upgrade
    from erpai.users.models import User, UserType
    from erpai.users.schemas import UserCreate
    from erpai.users.service import create_token, create_user

    upgrade(url)
    engine = make_engine(url)
    with Session(engine, expire_on_commit=False) as session:
        people = [
            create_user(session, data=UserCreate(login=f"p{i}", name=f"Person {i}"), actor_id=None)
            for i in range(clients)
        ]
        tokens = [create_token(session, user_id=p.id)[1] for p in people]
        arbiter_users: dict[str, int] = {}
        for g in range(groups):
            for a in ("sales", "support"):
                login = f"{a}-ai-{g}"
                vuser = User(login=login, name=f"{a.title()} AI {g}", user_type=UserType.VIRTUAL.value)
                session.add(vuser)
                session.flush()
                session.add(
                    AIModel(name=f"{a.title()} AI {g}", build_assistant=False, virtual_user_id=vuser.id)
                )
                arbiter_users[login] = vuser.id
        session.commit()
        group_ids, arbiter_logins, client_group = [], {}, [0] * clients
        for g in range(groups):
            members = [i for i in range(clients) if i % groups == g]
            logins = [f"sales-ai-{g}", f"support-ai-{g}"]
            ids = [people[i].id for i in members[1:]] + [arbiter_users[x] for x in logins]
            group = create_group(
                session, data=GroupCreate(name=f"Group {g}", member_ids=ids), actor=people[members[0]]
            )
            group_ids.append(group.id)
            arbiter_logins[group.id] = logins
            for i in members:
                client_group[i] = group.id
    engine.dispose()
    return World(group_ids, arbiter_logins, arbiter_users, tokens, client_group)


def start_server(url: str, data_dir: str, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "ERPAI_DATABASE_URL": url,
        "ERPAI_DATA_DIR": data_dir,
        "PYTHONPATH": str(ROOT / "src"),
    }
    command = [sys.executable, "-m", "uvicorn", "erpai.api:create_app", "--factory", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--log-level", "warning"]
    server = subprocess.Popen(command, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.2)
    server.terminate()
    raise RuntimeError("the server did not start within 30 s")


def run_client(base: str, world: World, index: int, comments: int, results: Results) -> None:
    group_id = world.client_group[index]
    headers = {"Authorization": f"Bearer {world.tokens[index]}"}
    with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
        for n in range(comments):
            marker = f"m-{index}-{n}"
            # Half of the comments mention an arbiter, the group's two arbiters in turn.
            mention = world.arbiter_logins[group_id][(n // 2) % 2] if n % 2 == 0 else None
            text_ = f"@{mention} question {marker}?" if mention else f"note {marker}"
            started = time.perf_counter()
            try:
                response = client.post(f"/api/v1/chat/groups/{group_id}/comments", json={"text": text_})
                response.raise_for_status()
            except httpx.HTTPError as exc:
                with results.lock:
                    results.errors.append(f"client {index} comment {n}: {exc}")
                continue
            seconds = time.perf_counter() - started
            with results.lock:
                results.posted.append(Posted(response.json()["id"], marker, group_id, mention, seconds))


def fetch_all(base: str, token: str, group_id: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    after = 0
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60) as client:
        while True:
            page = client.get(
                f"/api/v1/chat/groups/{group_id}/comments", params={"after_id": after, "limit": 500}
            ).json()
            rows += page["items"]
            if not page["has_more"]:
                return rows
            after = rows[-1]["id"]


def wait_for_replies(
    base: str, world: World, expected: int, timeout: float
) -> dict[int, list[dict[str, Any]]]:
    owner = {g: world.client_group.index(g) for g in world.group_ids}
    deadline = time.monotonic() + timeout
    while True:
        comments = {g: fetch_all(base, world.tokens[owner[g]], g) for g in world.group_ids}
        replies = sum(1 for rows in comments.values() for c in rows if c["author_is_virtual"])
        if replies >= expected or time.monotonic() > deadline:
            return comments


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def check(world: World, results: Results, comments: dict[int, list[dict[str, Any]]], url: str) -> list[str]:
    problems = list(results.errors)
    by_id = {c["id"]: c for rows in comments.values() for c in rows}
    people = [c for c in by_id.values() if not c["author_is_virtual"]]
    markers = Counter(c["text"].split()[-1].rstrip("?") for c in people)
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
        statuses: dict[str, int] = dict(
            conn.execute(text("SELECT status, count(*) FROM chat_arbiter_tasks GROUP BY status")).all()
        )
    engine.dispose()
    mentions = sum(1 for p in results.posted if p.mentions)
    if statuses.get("done", 0) != mentions or sum(statuses.values()) != mentions:
        problems.append(f"arbiter tasks {statuses}, expected {mentions} done")
    return problems


def reply_seconds(
    results: Results, comments: dict[int, list[dict[str, Any]]]
) -> tuple[list[float], Counter[str]]:
    from datetime import datetime

    by_id = {c["id"]: c for rows in comments.values() for c in rows}
    seconds: list[float] = []
    texts: Counter[str] = Counter()
    for c in by_id.values():
        if c["author_is_virtual"] and c["reply_to_comment_id"] in by_id:
            asked = datetime.fromisoformat(by_id[c["reply_to_comment_id"]]["creation_time_utc"])
            seconds.append((datetime.fromisoformat(c["creation_time_utc"]) - asked).total_seconds())
            texts[c["text"].split(":")[0]] += 1
    return seconds, texts


def run(url: str, label: str, args: argparse.Namespace) -> bool:
    data_dir = tempfile.mkdtemp(prefix="erpai-chat-bench-")
    world = seed(url, args.clients, args.groups)
    port = free_port()
    server = start_server(url, data_dir, port)
    base = f"http://127.0.0.1:{port}"
    results = Results()
    try:
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
        comments = wait_for_replies(base, world, mentions, args.timeout)
        drained = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=30)
    problems = check(world, results, comments, url)
    seconds, texts = reply_seconds(results, comments)
    post_times = [p.seconds for p in results.posted]
    print(f"== {label}: {args.clients} clients x {args.comments} comments, {args.groups} groups x 2 arbiters")
    rate = len(results.posted) / posting
    print(f"comments posted: {len(results.posted)} in {posting:.1f} s ({rate:.0f}/s); mentions: {mentions}")
    p50, p95 = percentile(post_times, 0.5) * 1000, percentile(post_times, 0.95) * 1000
    print(f"POST latency: p50 {p50:.0f} ms, p95 {p95:.0f} ms")
    r50, r95 = percentile(seconds, 0.5), percentile(seconds, 0.95)
    print(f"mention -> reply: {len(seconds)} replies, p50 {r50:.2f} s, p95 {r95:.2f} s")
    print(f"all replies in after {drained:.1f} s; reply kinds: {dict(texts)}")
    print(
        "checks: OK (each comment stored once, each mention answered once)"
        if not problems
        else "checks: FAILED"
    )
    for problem in problems[:20]:
        print("  -", problem)
    return not problems


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
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--comments", type=int, default=20)
    parser.add_argument("--groups", type=int, default=10)
    parser.add_argument("--timeout", type=float, default=120.0, help="Seconds to wait for all replies.")
    parser.add_argument("--pg-url", default=os.environ.get("ERPAI_TEST_PG_URL", ""))
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
