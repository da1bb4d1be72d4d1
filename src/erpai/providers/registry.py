"""The kind registry: the only place that knows kind names. Everything else goes by capabilities."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from erpai.errors import InvalidInput
from erpai.providers.base import Capability, ProviderClient
from erpai.providers.config import LocalConfig, OpenAIConfig
from erpai.providers.local import LocalProvider, local_capabilities
from erpai.providers.models import Provider
from erpai.providers.openai_client import OpenAIProvider, openai_capabilities
from erpai.security import decrypt_secret


@dataclass(frozen=True)
class ProviderKind:
    name: str
    config_model: type[BaseModel]
    takes_key: bool
    key_required: Callable[[Any], bool]
    capabilities: Callable[[Any], frozenset[Capability]]
    default_base_model: Callable[[Any], str | None]
    build: Callable[[str, str, Any, str | None], ProviderClient]


def _build_local(name: str, base_model: str, config: Any, _key: str | None) -> ProviderClient:
    return LocalProvider(name=name, base_model=base_model, config=config)


def _build_openai(name: str, base_model: str, config: Any, key: str | None) -> ProviderClient:
    return OpenAIProvider(name=name, base_model=base_model, config=config, api_key=key)


KINDS: dict[str, ProviderKind] = {
    "local": ProviderKind(
        name="local",
        config_model=LocalConfig,
        takes_key=False,
        key_required=lambda _config: False,
        capabilities=local_capabilities,
        default_base_model=lambda config: str(config.embedder),
        build=_build_local,
    ),
    "openai": ProviderKind(
        name="openai",
        config_model=OpenAIConfig,
        takes_key=True,
        # OpenAI's own API always needs a key; self-hosted servers often need none.
        key_required=lambda config: config.base_url is None,
        capabilities=openai_capabilities,
        default_base_model=lambda _config: None,
        build=_build_openai,
    ),
}


def kind_of(name: str) -> ProviderKind:
    spec = KINDS.get(name)
    if spec is None:
        raise InvalidInput(f"unknown provider kind '{name}'; valid kinds: {', '.join(KINDS)}", field="kind")
    return spec


def parse_config(kind: str, raw: dict[str, Any]) -> BaseModel:
    """The kind's config model; a bad value fails with 422 naming ``config.<field>``."""
    try:
        return kind_of(kind).config_model.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        field = f"config.{where}" if where else "config"
        raise InvalidInput(f"{field}: {first['msg']}", field=field) from None


def row_config(row: Provider) -> BaseModel:
    return parse_config(row.kind, json.loads(row.config_json or "{}"))


def capabilities_of(row: Provider) -> frozenset[Capability]:
    return kind_of(row.kind).capabilities(row_config(row))


def build_client(
    kind: str, *, name: str, base_model: str, config: BaseModel, api_key: str | None = None
) -> ProviderClient:
    return kind_of(kind).build(name, base_model, config, api_key)


def get_provider(row: Provider) -> ProviderClient:
    """The client for one configured provider row (decrypts its key in memory only)."""
    key = decrypt_secret(row.api_key_encrypted) if row.api_key_encrypted else None
    return build_client(
        row.kind, name=row.name, base_model=row.base_model_name, config=row_config(row), api_key=key
    )
