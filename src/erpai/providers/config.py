"""Per-kind config models (``extra="forbid"``): what a provider row's ``config_json`` may hold."""

from __future__ import annotations

from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

OPENAI_DEFAULT_EMBEDDING_MODEL = "text-embedding-3-small"


def header_value_error(value: str) -> str | None:
    """Why ``value`` cannot be sent in an HTTP header (API key, organization, URL), or None if it can.

    Only visible ASCII without spaces: anything else makes every call of the provider fail."""
    if not value.isascii():
        return "only ASCII characters can be sent in an HTTP header"
    if any(not (33 <= ord(c) <= 126) for c in value):
        return "spaces and control characters cannot be sent in an HTTP header"
    return None


def default_embedder() -> str:
    """The learning module's default embedder; "default" while that module is absent."""
    try:
        from erpai.learning.embedders import DEFAULT_EMBEDDER
    except ImportError:
        return "default"
    return str(DEFAULT_EMBEDDER)


def _embedder_names() -> tuple[str, ...] | None:
    try:
        from erpai.learning.embedders import EMBEDDER_NAMES
    except ImportError:
        return None
    return tuple(EMBEDDER_NAMES)


class LocalConfig(BaseModel):
    """The embedded provider: no key, no network, embeddings only."""

    model_config = ConfigDict(extra="forbid")

    embedder: str = Field(default_factory=default_embedder, min_length=1, max_length=64)

    @field_validator("embedder")
    @classmethod
    def _known_embedder(cls, value: str) -> str:
        names = _embedder_names()
        if names is not None and value not in names and value != "default":
            raise ValueError(f"unknown embedder {value!r}; valid names: {', '.join(names)}")
        return value


class OpenAIConfig(BaseModel):
    """OpenAI or any OpenAI-compatible server (Azure-style gateway, vLLM, Ollama, llama.cpp)."""

    model_config = ConfigDict(extra="forbid")

    base_url: str | None = Field(default=None, max_length=512, description="Empty: OpenAI's own API.")
    organization: str | None = Field(default=None, max_length=128)
    timeout_seconds: float = Field(default=60.0, gt=0, le=600, description="Per attempt.")
    max_retries: int = Field(default=3, ge=0, le=10, description="Retries after the first attempt.")
    deadline_seconds: float = Field(default=300.0, gt=0, le=3600, description="All attempts and pauses.")
    backoff_base_seconds: float = Field(default=0.5, ge=0, le=60)
    backoff_max_seconds: float = Field(default=8.0, ge=0, le=300)
    retry_after_cap_seconds: float = Field(default=30.0, ge=0, le=600)
    embedding_model: str | None = Field(
        default=None,
        max_length=128,
        description=f"Empty: {OPENAI_DEFAULT_EMBEDDING_MODEL} on OpenAI's own API.",
    )
    embedding_batch_size: int = Field(default=256, ge=1, le=2048)
    build_embeddings: bool = Field(
        default=False,
        description="Builds of this provider's models embed with its embedding model instead of the "
        "built-in encoder.",
    )
    supports_chat: bool = True
    supports_embeddings: bool = True
    supports_fine_tune: bool = True
    supports_tools: bool = Field(
        default=True, description="The chat endpoint accepts tools (function calls)."
    )
    supports_vision: bool = Field(
        default=False,
        description="The chat model reads images (OpenAI image_url content parts), e.g. gpt-4o; ingest sends "
        "a scan to it only when local OCR reads no text.",
    )
    training_price_per_million_tokens: float = Field(default=3.0, ge=0, description="For cost estimates.")
    fine_tune_preferences: bool = Field(
        default=False,
        description="After the supervised fine-tune, a DPO job on the Train AI corrections (where the model "
        "supports it).",
    )

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip().rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        problem = header_value_error(value)
        if problem:
            raise ValueError(f"{problem} (write an international domain name in its xn-- form)")
        try:
            host = urlsplit(value).hostname
        except ValueError:
            host = None
        if not host:
            raise ValueError("must name a host, e.g. http://localhost:11434/v1")
        return value

    @field_validator("organization")
    @classmethod
    def _header_safe(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        problem = header_value_error(value.strip())
        if problem:
            raise ValueError(problem)
        return value.strip()

    @property
    def resolved_embedding_model(self) -> str | None:
        """Self-hosted servers name their embedding model explicitly; OpenAI's API has a default."""
        if self.embedding_model:
            return self.embedding_model
        return OPENAI_DEFAULT_EMBEDDING_MODEL if self.base_url is None else None
