from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from erpai.common import Count, Notes, ORMModel, Text, UTCDateTime
from erpai.limits import API_KEY_MAX, NAME_MAX

NAME_PATTERN = r"^[^\x00-\x1f]+$"
ProviderName = Annotated[str, Text(min_length=1, max_length=NAME_MAX, pattern=NAME_PATTERN)]
Kind = Annotated[str, Text(min_length=1, max_length=32)]
BaseModelName = Annotated[str, Text(min_length=1, max_length=64)]
ApiKey = Annotated[SecretStr, Field(max_length=API_KEY_MAX, json_schema_extra={"writeOnly": True})]


class ProviderCreate(BaseModel):
    """``api_key`` is write-only: it is encrypted at rest and only its mask is ever shown."""

    model_config = ConfigDict(extra="forbid")

    name: ProviderName
    kind: Kind = "openai"
    base_model_name: BaseModelName | None = None
    config: dict[str, Any] = Field(default_factory=dict)
    api_key: ApiKey | None = None
    notes: Notes | None = None


class ProviderUpdate(BaseModel):
    """``config`` is merged into the stored config (a ``null`` value restores that key's default);
    ``api_key`` replaces the key, ``"api_key": null`` clears it, leaving it out keeps it, except that a
    change of ``config.base_url`` clears the stored key unless the same request sets one (``notices``
    in the answer says so): a key is never sent to a host it was not given for."""

    model_config = ConfigDict(extra="forbid")

    name: ProviderName | None = None
    base_model_name: BaseModelName | None = None
    config: dict[str, Any] | None = None
    api_key: ApiKey | None = None
    notes: Notes | None = None
    object_version: Count | None = Field(default=None, description="Optimistic lock: the version you read.")


class ProviderRead(ORMModel):
    id: int
    name: str
    kind: str
    base_model_name: str
    config: dict[str, Any]
    capabilities: list[str]
    api_key_mask: str | None
    has_api_key: bool
    notes: str | None
    object_version: int
    aggregate_last_update_time_utc: UTCDateTime | None
    notices: list[str] = Field(
        default_factory=list, description="What a change did besides what was asked, e.g. a cleared key."
    )


class ProviderTestResult(BaseModel):
    provider: str
    ok: bool
    chat: bool | None
    embeddings: bool | None
    fine_tune: bool | None
    models: list[str]
    messages: list[str]
