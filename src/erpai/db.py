"""Engine, sessions and the declarative base shared by every domain package."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, Engine, MetaData, String, Text, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, declared_attr, mapped_column, sessionmaker

from erpai.config import get_settings
from erpai.sqlite_gate import SQLITE_BUSY_SECONDS, WriterGate

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """Naive UTC: both SQLite and PostgreSQL columns store UTC without an offset."""
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: DateTime(timezone=False)}


class AggregateRoot:
    """System attributes every aggregate root of the reference carries (domain.md §1.1)."""

    object_version: Mapped[int] = mapped_column(default=1, nullable=False)
    external_id: Mapped[str | None] = mapped_column(String(256))
    external_system: Mapped[str | None] = mapped_column(String(256))
    aggregate_last_update_time_utc: Mapped[datetime | None] = mapped_column(default=utcnow, onupdate=utcnow)
    additional_data_json: Mapped[str | None] = mapped_column(Text)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.object_version}


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not pysqlite, start transactions, so SAVEPOINTs work (SQLAlchemy's pysqlite recipe).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_SECONDS * 1000}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


# Connection execution option: how a SQLite transaction begins (``read_transactions`` sets "BEGIN").
SQLITE_BEGIN = "erpai_sqlite_begin"


def _sqlite_begin(default: str, gate: WriterGate) -> Callable[[Any], None]:
    def begin(conn: Any) -> None:
        statement = conn.get_execution_options().get(SQLITE_BEGIN, default)
        if statement != "BEGIN IMMEDIATE":
            conn.exec_driver_sql(statement)
            return
        gate.enter(conn)
        try:
            conn.exec_driver_sql(statement)
        except BaseException:
            gate.leave(conn)
            raise

    return begin


@contextmanager
def read_transactions(session: Session) -> Iterator[Session]:
    """A block of the session that only reads: committed on entry and on exit, so it is a transaction
    of its own. On SQLite it begins DEFERRED, so it takes no write lock: readers (the token check of
    every request, loading a build, an arbiter gathering its context) no longer queue behind every
    writer, as under the default ``BEGIN IMMEDIATE``, and writers no longer behind them. Only read
    inside: a write there fails at once ("database is locked") when another connection wrote
    meanwhile. PostgreSQL: plain transactions, committed the same way."""
    session.commit()
    previous = session.execution_options
    session.execution_options = previous.union({SQLITE_BEGIN: "BEGIN"})
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()  # no deferred transaction is left open for a write to fail in
        raise
    finally:
        session.execution_options = previous


def make_engine(url: str, *, sqlite_begin: str = "BEGIN IMMEDIATE") -> Engine:
    """``BEGIN IMMEDIATE`` on SQLite: a transaction that reads and then writes would otherwise fail
    at once (no busy wait) when another connection committed in between; writers queue instead.
    Blocks of :func:`read_transactions` begin deferred (they only read)."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1].split("?", 1)[0] if "///" in url else ""
        database = Path(path) if path and path != ":memory:" else None
        if database is not None:
            make_private_sqlite_file(database)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_SECONDS})
        gate = WriterGate(database)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin(sqlite_begin, gate))
        event.listen(engine, "commit", gate.leave)
        event.listen(engine, "rollback", gate.leave)
        # A connection the pool resets or drops with its transaction still open gives its turn up too.
        event.listen(engine, "reset", lambda _dbapi, record, _state: gate.leave(record))
        event.listen(engine, "invalidate", lambda _dbapi, record, _exc: gate.leave(record))
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def make_private_sqlite_file(path: Path) -> None:
    """The database holds every company record and the encrypted provider keys: readable by its owner
    only (0600), like the key file. SQLite gives its -wal and -shm files the database file's mode."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    for name in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if name.exists() and name.stat().st_mode & 0o077:
            name.chmod(0o600)


@lru_cache(maxsize=8)
def get_engine(url: str | None = None) -> Engine:
    return make_engine(url or get_settings().resolved_database_url)


def session_factory(engine: Engine | None = None) -> sessionmaker[Session]:
    return _session_factory(engine or get_engine())


@lru_cache(maxsize=8)
def _session_factory(engine: Engine) -> sessionmaker[Session]:
    """One factory per engine: making a ``sessionmaker`` sets up its event dispatch (~0.2 ms), on every
    request when it was made per call. Nothing configures a factory after it is made."""
    return sessionmaker(bind=engine, expire_on_commit=False)


def get_session() -> Iterator[Session]:
    """FastAPI dependency: one session per request; services commit their own transaction."""
    session = session_factory()()
    try:
        yield session
    finally:
        session.close()


SessionOpener = Callable[[], AbstractContextManager[Session]]


def stream_sessions() -> SessionOpener:
    """FastAPI dependency: how a streaming response (chat events, exports) opens a short session per read,
    so no transaction stays open while the client reads (tests override it)."""
    return session_factory()
