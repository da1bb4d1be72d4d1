"""API load: concurrent clients mix asks, chat posts (some @-mentioning arbiters), Q&A edits and an import.

Real servers on 127.0.0.1 only. SQLite: one ``erpai serve`` (it runs the jobs itself; ``--sqlite-workers N``
adds ``erpai worker`` processes). PostgreSQL (``--pg-url`` or ERPAI_TEST_PG_URL, a server URL: a throw-away
database is created and dropped): ``--pg-apis`` ``erpai serve`` processes with ERPAI_EMBEDDED_WORKER=false
plus ``--pg-workers`` ``erpai worker`` processes; clients are spread over the API ports.

Each client makes ``--requests`` requests (stopping at ``--deadline``): one Q&A create, then asks, chat posts
(some ask an arbiter, whose reply must arrive), PATCHes of its own Q&A and of a few Q&As shared by all; one
more client imports a CSV of ``--import-rows`` rows and then a file with one bad row (a 422, nothing stored).
Prints per database the errors (non-2xx other than that 422, exceptions, timeouts), the "nothing lost"
checks and p50/p95 latency per request kind; exits non-zero on any error or anything lost.

    .venv/bin/python bench/api_load.py [--clients 200] [--requests 12] [--groups 5] [--pg-url URL]
        [--skip-sqlite] [--skip-pg] [--sqlite-workers N] [--pg-apis 2] [--pg-workers 2]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import httpx
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from api_load_results import (  # noqa: E402
    Load,
    check_hits,
    check_import,
    check_qas,
    qa_fields,
    report,
    server_findings,
)
from chat_load import (  # noqa: E402
    WARM_UP_PER_PROCESS,
    drop_pg_database,
    free_port,
    pg_database,
    post_comment,
    server_env,
    start_workers,
    wait_for_replies,
    wait_until_healthy,
    warm_up,
)
from chat_load import Results as ChatResults  # noqa: E402
from chat_load import check as check_chat  # noqa: E402
from chat_load_world import QUESTIONS, World, compile_arbiters, seed  # noqa: E402
from erpai.db import make_engine  # noqa: E402
from erpai.users.schemas import UserCreate  # noqa: E402
from erpai.users.service import create_token, create_user  # noqa: E402
from import_qas import generate_rows, write_files  # noqa: E402

# Client n's requests after its Q&A create: this cycle, started at n so that every kind runs all along.
CYCLE = (
    "ask",
    "comment",
    "qa_patch",
    "ask",
    "mention",
    "qa_patch",
    "shared_patch",
    "ask",
    "comment",
    "qa_patch",
)
EXPECTED_REFUSAL = 422  # the import with a bad row; any other non-2xx is an error
# A client drops an idle connection after 2 s: uvicorn closes it after 5 s (its timeout_keep_alive), and
# httpx's default expiry is 5 s too, so a request sent on a connection idle for just 5 s can meet the
# server's close and fail with "connection reset by peer" before reaching the server.
LIMITS = httpx.Limits(keepalive_expiry=2.0)


@dataclass
class Site:
    """The servers of one run and the world seeded in their database."""

    url: str
    bases: list[str]
    world: World
    admin_token: str
    edits_model: int = 0
    import_model: int = 0
    shared_qas: list[int] = field(default_factory=list)


def call(
    load: Load, client: httpx.Client, kind: str, method: str, path: str, expect: int = 200, **kw: object
) -> httpx.Response | None:
    """One timed request; anything but ``expect`` is an error (recorded) and gives None."""
    started = time.perf_counter()
    try:
        response = client.request(method, path, **kw)  # type: ignore[arg-type]
    except httpx.HTTPError as exc:
        load.fail(f"{kind} {method} {path}: {type(exc).__name__} {exc}")
        return None
    load.timed(kind, time.perf_counter() - started)
    if response.status_code != expect:
        load.fail(f"{kind} {method} {path}: {response.status_code} {response.text[:300]}")
        return None
    return response


def ask(load: Load, client: httpx.Client, site: Site, index: int, n: int, kind: str = "ask") -> None:
    models = site.world.model_ids  # sales 0, support 0, sales 1, ...
    which = (index + n) % len(models)
    questions = QUESTIONS[("sales", "support")[which % 2]]
    body = {"question": questions[(index + n) % len(questions)]}
    response = call(load, client, kind, "POST", f"/api/v1/models/{models[which]}/ask", json=body)
    if response is not None:
        with load.ledger.lock:
            load.ledger.hit_ids.append(int(response.json()["hit_id"]))


def create_qa(
    load: Load, admin: httpx.Client, site: Site, marker: str, kind: str = "qa_create"
) -> int | None:
    body = {
        "model_id": site.edits_model,
        "question": f"Bench question {marker}?",
        **qa_fields(f"{marker}-v0"),
    }
    started = time.perf_counter()
    response = call(load, admin, kind, "POST", "/api/v1/qas", expect=201, json=body)
    if response is None:
        return None
    qa_id = int(response.json()["id"])
    load.ledger.wrote(qa_id, f"{marker}-v0", started)
    with load.ledger.lock:
        load.ledger.created[marker] = qa_id
    return qa_id


def patch_qa(load: Load, admin: httpx.Client, kind: str, qa_id: int, token: str) -> None:
    started = time.perf_counter()
    if call(load, admin, kind, "PATCH", f"/api/v1/qas/{qa_id}", json=qa_fields(token)) is not None:
        load.ledger.wrote(qa_id, token, started)


def run_client(load: Load, site: Site, index: int, requests: int, deadline: float) -> None:
    base = site.bases[index % len(site.bases)]
    token = site.world.tokens[index]
    person = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, limits=LIMITS)
    # Q&A edits as an admin: a permission model is coming; once a trainer grant API exists, grant
    # the person trainer rights on the edits model instead and edit with their own token.
    admin = httpx.Client(
        base_url=base, headers={"Authorization": f"Bearer {site.admin_token}"}, limits=LIMITS
    )
    with person, admin:
        person.timeout = admin.timeout = httpx.Timeout(120)
        own = create_qa(load, admin, site, f"qa-{index}-0")
        for n in range(1, requests):
            if time.monotonic() > deadline:
                with load.lock:
                    load.skipped += requests - n
                return
            kind = CYCLE[(index + n) % len(CYCLE)]
            if kind == "ask":
                ask(load, person, site, index, n)
            elif kind in ("comment", "mention"):
                post_comment(person, site.world, index, n, load.chat, mention=kind == "mention")
            elif kind == "qa_patch" and own is not None:
                patch_qa(load, admin, kind, own, f"qa-{index}-0-w{n}")
            elif kind == "shared_patch":
                patch_qa(
                    load, admin, kind, site.shared_qas[(index + n) % len(site.shared_qas)], f"s-{index}-{n}"
                )


def import_files(rows: int, folder: Path) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """The file to import, and a tenth as many other rows ending with a bad one (the import to refuse)."""
    good = generate_rows(rows)
    refused = [
        {**r, "question": f"Refused {r['question']}"} for r in generate_rows(max(1, rows // 10), seed=8)
    ]
    refused.append({**refused[-1], "question": "Refused bad row?", "qa_type": "bogus"})
    return good, refused


def run_import(load: Load, site: Site, rows: int, folder: Path, delay: float) -> None:
    """Imports while the clients run (all or nothing), then a file with a bad row (422, nothing stored)."""
    good, refused = import_files(rows, folder)
    (folder / "good").mkdir()
    (folder / "refused").mkdir()
    files = [
        write_files(r, folder / name)["csv"].read_bytes()
        for r, name in ((good, "good"), (refused, "refused"))
    ]
    load.ledger.rejected = [str(r["question"]) for r in refused]
    time.sleep(delay)
    headers = {"Authorization": f"Bearer {site.admin_token}", "Content-Type": "text/csv"}
    path = f"/api/v1/models/{site.import_model}/qas/import"
    with httpx.Client(base_url=site.bases[-1], headers=headers, timeout=300) as admin:
        if call(load, admin, "import", "POST", path, params={"format": "csv"}, content=files[0]) is not None:
            load.ledger.imported = [str(r["question"]) for r in good]
        call(
            load,
            admin,
            "import_refused",
            "POST",
            path,
            EXPECTED_REFUSAL,
            params={"format": "csv"},
            content=files[1],
        )


def add_admin(url: str) -> str:
    """An admin with an API token (the Q&A edits and the import run as an admin)."""
    engine = make_engine(url)
    with Session(engine) as session:
        data = UserCreate(login="bench-admin", name="Bench admin", is_admin=True)
        admin = create_user(session, data=data, actor_id=None)
        token = create_token(session, user_id=admin.id)[1]
        session.commit()
    engine.dispose()
    return token


def start_servers(
    env: dict[str, str], count: int, log_dir: Path
) -> list[tuple[subprocess.Popen[bytes], str]]:
    """``count`` ``erpai serve`` processes on free ports; their output goes to serve-N.log."""
    command = [sys.executable, "-m", "erpai.cli.main", "serve", "--host", "127.0.0.1"]
    servers = []
    for n in range(count):
        port = free_port()
        log = (log_dir / f"serve-{n}.log").open("wb")
        process = subprocess.Popen(
            [*command, "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT
        )
        servers.append((wait_until_healthy(process, port), f"http://127.0.0.1:{port}"))
    return servers


def set_up(load: Load, site: Site, shared_rows: int) -> None:
    """Through the API: a model whose Q&As are edited, one to import into, and the Q&As all clients edit."""
    headers = {"Authorization": f"Bearer {site.admin_token}"}
    with httpx.Client(base_url=site.bases[0], headers=headers, timeout=60) as admin:
        ids = [admin.post("/api/v1/models", json={"name": name}).raise_for_status().json()["id"] for name in
               ("Bench edits", "Bench import")]  # fmt: skip
        site.edits_model, site.import_model = int(ids[0]), int(ids[1])
        site.shared_qas = [
            qa for k in range(shared_rows) if (qa := create_qa(load, admin, site, f"qa-shared-{k}", "setup"))
        ]


def warm_up_site(load: Load, site: Site, warm: int, timeout: float) -> tuple[float, float]:
    """Each API process answers each arbiter model once, then the job runners answer ``warm`` mentions.

    Returns the seconds of the two.
    """
    started = time.perf_counter()
    for base in site.bases:
        with httpx.Client(
            base_url=base, headers={"Authorization": f"Bearer {site.world.tokens[0]}"}
        ) as client:
            client.timeout = httpx.Timeout(120)
            for n in range(len(site.world.model_ids)):
                ask(load, client, site, 0, n, kind="warm-up ask")
    return time.perf_counter() - started, warm_up(site.bases[0], site.world, warm, timeout)


def drive(load: Load, site: Site, args: argparse.Namespace, folder: Path) -> float:
    deadline = time.monotonic() + args.deadline
    threads = [
        threading.Thread(target=run_client, args=(load, site, i, args.requests, deadline))
        for i in range(args.clients)
    ]
    threads.append(threading.Thread(target=run_import, args=(load, site, args.import_rows, folder, 1.0)))
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - started


def verify(load: Load, site: Site, comments: dict[int, list[dict[str, object]]]) -> list[str]:
    """Nothing lost: Q&As and their last writes, the import, the asks' hits, comments and mention replies."""
    headers = {"Authorization": f"Bearer {site.admin_token}"}
    with httpx.Client(base_url=site.bases[0], headers=headers, timeout=120) as admin:
        problems = check_qas(admin, load.ledger, site.edits_model)
        problems += check_import(admin, load.ledger, site.import_model)
    problems += check_hits(site.url, load.ledger)
    return problems + check_chat(site.world, replace(load.chat, errors=[]), comments, site.url)


