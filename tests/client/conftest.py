from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from tests.live_server import serve_app


@pytest.fixture
def live_url(live_engine: Engine) -> Iterator[str]:
    with serve_app() as url:
        yield url
