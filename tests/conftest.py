"""Test fixtures: every DB test runs on SQLite and, when ERPAI_TEST_PG_URL is set, on PostgreSQL.

Each test gets a session inside an outer transaction that is rolled back afterwards; the
services' own commits only release savepoints. ``committed_engine`` is for tests whose work
runs in other sessions (background jobs): it truncates every table afterwards.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

_DATA_DIR = tempfile.mkdtemp(prefix="erpai-test-")
os.environ["ERPAI_DATA_DIR"] = _DATA_DIR
os.environ.setdefault("ERPAI_SECRET_KEY", "")
# Servers and workers the tests start do not load the encoders in the background (tests that need them
# load them when used); tests of the warm-up turn it on.
os.environ.setdefault("ERPAI_WARM_UP_ENCODERS", "false")

import pytest  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import Engine, create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from erpai.api import create_app  # noqa: E402
from erpai.db import get_session, make_engine  # noqa: E402
from erpai.migrate import upgrade  # noqa: E402
from erpai.models_registry import Base  # noqa: E402
from erpai.permissions.models import ModelGrant  # noqa: E402
from erpai.users.models import User  # noqa: E402
from erpai.users.schemas import UserCreate  # noqa: E402
from erpai.users.service import create_token, create_user  # noqa: E402

PG_URL = os.environ.get("ERPAI_TEST_PG_URL", "")
BACKENDS = ["sqlite", "postgresql"] if PG_URL else ["sqlite"]


def _create_pg_database() -> tuple[str, str]:
    name = f"erpai_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return name, make_url(PG_URL).set(database=name).render_as_string(hide_password=False)


def _drop_pg_database(name: str) -> None:
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    if request.param == "sqlite":
        url = f"sqlite:///{tempfile.mkdtemp(prefix='erpai-db-')}/test.db"
        eng = make_engine(url)
        upgrade(url)
        yield eng
        eng.dispose()
        return
    name, url = _create_pg_database()
    eng = make_engine(url)
    upgrade(url)
    yield eng
    eng.dispose()
    _drop_pg_database(name)


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    connection = engine.connect()
    outer = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield session
    finally:
        session.close()
        outer.rollback()
        connection.close()


@pytest.fixture
def committed_engine(engine: Engine) -> Iterator[Engine]:
    """For work done by other sessions (jobs, threads): real commits, every table emptied afterwards."""
    yield engine
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture
def client(db: Session) -> Iterator[TestClient]:
    app = create_app(startup_tasks=False)
    app.dependency_overrides[get_session] = lambda: db
    with TestClient(app) as test_client:
        yield test_client


def grant_right(db: Session, *, model_id: int, user: User, right: str = "train") -> None:
    """Gives ``user`` a right on a model (as an admin would with ``erpai model grant``)."""
    db.add(ModelGrant(model_id=model_id, user_id=user.id, right=right))
    db.commit()


def make_user(db: Session, login: str, *, admin: bool = False) -> tuple[User, dict[str, str]]:
    user = create_user(db, data=UserCreate(login=login, name=login.title(), is_admin=admin), actor_id=None)
    _, token = create_token(db, user_id=user.id)
    return user, {"Authorization": f"Bearer {token}"}


@pytest.fixture
def admin(db: Session) -> tuple[User, dict[str, str]]:
    return make_user(db, "admin", admin=True)


@pytest.fixture
def member(db: Session) -> tuple[User, dict[str, str]]:
    return make_user(db, "jane")


@pytest.fixture
def live_engine(committed_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """Sessions opened anywhere (jobs, API requests, CLI) use the test database, with real commits.

    Jobs run in an in-process worker; tests call ``wait_for_jobs()`` to let them finish.
    """
    from erpai import db as db_module
    from erpai.jobs.queue import InProcessBackend, set_backend

    monkeypatch.setattr(db_module, "get_engine", lambda url=None: committed_engine)
    set_backend(InProcessBackend())
    yield committed_engine
    wait_for_jobs()
    set_backend(None)


def wait_for_jobs(timeout: float = 120.0) -> None:
    from erpai.jobs.queue import get_backend

    assert get_backend().wait_idle(timeout), "background jobs did not finish in time"


@pytest.fixture
def live_session(live_engine: Engine) -> Iterator[Session]:
    """The test's own session. On SQLite its reads do not take the write lock (deferred BEGIN), so a
    test that reads while jobs write cannot block them; call ``rollback()`` to see their commits."""
    if live_engine.dialect.name != "sqlite":
        with Session(live_engine, expire_on_commit=False) as session:
            yield session
        return
    reader = make_engine(live_engine.url.render_as_string(hide_password=False), sqlite_begin="BEGIN")
    with Session(reader, expire_on_commit=False) as session:
        yield session
    reader.dispose()


@pytest.fixture
def live_client(live_engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(startup_tasks=False)) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def migrated_sqlite_file() -> Path:
    """Migrated once; each CLI test copies it (migrating per test would be slow)."""
    path = Path(tempfile.mkdtemp(prefix="erpai-cli-template-")) / "template.db"
    upgrade(f"sqlite:///{path.as_posix()}")
    return path


@pytest.fixture
def cli_db(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, migrated_sqlite_file: Path) -> Iterator[str]:
    """A fresh migrated SQLite file that the CLI (which reads the settings) uses for this test."""
    from erpai.cli.acting import set_global_login
    from erpai.config import get_settings
    from erpai.db import get_engine

    target = tmp_path / "cli.db"
    shutil.copy(migrated_sqlite_file, target)
    url = f"sqlite:///{target.as_posix()}"
    monkeypatch.setenv("ERPAI_DATABASE_URL", url)
    monkeypatch.delenv("ERPAI_USER", raising=False)
    get_settings.cache_clear()
    get_engine.cache_clear()
    set_global_login(None)
    yield url
    get_engine().dispose()
    get_settings.cache_clear()
    get_engine.cache_clear()


@pytest.fixture(autouse=True)
def _fresh_failed_auth_throttle() -> Iterator[None]:
    """Every test client calls from the same address: failures of one test must not throttle the next."""
    from erpai.users.throttle import failed_auth_throttle

    failed_auth_throttle.clear()
    yield
    failed_auth_throttle.clear()
