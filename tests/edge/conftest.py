from __future__ import annotations

from tests.chat.conftest import stream_client

__all__ = ["stream_client"]
