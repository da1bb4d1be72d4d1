"""``erpai backup FILE`` / ``erpai restore FILE``: the database of ERPAI_DATABASE_URL."""

from __future__ import annotations

from pathlib import Path

import typer

from erpai.backup import backup_database, restore_database
from erpai.cli.output import handle_errors
from erpai.config import get_settings
from erpai.db import get_engine

ForceOption = typer.Option(False, "--force", help="Overwrite an existing file / erpai database.")


@handle_errors
def backup_command(
    file: Path = typer.Argument(..., help="Backup file to write."), force: bool = ForceOption
) -> None:
    """Write a consistent copy of the database (SQLite: online backup; PostgreSQL: pg_dump -Fc)."""
    backup_database(url=get_settings().resolved_database_url, target=file, force=force)
    typer.echo(f"backup written to {file} (it holds the encrypted provider keys: keep the secret key too)")


@handle_errors
def restore_command(
    file: Path = typer.Argument(..., help="Backup file to restore."), force: bool = ForceOption
) -> None:
    """Replace the database with a backup; stop erpai serve and the workers first."""
    get_engine().dispose()  # no pooled connection of this process keeps the old file open
    restore_database(url=get_settings().resolved_database_url, source=file, force=force)
    typer.echo(f"database restored from {file}; run `erpai db upgrade` if the backup is from an older erpai")
