"""Builders shared by the answering and fine-tune tests: an OpenAI-kind provider on the fake server."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.orm import Session

from erpai.providers.models import Provider
from erpai.security import encrypt_secret, mask_secret
from tests.fakes.openai_server import FakeOpenAI
from tests.providers.conftest import TEST_KEY

__all__ = ["TEST_KEY", "openai_provider", "parse_sse"]


def openai_provider(session: Session, fake: FakeOpenAI, *, name: str = "OpenAI", **config: Any) -> Provider:
    settings = {"base_url": fake.url, "max_retries": 0, "timeout_seconds": 5, **config}
    provider = Provider(
        name=name,
        kind="openai",
        base_model_name="gpt-4o-mini",
        config_json=json.dumps(settings),
        api_key_encrypted=encrypt_secret(TEST_KEY),
        api_key_mask=mask_secret(TEST_KEY),
    )
    session.add(provider)
    session.commit()
    return provider


def parse_sse(text: str) -> list[tuple[str, dict[str, Any]]]:
    """``event:`` / ``data:`` blocks into (event, parsed data), in order."""
    events = []
    for block in text.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        events.append((fields["event"], json.loads(fields["data"])))
    return events