def run(url: str, label: str, args: argparse.Namespace) -> bool:
    log_dir = Path(tempfile.mkdtemp(prefix="erpai-api-bench-"))
    is_pg = url.startswith("postgresql")
    options = argparse.Namespace(pg_concurrency=args.pg_concurrency, no_embedded_worker=is_pg)
    env = server_env(url, str(log_dir), options)
    started = time.perf_counter()
    world = seed(url, args.clients, args.groups)
    compile_seconds = compile_arbiters(url, str(log_dir), world)
    admin_token = add_admin(url)
    servers = start_servers(env, args.pg_apis if is_pg else 1, log_dir)
    workers = start_workers(env, args.pg_workers if is_pg else args.sqlite_workers, log_dir)
    processes = [p for p, _ in servers] + workers
    site = Site(url, [base for _, base in servers], world, admin_token)
    warm = WARM_UP_PER_PROCESS * (len(workers) + (0 if is_pg else 1))
    load = Load(ChatResults(warm_up=warm))
    try:
        set_up(load, site, args.shared_rows)
        cold = warm_up_site(load, site, warm, args.timeout)
        load_started = time.perf_counter()
        wall = drive(load, site, args, log_dir)
        mentions = sum(1 for p in load.chat.posted if p.mentions)
        comments = wait_for_replies(site.bases[0], world, mentions + warm, args.timeout)
        drained = time.perf_counter() - load_started
        load.errors += [
            f"process {p.pid} ({p.args!r}) exited with {p.returncode}"
            for p in processes
            if p.poll() is not None
        ]
        problems = verify(load, site, comments)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)
    shape = f"{len(servers)} erpai serve" + (f" + {len(workers)} erpai worker" if workers else "")
    print(
        f"== {label}: {args.clients} clients x {args.requests} requests; {shape}; {args.groups * 2} arbiters"
    )
    asks = len(site.bases) * len(world.model_ids)
    print(f"compiled the arbiters in {compile_seconds:.0f} s; warm-up: {asks} asks {cold[0]:.1f} s, "
          f"{warm} mentions {cold[1]:.1f} s; logs in {log_dir}")  # fmt: skip
    report(load, world, comments, problems + server_findings(log_dir), (wall, drained))
    print(f"total for {label}: {time.perf_counter() - started:.0f} s")
    return not problems and not load.errors and not load.chat.errors


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--requests", type=int, default=12, help="Requests per client.")
    parser.add_argument("--groups", type=int, default=5, help="Chat groups, with two compiled arbiters each.")
    parser.add_argument("--shared-rows", type=int, default=10, help="Q&As that all clients edit.")
    parser.add_argument("--import-rows", type=int, default=3000)
    parser.add_argument("--deadline", type=float, default=300.0, help="Seconds; later requests are skipped.")
    parser.add_argument(
        "--timeout", type=float, default=300.0, help="Seconds to wait for all mention replies."
    )
    parser.add_argument("--pg-url", default=os.environ.get("ERPAI_TEST_PG_URL", ""))
    parser.add_argument("--pg-apis", type=int, default=2, help="erpai serve processes on PostgreSQL.")
    parser.add_argument("--pg-workers", type=int, default=2, help="erpai worker processes on PostgreSQL.")
    parser.add_argument("--pg-concurrency", type=int, default=0, help="Jobs per PG worker (0: the default).")
    parser.add_argument("--sqlite-workers", type=int, default=0, help="erpai worker processes on SQLite.")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--skip-pg", action="store_true")
    args = parser.parse_args()
    ok = True
    if not args.skip_sqlite:
        ok &= run(f"sqlite:///{tempfile.mkdtemp(prefix='erpai-api-db-')}/bench.db", "SQLite", args)
    if args.pg_url and not args.skip_pg:
        name, url = pg_database(args.pg_url)
        try:
            ok &= run(url, "PostgreSQL", args)
        finally:
            drop_pg_database(args.pg_url, name)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
