"""Provider use cases: CRUD with the key encrypted at rest, and the connectivity test."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, SecretStr
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from erpai.audit.service import record_change
from erpai.common import PageParams, fetch_page
from erpai.errors import Conflict, InvalidInput, NotFound
from erpai.providers.base import ProviderClient
from erpai.providers.models import Provider
from erpai.providers.registry import capabilities_of, get_provider, kind_of, parse_config, row_config
from erpai.providers.schemas import ProviderCreate, ProviderRead, ProviderTestResult, ProviderUpdate
from erpai.security import encrypt_secret, mask_secret

MAX_KEY_LENGTH = 4096


def to_read(row: Provider) -> ProviderRead:
    return ProviderRead(
        id=row.id,
        name=row.name,
        kind=row.kind,
        base_model_name=row.base_model_name,
        config=row_config(row).model_dump(mode="json"),
        capabilities=sorted(capabilities_of(row)),
        api_key_mask=row.api_key_mask,
        has_api_key=row.api_key_encrypted is not None,
        notes=row.notes,
        object_version=row.object_version,
        aggregate_last_update_time_utc=row.aggregate_last_update_time_utc,
    )


def get_provider_row(session: Session, *, provider_id: int) -> Provider:
    row = session.get(Provider, provider_id)
    if row is None:
        raise NotFound(f"provider {provider_id} does not exist", field="provider_id")
    return row


def find_provider(session: Session, *, ref: str) -> Provider:
    """A provider by name, or by numeric id when no provider has that name (CLI references)."""
    row = session.scalar(select(Provider).where(Provider.name == ref))
    if row is None and ref.isdigit():
        row = session.get(Provider, int(ref))
    if row is None:
        raise NotFound(f"provider '{ref}' does not exist", field="provider")
    return row


def list_providers(
    session: Session, *, params: PageParams, kind: str | None = None, name: str | None = None
) -> tuple[list[Provider], int]:
    """``name`` matches case-insensitively anywhere in the name."""
    stmt = select(Provider).order_by(Provider.id)
    if kind:
        stmt = stmt.where(Provider.kind == kind)
    if name:
        stmt = stmt.where(func.lower(Provider.name).contains(name.lower(), autoescape=True))
    return fetch_page(session, stmt, params)


def _plain_key(secret: SecretStr | None) -> str | None:
    if secret is None:
        return None
    key = secret.get_secret_value().strip()
    if not key:
        return None
    if len(key) > MAX_KEY_LENGTH or any(ord(c) < 32 for c in key):
        # Never echo the value: say only what is wrong with it.
        raise InvalidInput(
            "api_key: not a plausible API key (too long or control characters)", field="api_key"
        )
    return key


def _check_key_rule(kind: str, config: BaseModel, has_key: bool) -> None:
    spec = kind_of(kind)
    if has_key and not spec.takes_key:
        raise InvalidInput(f"api_key: a '{kind}' provider takes no API key", field="api_key")
    if not has_key and spec.key_required(config):
        raise InvalidInput(f"api_key: a '{kind}' provider with this config needs an API key", field="api_key")


def _check_name_free(session: Session, name: str, *, except_id: int | None = None) -> None:
    found = session.scalar(select(Provider.id).where(Provider.name == name))
    if found is not None and found != except_id:
        raise Conflict(f"a provider named '{name}' already exists", field="name")


def _base_model(kind: str, config: BaseModel, given: str | None) -> str:
    base = given or kind_of(kind).default_base_model(config)
    if not base:
        raise InvalidInput(
            f"base_model_name: a '{kind}' provider needs a base model name", field="base_model_name"
        )
    return base


def create_provider(session: Session, *, data: ProviderCreate, actor_id: int | None) -> Provider:
    config = parse_config(data.kind, data.config)
    key = _plain_key(data.api_key)
    _check_key_rule(data.kind, config, key is not None)
    base_model = _base_model(data.kind, config, data.base_model_name)
    _check_name_free(session, data.name)
    row = Provider(
        name=data.name,
        kind=data.kind,
        base_model_name=base_model,
        config_json=json.dumps(config.model_dump(mode="json", exclude_defaults=True)),
        api_key_encrypted=encrypt_secret(key) if key else None,
        api_key_mask=mask_secret(key) if key else None,
        notes=data.notes,
    )
    session.add(row)
    session.flush()
    changes = {"kind": row.kind, "base_model_name": base_model, "api_key": row.api_key_mask}
    record_change(
        session, user_id=actor_id, entity="provider", entity_id=row.id, action="create", changes=changes
    )
    session.commit()
    return row


def _merged_config(row: Provider, patch: dict[str, Any]) -> BaseModel:
    merged = {**json.loads(row.config_json or "{}"), **patch}
    return parse_config(row.kind, {k: v for k, v in merged.items() if v is not None})


def _new_key(data: ProviderUpdate) -> tuple[bool, str | None]:
    """(key changes?, the new plain key or None to clear)."""
    if "api_key" not in data.model_fields_set:
        return False, None
    return True, _plain_key(data.api_key)


def _check_key_follows_url(row: Provider, config: BaseModel, *, key_changes: bool) -> None:
    """A stored key is never sent to a new address: changing base_url needs the key again."""
    old_url = getattr(row_config(row), "base_url", None)
    if row.api_key_encrypted and not key_changes and getattr(config, "base_url", None) != old_url:
        raise InvalidInput("the base URL changed: enter the API key again (or clear it)", field="api_key")


def update_provider(
    session: Session, *, provider_id: int, data: ProviderUpdate, actor_id: int | None
) -> Provider:
    row = get_provider_row(session, provider_id=provider_id)
    if data.object_version is not None and data.object_version != row.object_version:
        raise Conflict("the provider was changed by someone else; reload it", field="object_version")
    fields = data.model_fields_set
    # Validate everything before touching the row, so a bad field leaves nothing half-written.
    config = _merged_config(row, data.config or {}) if "config" in fields else row_config(row)
    key_changes, key = _new_key(data)
    _check_key_follows_url(row, config, key_changes=key_changes)
    _check_key_rule(row.kind, config, key is not None if key_changes else row.api_key_encrypted is not None)
    changes: dict[str, Any] = {}
    if "name" in fields and data.name is not None and data.name != row.name:
        _check_name_free(session, data.name, except_id=row.id)
        changes["name"] = data.name
    if "base_model_name" in fields:
        changes["base_model_name"] = _base_model(row.kind, config, data.base_model_name)
    if "notes" in fields:
        changes["notes"] = data.notes
    for attr, value in changes.items():
        setattr(row, attr, value)
    if "config" in fields:
        row.config_json = json.dumps(config.model_dump(mode="json", exclude_defaults=True))
        changes["config"] = data.config
    if key_changes:
        row.api_key_encrypted = encrypt_secret(key) if key else None
        row.api_key_mask = mask_secret(key) if key else None
        changes["api_key"] = row.api_key_mask or "cleared"
    record_change(
        session, user_id=actor_id, entity="provider", entity_id=row.id, action="update", changes=changes
    )
    session.commit()
    return row


def delete_provider(session: Session, *, provider_id: int, actor_id: int | None) -> Provider:
    from erpai.ai_models.models import AIModel

    row = get_provider_row(session, provider_id=provider_id)
    users = list(
        session.scalars(select(AIModel.name).where(AIModel.provider_id == row.id).order_by(AIModel.id))
    )
    if users:
        raise Conflict(
            f"provider '{row.name}' is used by {len(users)} model(s): {', '.join(users[:10])}",
            field="provider_id",
        )
    session.delete(row)
    record_change(session, user_id=actor_id, entity="provider", entity_id=provider_id, action="delete")
    session.commit()
    return row


def client_for(session: Session, *, provider_id: int) -> ProviderClient:
    return get_provider(get_provider_row(session, provider_id=provider_id))


def probe_provider(row: Provider) -> ProviderTestResult:
    report = get_provider(row).probe()
    return ProviderTestResult(
        provider=row.name,
        ok=report.ok,
        chat=report.chat,
        embeddings=report.embeddings,
        fine_tune=report.fine_tune,
        models=report.models[:50],
        messages=report.messages,
    )
