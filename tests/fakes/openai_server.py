"""A real HTTP server on 127.0.0.1 that speaks the OpenAI wire format, for tests (the SDK is never patched).

    with FakeOpenAI() as fake:                      # or the ``fake_openai`` fixture
        client = openai.OpenAI(base_url=fake.url, api_key="sk-test", max_retries=0)
        fake.fail("POST /v1/chat/completions", status=429, retry_after="1", times=2)
        fake.chat_reply = "scripted answer"         # or a callable(messages) -> str; default: an echo
        fake.tool_rounds = [[("search_knowledge", {"query": "x"})]]  # tool calls to make when tools are sent
        fake.script("first", "second")              # the next chat answers, in order, before chat_reply
        fake.chat_delay = 0.5                       # every chat answer waits this long (a slow model)
        fake.requests                               # what it received, in order

It records every request, can fail each route in each way (status + error code, ``Retry-After``, a hang),
and runs fine-tune jobs that advance one state per retrieve and end as ``job_outcome`` says.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import default as email_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

ChatReply = str | Callable[[list[dict[str, Any]]], str] | None


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    raw: bytes = b""


@dataclass
class Failure:
    status: int = 500
    code: str | None = None
    message: str = "simulated failure"
    retry_after: str | None = None
    hang: float | None = None  # wait this long, then answer normally (the client should have timed out)
    times: int = 1


@dataclass
class FakeJob:
    id: str
    model: str
    training_file: str
    suffix: str | None
    method: Any
    created_at: int
    steps: list[str]
    outcome: str
    status: str = "validating_files"
    events: list[str] = field(default_factory=list)

    def payload(self) -> dict[str, Any]:
        done = self.status == "succeeded"
        error = (
            {"code": "invalid_training_file", "message": "the training file failed validation", "param": None}
            if self.status == "failed"
            else None
        )
        return {
            "id": self.id,
            "object": "fine_tuning.job",
            "created_at": self.created_at,
            "finished_at": self.created_at + 60
            if self.status in ("succeeded", "failed", "cancelled")
            else None,
            "model": self.model,
            "fine_tuned_model": f"ft:{self.model}:erpai:{self.suffix or 'x'}:{self.id[-6:]}"
            if done
            else None,
            "organization_id": "org-fake",
            "status": self.status,
            "training_file": self.training_file,
            "validation_file": None,
            "hyperparameters": {"n_epochs": 3, "batch_size": 1, "learning_rate_multiplier": 1.0},
            "result_files": [],
            "trained_tokens": 1234 if done else None,
            "error": error,
            "seed": 42,
            "method": self.method,
        }


class FakeOpenAI:
    def __init__(self, *, api_key: str | None = None) -> None:
        self.api_key = api_key  # when set, any other bearer gets 401 (whose message echoes what was sent)
        self.requests: list[Recorded] = []
        self.chat_reply: ChatReply = None
        # Rounds of tool calls to make, in order, when a chat request offers tools: each round is a list of
        # (function name, arguments); once they are used up (or no tools are offered) the reply is text.
        self.tool_rounds: list[list[tuple[str, dict[str, Any]]]] = []
        self.chat_delay = 0.0
        self._script: list[str] = []
        self.embedding_dim = 8
        self.models = ["gpt-4o-mini", "text-embedding-3-small"]
        self.job_outcome = "succeeded"
        self.job_steps = ["validating_files", "queued", "running"]
        self.jobs: dict[str, FakeJob] = {}
        self.files: dict[str, dict[str, Any]] = {}
        self._failures: dict[str, list[Failure]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- control ------------------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self._server is not None, "start the server first"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def fail(self, route: str, *, times: int = 1, **failure: Any) -> None:
        """``route`` is "METHOD /v1/path" (a path prefix), e.g. "POST /v1/fine_tuning/jobs"."""
        with self._lock:
            self._failures.setdefault(route, []).append(Failure(times=times, **failure))

    def requests_to(self, method: str, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == method and r.path == path]

    def start(self) -> FakeOpenAI:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-openai", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()  # releases hanging handlers
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    # -- behaviour ----------------------------------------------------------------------------------------

    def take_failure(self, method: str, path: str) -> Failure | None:
        with self._lock:
            for route, queue in self._failures.items():
                route_method, _, prefix = route.partition(" ")
                if route_method in (method, "*") and path.startswith(prefix) and queue:
                    failure = queue[0]
                    failure.times -= 1
                    if failure.times <= 0:
                        queue.pop(0)
                    return failure
        return None

    def take_tool_round(self, body: dict[str, Any]) -> list[tuple[str, dict[str, Any]]] | None:
        offered = {t["function"]["name"] for t in body.get("tools") or []}
        with self._lock:
            if not offered or not self.tool_rounds:
                return None
            return self.tool_rounds.pop(0)

    def script(self, *answers: str) -> None:
        """The next chat calls answer these, in order (then ``chat_reply`` again)."""
        with self._lock:
            self._script.extend(answers)

    def chat_calls(self) -> list[Recorded]:
        return self.requests_to("POST", "/v1/chat/completions")

    def reply_for(self, messages: list[dict[str, Any]]) -> str:
        with self._lock:
            scripted = self._script.pop(0) if self._script else None
        if scripted is not None:
            return scripted
        if callable(self.chat_reply):
            return self.chat_reply(messages)
        if isinstance(self.chat_reply, str):
            return self.chat_reply
        users = [m.get("content", "") for m in messages if m.get("role") == "user"]
        return f"echo: {users[-1] if users else ''}"

    def vector(self, text: str) -> list[float]:
        digest = hashlib.sha256(text.encode()).digest()
        return [(digest[i % len(digest)] - 127.5) / 127.5 for i in range(self.embedding_dim)]

    def new_job(self, body: dict[str, Any]) -> FakeJob:
        with self._lock:
            job_id = f"ftjob-{len(self.jobs) + 1:06d}"
            job = FakeJob(
                id=job_id,
                model=body["model"],
                training_file=body["training_file"],
                suffix=body.get("suffix"),
                method=body.get("method"),
                created_at=int(time.time()),
                steps=list(self.job_steps),
                outcome=self.job_outcome,
                status=self.job_steps[0] if self.job_steps else self.job_outcome,
            )
            job.events.append(f"Created fine-tuning job: {job_id}")
            self.jobs[job_id] = job
            return job

    def advance(self, job: FakeJob) -> None:
        """One state per retrieve: validating_files -> queued -> running -> the outcome."""
        if job.status in ("succeeded", "failed", "cancelled"):
            return
        index = job.steps.index(job.status) if job.status in job.steps else len(job.steps)
        job.status = job.steps[index + 1] if index + 1 < len(job.steps) else job.outcome
        job.events.append(f"Job status is now {job.status}")


def _handler_for(fake: FakeOpenAI) -> type[BaseHTTPRequestHandler]:
    from tests.fakes.openai_routes import OpenAIHandler

    return type("BoundOpenAIHandler", (OpenAIHandler,), {"fake": fake})


def parse_multipart(content_type: str, raw: bytes) -> dict[str, Any]:
    message = BytesParser(policy=email_policy).parsebytes(
        f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode() + raw
    )
    fields: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        payload = payload if isinstance(payload, bytes) else b""
        filename = part.get_filename()
        fields[str(name)] = {"filename": filename, "content": payload} if filename else payload.decode()
    return fields


def dumps(value: Any) -> bytes:
    return json.dumps(value).encode()
