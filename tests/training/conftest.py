from __future__ import annotations

from tests.qas.conftest import cli_db, migrated_sqlite_file, model

__all__ = ["cli_db", "migrated_sqlite_file", "model"]
