"""The OpenAI (and OpenAI-compatible) provider, through the official SDK with erpai's own resilience."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import httpx2
import numpy as np
import openai

from erpai.providers.base import (
    Capability,
    ChatMessage,
    ChatOutcome,
    ChatResult,
    ErrorCode,
    FineTuneJob,
    ProbeReport,
    ProviderClient,
    ProviderError,
    ToolCall,
    ToolRunner,
    ToolSpec,
    require_capability,
)
from erpai.providers.config import OpenAIConfig
from erpai.providers.resilience import Redactor, Retrier, RetryPolicy, classify, to_provider_error

OPENAI_API_URL = "https://api.openai.com/v1"
# Self-hosted servers often need no key, but the SDK insists on one (vLLM's convention is "EMPTY").
NO_KEY_PLACEHOLDER = "EMPTY"


def openai_capabilities(config: OpenAIConfig) -> frozenset[Capability]:
    found: set[Capability] = set()
    if config.supports_chat:
        found.add("chat")
    if config.supports_embeddings and config.resolved_embedding_model:
        found.add("embeddings")
    if config.supports_fine_tune:
        found.add("fine_tune")
    if config.supports_chat and config.supports_tools:
        found.add("tools")
    if config.supports_chat and config.supports_vision:
        found.add("vision")
    return frozenset(found)


def _job(job: Any) -> FineTuneJob:
    raw = job.model_dump() if hasattr(job, "model_dump") else dict(job)
    error = raw.get("error") or None
    message = error.get("message") if isinstance(error, dict) else None
    return FineTuneJob(
        id=raw["id"],
        status=raw.get("status", ""),
        model=raw.get("model", ""),
        fine_tuned_model=raw.get("fine_tuned_model"),
        error=message or (error.get("code") if isinstance(error, dict) else None),
        trained_tokens=raw.get("trained_tokens"),
        raw=raw,
    )


class OpenAIProvider(ProviderClient):
    kind = "openai"

    def __init__(
        self,
        *,
        name: str,
        base_model: str,
        config: OpenAIConfig,
        api_key: str | None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        http_client: httpx2.Client | None = None,
    ) -> None:
        super().__init__(name=name, base_model=base_model)
        self.config = config
        self.capabilities = openai_capabilities(config)
        self._redact = Redactor(api_key)
        self._retrier = Retrier(self.policy(config), name, self._redact, sleep=sleep, clock=clock)
        self._sdk = openai.OpenAI(
            base_url=config.base_url or OPENAI_API_URL,
            api_key=api_key or NO_KEY_PLACEHOLDER,
            organization=config.organization,
            timeout=config.timeout_seconds,
            max_retries=0,
            http_client=http_client,
        )

    @staticmethod
    def policy(config: OpenAIConfig) -> RetryPolicy:
        return RetryPolicy(
            max_attempts=config.max_retries + 1,
            timeout_seconds=config.timeout_seconds,
            deadline_seconds=config.deadline_seconds,
            backoff_base_seconds=config.backoff_base_seconds,
            backoff_max_seconds=config.backoff_max_seconds,
            retry_after_cap_seconds=config.retry_after_cap_seconds,
        )

    def close(self) -> None:
        self._sdk.close()

    # -- chat -------------------------------------------------------------------------------------------

    def _chat_args(
        self, messages: Sequence[ChatMessage], model: str | None, temperature: float, max_tokens: int | None
    ) -> dict[str, Any]:
        args: dict[str, Any] = {
            "model": model or self.base_model,
            "messages": [dict(m) for m in messages],
            "temperature": temperature,
        }
        if max_tokens is not None:
            # OpenAI's own API deprecated max_tokens; compatible servers mostly only know max_tokens.
            args["max_tokens" if self.config.base_url else "max_completion_tokens"] = max_tokens
        return args

    def chat(
        self,
        messages: Sequence[ChatMessage],
        *,
        model: str | None = None,
        temperature: float = 0.2,
        max_tokens: int | None = None,
    ) -> str:
        require_capability(self, "chat")
        args = self._chat_args(messages, model, temperature, max_tokens)

        def call(timeout: float) -> str:
            response = self._sdk.chat.completions.create(**args, timeout=timeout)
            if not response.choices:
                return ""
            return response.choices[0].message.content or ""

        return self._retrier.run("chat", call)

    def chat_with_tools(
        self,
        messages: Sequence[ChatMessage],
        *,
        tools: Sequence[ToolSpec],
        run_tool: ToolRunner,
        model: str | None = None,
        max_rounds: int = 4,
        temperature: float = 0.2,
    ) -> ChatOutcome:
        """Sends the tools with the chat; runs each call the model makes and sends the results back, until
        it answers in text (or ``max_rounds`` rounds of calls were made: the last request has no tools)."""
        require_capability(self, "tools" if tools else "chat")
        conversation = [dict(m) for m in messages]
        outcome = ChatOutcome(text="")
        for round_number in range(max_rounds + 1):
            args = self._chat_args(conversation, model, temperature, None)
            if tools and round_number < max_rounds:
                args["tools"] = [_tool_payload(tool) for tool in tools]
            response = self._complete(args)
            outcome.raw.append(response.model_dump(mode="json", exclude_none=True))
            _add_usage(outcome.usage, response.usage)
            message = response.choices[0].message if response.choices else None
            calls = [c for c in (message.tool_calls or []) if c.type == "function"] if message else []
            if message is None or not calls:
                outcome.text = (message.content if message is not None else None) or ""
                return outcome
            conversation.append(message.model_dump(mode="json", exclude_none=True))
            for call in calls:
                name, arguments = call.function.name, call.function.arguments or "{}"
                result = run_tool(name, arguments)
                outcome.tool_calls.append(ToolCall(id=call.id, name=name, arguments=arguments, result=result))
                conversation.append({"role": "tool", "tool_call_id": call.id, "content": result})
        return outcome

    def _complete(self, args: dict[str, Any]) -> Any:
        def call(timeout: float) -> Any:
            return self._sdk.chat.completions.create(**args, timeout=timeout)

        return self._retrier.run("chat", call)

    def chat_once(
        self,
        messages: Sequence[ChatMessage],
        *,
        model: str | None,
        temperature: float,
        max_tokens: int | None,
        timeout_s: float | None,
        json_schema: dict[str, Any] | None,
    ) -> ChatResult:
        """One chat call with token counts; with ``timeout_s`` every attempt and pause fits inside it."""
        require_capability(self, "chat")
        args = self._chat_args(messages, model, temperature, max_tokens)
        if json_schema is not None:
            args["response_format"] = {"type": "json_object"}
        retrier = self._retrier
        if timeout_s is not None:
            bounded = replace(
                retrier.policy,
                timeout_seconds=min(retrier.policy.timeout_seconds, timeout_s),
                deadline_seconds=timeout_s,
            )
            retrier = replace(retrier, policy=bounded)

        def call(timeout: float) -> ChatResult:
            response = self._sdk.chat.completions.create(**args, timeout=timeout)
            usage = response.usage
            text = (response.choices[0].message.content or "") if response.choices else ""
            return ChatResult(
                text,
                prompt_tokens=usage.prompt_tokens if usage else None,
                completion_tokens=usage.completion_tokens if usage else None,
            )

        return retrier.run("chat", call)

    def chat_stream(
        self,
        messages: Sequence[ChatMessage],
        *,
        model: str | None = None,
        temperature: float = 0.2,
        max_tokens: int | None = None,
    ) -> Iterator[str]:
        """Opens the stream now (so connection and HTTP errors raise here, retried), then yields deltas.

        Retries stop at the first token: a broken stream raises :class:`ProviderError` mid-iteration.
        """
        require_capability(self, "chat")
        args = self._chat_args(messages, model, temperature, max_tokens)
        stream = self._retrier.run(
            "chat", lambda timeout: self._sdk.chat.completions.create(**args, stream=True, timeout=timeout)
        )
        return self._deltas(stream)

    def _deltas(self, stream: Any) -> Iterator[str]:
        try:
            for chunk in stream:
                if chunk.choices and chunk.choices[0].delta.content:
                    yield chunk.choices[0].delta.content
        except (openai.OpenAIError, httpx2.HTTPError) as exc:
            raise self._stream_error(exc) from None
        finally:
            stream.close()

    def _stream_error(self, exc: BaseException) -> ProviderError:
        if isinstance(exc, openai.OpenAIError):
            return to_provider_error(exc, provider=self.name, operation="chat stream", redact=self._redact)
        code: ErrorCode = "timeout" if isinstance(exc, httpx2.TimeoutException) else "unavailable"
        return ProviderError(
            f"provider '{self.name}' chat stream: the stream broke off ({type(exc).__name__})", code=code
        )

    # -- embeddings -------------------------------------------------------------------------------------

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """L2-normalised float32 ``(n, dim)``, in batches of ``embedding_batch_size``."""
        require_capability(self, "embeddings")
        items = [texts] if isinstance(texts, str) else list(texts)
        if not items:
            return np.zeros((0, 0), dtype=np.float32)
        model = self.config.resolved_embedding_model or ""
        size = self.config.embedding_batch_size
        rows: list[list[float]] = []
        for start in range(0, len(items), size):
            batch = items[start : start + size]

            def call(timeout: float, batch: list[str] = batch) -> list[list[float]]:
                response = self._sdk.embeddings.create(model=model, input=batch, timeout=timeout)
                return [list(d.embedding) for d in sorted(response.data, key=lambda d: d.index)]

            rows.extend(self._retrier.run("embeddings", call))
        matrix = np.asarray(rows, dtype=np.float32)
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        normalised: np.ndarray = (matrix / np.maximum(norms, 1e-12)).astype(np.float32, copy=False)
        return normalised

    # -- fine-tuning ------------------------------------------------------------------------------------

    def upload_training_file(self, jsonl: bytes, filename: str) -> str:
        require_capability(self, "fine_tune")

        def call(timeout: float) -> str:
            uploaded = self._sdk.files.create(
                file=(filename, jsonl, "application/jsonl"), purpose="fine-tune", timeout=timeout
            )
            return str(uploaded.id)

        return self._retrier.run("file upload", call, idempotent=False)

    def create_fine_tune(
        self,
        training_file_id: str,
        *,
        model: str | None = None,
        suffix: str | None = None,
        method: dict[str, Any] | None = None,
    ) -> FineTuneJob:
        require_capability(self, "fine_tune")
        args: dict[str, Any] = {"training_file": training_file_id, "model": model or self.base_model}
        if suffix:
            args["suffix"] = suffix[:64]
        if method:
            args["method"] = method
        return self._retrier.run(
            "fine-tune create",
            lambda timeout: _job(self._sdk.fine_tuning.jobs.create(**args, timeout=timeout)),
            idempotent=False,
        )

    def retrieve_fine_tune(self, job_id: str) -> FineTuneJob:
        require_capability(self, "fine_tune")
        return self._retrier.run(
            "fine-tune status",
            lambda timeout: _job(self._sdk.fine_tuning.jobs.retrieve(job_id, timeout=timeout)),
        )

    def list_fine_tune_events(self, job_id: str, *, limit: int = 50) -> list[str]:
        """The job's latest ``limit`` events, oldest first, as ``"<UTC time> <message>"`` lines."""
        require_capability(self, "fine_tune")

        def call(timeout: float) -> list[str]:
            page = self._sdk.fine_tuning.jobs.list_events(job_id, limit=limit, timeout=timeout)
            return [_event_line(e) for e in reversed(list(page.data))]

        return self._retrier.run("fine-tune events", call)

    def cancel_fine_tune(self, job_id: str) -> FineTuneJob:
        require_capability(self, "fine_tune")
        return self._retrier.run(
            "fine-tune cancel",
            lambda timeout: _job(self._sdk.fine_tuning.jobs.cancel(job_id, timeout=timeout)),
        )

    # -- probe ------------------------------------------------------------------------------------------

    def probe(self) -> ProbeReport:
        from erpai.providers.probe import probe_openai

        return probe_openai(self, self._sdk, self._retrier)


def _tool_payload(tool: ToolSpec) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {"name": tool.name, "description": tool.description, "parameters": tool.parameters},
    }


def _add_usage(total: dict[str, int], usage: Any) -> None:
    if usage is None:
        return
    for key in ("prompt_tokens", "completion_tokens", "total_tokens"):
        total[key] = total.get(key, 0) + int(getattr(usage, key, 0) or 0)


def _event_line(event: Any) -> str:
    when = datetime.fromtimestamp(int(getattr(event, "created_at", 0) or 0), UTC).strftime(
        "%Y-%m-%d %H:%M:%S"
    )
    return f"{when} {getattr(event, 'message', '')}"


__all__ = ["NO_KEY_PLACEHOLDER", "OpenAIProvider", "classify", "openai_capabilities"]
