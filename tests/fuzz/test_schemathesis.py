"""Property-based fuzzing of the whole REST API against its own OpenAPI document (schemathesis).

Every operation is called with generated valid and invalid input, as an admin and as a plain user, on a
SQLite database loaded with the demo company. It asserts that no response is a 5xx (the catch-all 500
handler counts as a failure) and that every response conforms to the documented schema: status code,
content type and body.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy.orm import Session

from erpai.api import create_app
from erpai.db import make_engine
from erpai.demo import load_demo
from erpai.migrate import upgrade
from erpai.users.models import User
from erpai.users.service import create_token

EXAMPLES_PER_OPERATION = 15
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


def _seeded_app() -> tuple[object, dict[str, str]]:
    from erpai import db as db_module

    path = Path(tempfile.mkdtemp(prefix="erpai-fuzz-")) / "fuzz.db"
    url = f"sqlite:///{path.as_posix()}"
    upgrade(url)
    engine = make_engine(url)
    db_module.get_engine = lambda url=None: engine  # type: ignore[assignment]
    with Session(engine) as session:
        load_demo(session)
        tokens = {}
        for login in ("admin", "maria"):
            user = session.query(User).filter_by(login=login).one()
            tokens[login] = create_token(session, user_id=user.id)[1]
        session.commit()
    return create_app(startup_tasks=False), tokens


APP, TOKENS = _seeded_app()
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)
schema.config.generation.update(max_examples=EXAMPLES_PER_OPERATION)


@pytest.fixture(params=["admin", "maria"])
def auth(request: pytest.FixtureRequest) -> Iterator[dict[str, str]]:
    yield {"Authorization": f"Bearer {TOKENS[request.param]}"}


@schema.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck), max_examples=EXAMPLES_PER_OPERATION)
def test_api(case: schemathesis.Case, auth: dict[str, str]) -> None:
    if case.path.endswith("/events"):
        case.query = {**(case.query or {}), "timeout": 0.2}
    case.call_and_validate(headers=auth, checks=CHECKS)
