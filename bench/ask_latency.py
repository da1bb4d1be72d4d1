"""Ask latency with a local build: the service call, the API in process (ASGI, no socket) and real HTTP.

Compiles a CLINC150 model (``--per-intent`` training Q&As of each of the 150 intents; ``--per-intent 100``
is the full 15,000) in a throw-away SQLite database, then asks ``--asks`` test questions (in scope and
out of scope, in a fixed order) one at a time, as one client would, in three ways:

* service: ``answering.service.ask`` in this process (what ``erpai eval`` times);
* API in process: ``POST /api/v1/models/{id}/ask`` through the FastAPI app, bearer token and all, on an event
  loop of this process (``httpx.ASGITransport``: the app as uvicorn runs it, without the socket, every
  request from one task as uvicorn's server task serves them);
* API through TestClient: the same through Starlette's test client (which adds a thread hand-off per request
  to reach its event loop in another thread: the figure the issue's "22 ms in process" was taken with);
* HTTP: the same request to ``uvicorn erpai.api:create_app`` on 127.0.0.1 (keep-alive connection).

Prints p50 / p95 / max per way, with the load average (the figures are upper bounds on a busy machine).

    .venv/bin/python bench/ask_latency.py [--per-intent 20] [--asks 300]

Targets (issue 14): p95 <= 15 ms in process, <= 30 ms through HTTP.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import numpy as np
from fastapi.testclient import TestClient

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from chat_load import free_port, wait_until_healthy  # noqa: E402
from clinc_data import DATA  # noqa: E402
from erpai import evaluation  # noqa: E402
from erpai.answering.service import ask  # noqa: E402
from erpai.api import create_app  # noqa: E402
from erpai.db import session_factory  # noqa: E402
from erpai.evaluation import LabelledQuestion  # noqa: E402
from erpai.users.models import User  # noqa: E402
from erpai.users.service import create_token  # noqa: E402

WARM_UP = 20


def _questions(per_intent: int, asks: int) -> tuple[list[LabelledQuestion], list[str]]:
    data = json.loads(DATA.read_text(encoding="utf-8"))
    taken: dict[str, int] = defaultdict(int)
    train = []
    for text, label in data["train"]:
        if taken[label] < per_intent:
            taken[label] += 1
            train.append(LabelledQuestion(text, label))
    rows = data["test"] + data["oos_test"]
    order = np.random.default_rng(0).permutation(len(rows))[: asks + WARM_UP]
    return train, [rows[i][0] for i in order]


Timings = tuple[list[float], list[float]]  # wall ms, CPU ms of this process per ask


class _Clock:
    """Wall and CPU ms of this process per timed ask."""

    def __init__(self) -> None:
        self.wall: list[float] = []
        self.cpu: list[float] = []

    @contextmanager
    def timing(self) -> Iterator[None]:
        started, used = time.perf_counter(), time.process_time()
        yield
        self.wall.append((time.perf_counter() - started) * 1000)
        self.cpu.append((time.process_time() - used) * 1000)


def _timed(call: Callable[[str], object], questions: list[str]) -> Timings:
    for question in questions[:WARM_UP]:
        call(question)
    clock = _Clock()
    for question in questions[WARM_UP:]:
        with clock.timing():
            call(question)
    return clock.wall, clock.cpu


async def _timed_async(call: Callable[[str], Awaitable[object]], questions: list[str]) -> Timings:
    """:func:`_timed` inside one task of the event loop, as uvicorn serves every request from its server
    task (AnyIO keeps its worker threads while that task runs: one ``run_until_complete`` per request
    would start a new worker thread per request, a cost uvicorn never pays)."""
    for question in questions[:WARM_UP]:
        await call(question)
    clock = _Clock()
    for question in questions[WARM_UP:]:
        with clock.timing():
            await call(question)
    return clock.wall, clock.cpu


def _report(label: str, timings: Timings) -> None:
    """Wall p50 / p95 / max, and the CPU this process spent per ask (all its threads; not for HTTP, where
    the server is another process): on a busy machine the wall figures are upper bounds, CPU ms is what
    an idle core would need."""
    ms, cpu = timings
    p50, p95 = np.percentile(ms, 50), np.percentile(ms, 95)
    load = os.getloadavg()[0]
    line = f"{label:16s} p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  max {max(ms):6.1f} ms"
    if any(cpu):
        line += f"  CPU p50 {np.percentile(cpu, 50):5.1f} ms p95 {np.percentile(cpu, 95):5.1f} ms"
    print(f"{line}  (load {load:.1f})")


def _via_service(model_id: int, user_id: int, questions: list[str]) -> Timings:
    with session_factory()() as session:
        actor = session.get(User, user_id)
        assert actor is not None
        return _timed(
            lambda q: ask(session, actor=actor, model_id=model_id, question=q, channel="bench"), questions
        )


def _post(client: httpx.Client | TestClient, model_id: int) -> Callable[[str], object]:
    def call(question: str) -> object:
        response = client.post(f"/api/v1/models/{model_id}/ask", json={"question": question})
        response.raise_for_status()
        return response.json()

    return call


def _via_asgi(model_id: int, token: str, questions: list[str]) -> Timings:
    transport = httpx.ASGITransport(app=create_app(startup_tasks=False))
    headers = {"Authorization": f"Bearer {token}"}

    async def run() -> Timings:
        async with httpx.AsyncClient(transport=transport, base_url="http://erpai", headers=headers) as client:

            async def call(question: str) -> object:
                response = await client.post(f"/api/v1/models/{model_id}/ask", json={"question": question})
                response.raise_for_status()
                return response.json()

            return await _timed_async(call, questions)

    return asyncio.run(run())


def _via_http(model_id: int, token: str, questions: list[str], directory: str) -> Timings:
    env = {**os.environ, "ERPAI_EMBEDDED_WORKER": "false", "PYTHONPATH": str(ROOT / "src")}
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "erpai.api:create_app", "--factory", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--log-level", "warning"]
    server = subprocess.Popen(command, env=env, cwd=directory)
    try:
        wait_until_healthy(server, port)
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=30) as client:
            return _timed(_post(client, model_id), questions)[0], []
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--per-intent", type=int, default=20, help="Training Q&As per intent (100: all).")
    parser.add_argument("--asks", type=int, default=300)
    args = parser.parse_args()
    train, questions = _questions(args.per_intent, args.asks)
    with tempfile.TemporaryDirectory(prefix="ask-latency-") as tmp:
        evaluation.use_temporary_database(tmp)
        model_id, user_id = evaluation.create_eval_model(train, [], None)
        _, seconds = evaluation.compile_model(model_id, user_id)
        with session_factory()() as session:
            token = create_token(session, user_id=user_id)[1]
            session.commit()
        print(f"model: {len(train)} Q&As, 150 intents, compiled in {seconds:.1f} s; {args.asks} asks per way")
        _report("service", _via_service(model_id, user_id, questions))
        _report("API in process", _via_asgi(model_id, token, questions))
        with TestClient(create_app(startup_tasks=False)) as client:
            client.headers["Authorization"] = f"Bearer {token}"
            _report("API TestClient", _timed(_post(client, model_id), questions))
        _report("HTTP", _via_http(model_id, token, questions, tmp))


if __name__ == "__main__":
    main()
