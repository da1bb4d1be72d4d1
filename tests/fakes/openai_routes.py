"""The request handler of :class:`tests.fakes.openai_server.FakeOpenAI`: one method per OpenAI route."""

from __future__ import annotations

import contextlib
import json
import re
import time
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any, ClassVar

from tests.fakes.openai_server import Recorded, dumps, parse_multipart

if TYPE_CHECKING:
    from tests.fakes.openai_server import FakeJob, FakeOpenAI

_JOB = re.compile(r"^/v1/fine_tuning/jobs/(?P<id>[^/]+)(?P<rest>/events|/cancel)?$")


class OpenAIHandler(BaseHTTPRequestHandler):
    fake: ClassVar[FakeOpenAI]
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go in separate writes: no 40 ms delayed-ACK stall

    def log_message(self, format: str, *args: Any) -> None:  # quiet test output
        return

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    # -- plumbing -----------------------------------------------------------------------------------------

    def _dispatch(self, method: str) -> None:
        path = self.path.split("?", 1)[0]
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = self._body(raw)
        self.fake.requests.append(
            Recorded(method, path, {k.lower(): v for k, v in self.headers.items()}, body, raw)
        )
        if not self._authorised():
            return
        failure = self.fake.take_failure(method, path)
        if failure is not None and failure.hang is None:
            headers = {"Retry-After": failure.retry_after} if failure.retry_after is not None else {}
            self._error(failure.status, failure.message, failure.code, headers)
            return
        if failure is not None and failure.hang is not None and self.fake._stop.wait(failure.hang):
            return
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up (timeout)
            self._route(method, path, body)

    def _body(self, raw: bytes) -> Any:
        content_type = self.headers.get("Content-Type", "")
        if content_type.startswith("multipart/form-data"):
            return parse_multipart(content_type, raw)
        try:
            return json.loads(raw) if raw else None
        except json.JSONDecodeError:
            return raw.decode(errors="replace")

    def _authorised(self) -> bool:
        expected = self.fake.api_key
        sent = self.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if expected is None or sent == expected:
            return True
        # Like some gateways, echo what was sent: erpai must redact it before it reaches a message or a log.
        self._error(401, f"Incorrect API key provided: {sent}.", "invalid_api_key")
        return False

    def _json(self, payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> None:
        data = dumps(payload)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def _error(
        self, status: int, message: str, code: str | None, headers: dict[str, str] | None = None
    ) -> None:
        kind = "rate_limit_error" if status == 429 else "invalid_request_error"
        self._json(
            {"error": {"message": message, "type": kind, "param": None, "code": code}}, status, headers
        )

    def _route(self, method: str, path: str, body: Any) -> None:
        routes = {
            ("GET", "/v1/models"): self._models,
            ("POST", "/v1/chat/completions"): self._chat,
            ("POST", "/v1/embeddings"): self._embeddings,
            ("POST", "/v1/files"): self._files,
            ("POST", "/v1/fine_tuning/jobs"): self._create_job,
            ("GET", "/v1/fine_tuning/jobs"): self._list_jobs,
        }
        handler = routes.get((method, path))
        if handler is not None:
            handler(body)
            return
        match = _JOB.match(path)
        job = self.fake.jobs.get(match["id"]) if match else None
        if match is None or job is None:
            self._error(404, f"no route or object for {method} {path}", None)
            return
        rest = match["rest"] or ""
        {"GET": self._job, "GET/events": self._events, "POST/cancel": self._cancel}.get(
            method + rest, lambda _job: self._error(404, "no such route", None)
        )(job)

    # -- routes -------------------------------------------------------------------------------------------

    def _models(self, _: Any) -> None:
        data = [{"id": m, "object": "model", "created": 0, "owned_by": "fake"} for m in self.fake.models]
        self._json({"object": "list", "data": data})

    def _chat(self, body: dict[str, Any]) -> None:
        if self.fake.chat_delay and self.fake._stop.wait(self.fake.chat_delay):
            return
        calls = self.fake.take_tool_round(body)
        if calls is not None:
            self._tool_calls(body["model"], calls)
            return
        reply = self.fake.reply_for(body.get("messages", []))
        if body.get("stream"):
            self._stream(body["model"], reply)
            return
        self._json(
            {
                "id": "chatcmpl-fake",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body["model"],
                "choices": [
                    {"index": 0, "message": {"role": "assistant", "content": reply}, "finish_reason": "stop"}
                ],
                "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
            }
        )

    def _tool_calls(self, model: str, calls: list[tuple[str, dict[str, Any]]]) -> None:
        tool_calls = [
            {"id": f"call_{i}", "type": "function", "function": {"name": name, "arguments": json.dumps(args)}}
            for i, (name, args) in enumerate(calls)
        ]
        message = {"role": "assistant", "content": None, "tool_calls": tool_calls}
        self._json(
            {
                "id": "chatcmpl-fake-tools",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": model,
                "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls"}],
                "usage": {"prompt_tokens": 20, "completion_tokens": 3, "total_tokens": 23},
            }
        )

    def _stream(self, model: str, reply: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Connection", "close")
        self.end_headers()
        pieces = re.findall(r"\S+\s*", reply) or [""]
        for index, piece in enumerate(pieces):
            delta = {"role": "assistant", "content": piece} if index == 0 else {"content": piece}
            self._sse(model, delta, None)
        self._sse(model, {}, "stop")
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()
        self.close_connection = True

    def _sse(self, model: str, delta: dict[str, Any], finish: str | None) -> None:
        chunk = {
            "id": "chatcmpl-fake",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }
        self.wfile.write(b"data: " + dumps(chunk) + b"\n\n")
        self.wfile.flush()

    def _embeddings(self, body: dict[str, Any]) -> None:
        texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
        data = [
            {"object": "embedding", "index": i, "embedding": self.fake.vector(t)} for i, t in enumerate(texts)
        ]
        usage = {"prompt_tokens": len(texts), "total_tokens": len(texts)}
        self._json({"object": "list", "data": data, "model": body["model"], "usage": usage})

    def _files(self, body: dict[str, Any]) -> None:
        upload = body["file"]
        file_id = f"file-{len(self.fake.files) + 1:06d}"
        self.fake.files[file_id] = {"purpose": body.get("purpose"), **upload}
        self._json(
            {
                "id": file_id,
                "object": "file",
                "bytes": len(upload["content"]),
                "created_at": int(time.time()),
                "filename": upload["filename"],
                "purpose": body.get("purpose"),
                "status": "processed",
            }
        )

    def _create_job(self, body: dict[str, Any]) -> None:
        if body.get("training_file") not in self.fake.files:
            self._error(400, f"invalid training_file: {body.get('training_file')}", "invalid_training_file")
            return
        self._json(self.fake.new_job(body).payload())

    def _list_jobs(self, _: Any) -> None:
        data = [job.payload() for job in self.fake.jobs.values()]
        self._json({"object": "list", "data": data, "has_more": False})

    def _job(self, job: FakeJob) -> None:
        self.fake.advance(job)
        self._json(job.payload())

    def _events(self, job: FakeJob) -> None:
        events = [
            {
                "object": "fine_tuning.job.event",
                "id": f"ftevent-{i}",
                "created_at": job.created_at + i,
                "level": "info",
                "message": text,
                "type": "message",
            }
            for i, text in enumerate(job.events)
        ]
        self._json({"object": "list", "data": list(reversed(events)), "has_more": False})

    def _cancel(self, job: FakeJob) -> None:
        if job.status not in ("succeeded", "failed", "cancelled"):
            job.status = "cancelled"
            job.events.append("Job was cancelled")
        self._json(job.payload())
