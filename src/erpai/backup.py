"""Backup and restore of the whole database: SQLite through its online backup API, PostgreSQL through
``pg_dump -Fc`` / ``pg_restore``. A restore either completes or leaves the database as it was.

Stop ``erpai serve`` and the workers before a restore; a backup can be taken while they run.
"""

from __future__ import annotations

import glob
import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import URL, make_url

from erpai.db import make_private_sqlite_file
from erpai.errors import Conflict, InvalidInput

SCHEMA_TABLE = "alembic_version"  # every erpai database has it


def backup_database(*, url: str, target: Path, force: bool = False) -> None:
    """Writes a consistent copy of the database at ``url`` to ``target`` (owner-only, 0600)."""
    if target.exists() and not force:
        raise Conflict(f"{target} exists; pass --force to overwrite it", field="file")
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        _sqlite_copy(_sqlite_path(parsed), target)
    else:
        _private_replace(target, lambda tmp: _pg_run("pg_dump", parsed, "-Fc", "--no-owner", "-f", str(tmp)))


def restore_database(*, url: str, source: Path, force: bool = False) -> None:
    """Replaces the database at ``url`` with the backup ``source``; refuses to overwrite erpai data
    unless ``force``."""
    if not source.is_file():
        raise InvalidInput(f"{source} is not a file", field="file")
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        _sqlite_restore(_sqlite_path(parsed), source, force=force)
    else:
        _pg_restore(parsed, source, force=force)


# --- SQLite ---------------------------------------------------------------------------------------


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise InvalidInput("an in-memory SQLite database cannot be backed up or restored", field="url")
    return Path(url.database)


def _sqlite_copy(source: Path, target: Path) -> None:
    """The online backup API: a consistent snapshot even while other connections write."""
    if not source.is_file():
        raise InvalidInput(f"the database {source} does not exist", field="url")

    def copy(tmp: Path) -> None:
        with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(tmp)) as dst:
            src.backup(dst)

    _private_replace(target, copy)


def _sqlite_restore(db_path: Path, source: Path, *, force: bool) -> None:
    _check_sqlite_backup(source)
    if _sqlite_has_erpai(db_path) and not force:
        raise Conflict(f"{db_path} holds an erpai database; pass --force to overwrite it", field="file")
    make_private_sqlite_file(db_path)  # the parent folder and, for a new database, its file mode
    tmp = _temp_beside(db_path)
    try:
        with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(tmp)) as dst:
            src.backup(dst)
        _drop_wal(db_path)
        os.replace(tmp, db_path)  # atomic: the old database or the new one, never a mix
    finally:
        tmp.unlink(missing_ok=True)


def _check_sqlite_backup(source: Path) -> None:
    try:
        with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as conn:
            if conn.execute("PRAGMA quick_check").fetchone() != ("ok",):
                raise InvalidInput(f"{source} is a damaged SQLite database", field="file")
            if not _has_table(conn, SCHEMA_TABLE):
                raise InvalidInput(f"{source} is not an erpai database", field="file")
    except sqlite3.DatabaseError:
        message = f"{source} is not a SQLite backup (a PostgreSQL backup restores into a PostgreSQL URL)"
        raise InvalidInput(message, field="file") from None


def _sqlite_has_erpai(db_path: Path) -> bool:
    if not db_path.is_file() or db_path.stat().st_size == 0:
        return False
    with closing(sqlite3.connect(db_path)) as conn:
        return _has_table(conn, SCHEMA_TABLE)


def _drop_wal(db_path: Path) -> None:
    """Folds the old database's write-ahead log into it and removes it, so it is not replayed onto the
    restored file."""
    if db_path.is_file() and db_path.stat().st_size:
        with closing(sqlite3.connect(db_path)) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for suffix in ("-wal", "-shm"):
        db_path.with_name(db_path.name + suffix).unlink(missing_ok=True)


def _has_table(conn: sqlite3.Connection, name: str) -> bool:
    query = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
    return conn.execute(query, (name,)).fetchone() is not None


# --- PostgreSQL -----------------------------------------------------------------------------------


def _pg_restore(url: URL, source: Path, *, force: bool) -> None:
    if not force and _pg_has_erpai(url):
        message = f"the database {url.database} holds erpai data; pass --force to overwrite it"
        raise Conflict(message, field="file")
    # One transaction: on any error nothing is changed (--single-transaction implies --exit-on-error).
    _pg_run("pg_restore", url, "--clean", "--if-exists", "--no-owner", "--single-transaction", str(source))


def _pg_has_erpai(url: URL) -> bool:
    engine = create_engine(url)
    try:
        return inspect(engine).has_table(SCHEMA_TABLE)
    finally:
        engine.dispose()


def pg_binary(name: str) -> str:
    """``pg_dump`` / ``pg_restore`` on PATH, else the newest Debian install under /usr/lib/postgresql."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(p.split("/")[4]))
    if not candidates:
        message = f"{name} is not installed (Debian: apt-get install postgresql-client)"
        raise InvalidInput(message, field="url")
    return candidates[-1]


def _pg_run(tool: str, url: URL, *args: str) -> None:
    """Runs a PostgreSQL client tool; the password goes through the environment, not the command line."""
    env = {**os.environ, "PGPASSWORD": url.password or ""} if url.password else dict(os.environ)
    dbname = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    command = [pg_binary(tool), "--dbname", dbname, *args]
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise InvalidInput(f"{tool} failed: {result.stderr.strip()[-2000:]}", field="file")


# --- files ----------------------------------------------------------------------------------------


def _temp_beside(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    os.chmod(name, 0o600)
    return Path(name)


def _private_replace(target: Path, write: Callable[[Path], object]) -> None:
    """Writes through ``write(tmp)`` beside ``target`` and moves it into place only when complete."""
    tmp = _temp_beside(target)
    try:
        write(tmp)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)

