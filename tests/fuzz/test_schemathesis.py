"""Property-based fuzzing of the whole REST API against its own OpenAPI document (schemathesis).

Every operation is called with generated valid and invalid input (the examples, coverage and fuzzing
phases), as an admin and as a plain user, on a SQLite database holding the demo company; jobs run in the
in-process worker as in production on SQLite. Each response must be no 5xx (the catch-all 500 handler
counts as a failure: under the test client the exception itself also fails the test) and must conform to
the documented schema: status code, content type and body.

SQLite only: the fuzz is about the HTTP edge, which is the same on both databases; what differs (integer
column widths) is covered by tests/edge on both. About 8,000 requests in all (most from the coverage
phase's boundary values), about 1.5 CPU-minutes. ``ERPAI_FUZZ_EXAMPLES`` (default 15) raises the generated
examples per operation for a longer local run.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import select
from sqlalchemy.orm import Session

from erpai.api import create_app
from erpai.db import make_engine
from erpai.demo import load_demo
from erpai.jobs.queue import InProcessBackend, get_backend, set_backend
from erpai.migrate import upgrade
from erpai.users.models import User
from erpai.users.service import create_token
from erpai.users.throttle import failed_auth_throttle

EXAMPLES = int(os.environ.get("ERPAI_FUZZ_EXAMPLES", "15"))
# Not negative_data_rejection: pydantic's lax mode accepts "1" for 1 and 0 for false by design.
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
ROLES = ("admin", "maria")  # the demo's admin and a plain user

schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(startup_tasks=False))
schema.config.generation.update(max_examples=EXAMPLES)


@pytest.fixture(scope="module")
def tokens() -> Iterator[dict[str, str]]:
    """A migrated SQLite file with the demo company that every session of the app uses; a token per role."""
    from erpai import db as db_module

    url = f"sqlite:///{(Path(tempfile.mkdtemp(prefix='erpai-fuzz-')) / 'fuzz.db').as_posix()}"
    upgrade(url)
    engine = make_engine(url)
    with Session(engine) as session:
        load_demo(session)
        users = {u.login: u for u in session.scalars(select(User).where(User.login.in_(ROLES)))}
        found = {login: create_token(session, user_id=users[login].id)[1] for login in ROLES}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(db_module, "get_engine", lambda url=None: engine)
        set_backend(InProcessBackend())
        yield found
        assert get_backend().wait_idle(120), "background jobs did not finish"
        set_backend(None)
    engine.dispose()


@pytest.fixture(params=ROLES)
def auth(request: pytest.FixtureRequest, tokens: dict[str, str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens[request.param]}"}


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_api(case: schemathesis.Case, auth: dict[str, str]) -> None:
    failed_auth_throttle.clear()  # a revoked fuzz token must not turn every later case into a 429
    if case.path.endswith("/events"):  # server-sent events: close the stream at once
        case.query = {**(case.query or {}), "timeout": 0.2}
    case.call_and_validate(headers=auth, checks=CHECKS)
