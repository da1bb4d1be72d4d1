"""Programmatic Alembic: ``erpai db upgrade`` and the tests use this, no alembic.ini needed."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection

from erpai.config import get_settings

SCRIPT_LOCATION = Path(__file__).parent / "alembic"


def alembic_config(url: str | None = None, connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(SCRIPT_LOCATION))
    cfg.set_main_option("sqlalchemy.url", url or get_settings().resolved_database_url)
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def upgrade(url: str | None = None, connection: Connection | None = None) -> None:
    """Migrates erpai's schema; on PostgreSQL also installs the job queue's (procrastinate) schema."""
    target = url or get_settings().resolved_database_url
    command.upgrade(alembic_config(target, connection), "head")
    if target.startswith("postgresql"):
        from erpai.jobs.pg import apply_schema

        apply_schema(target)
