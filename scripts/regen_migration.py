"""Regenerates the single initial migration from the ORM models.

Nothing is released yet, so erpai keeps one migration that creates everything. Alembic's
create_table leaves out foreign keys marked use_alter (the cycles users<->ai_models and
ai_models<->compilations) on PostgreSQL, so they are added explicitly after the tables.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VERSIONS = ROOT / "src/erpai/alembic/versions"
TARGET = VERSIONS / "0001_initial.py"


def _cycle_fk_code() -> tuple[str, str]:
    from erpai.models_registry import Base

    ups, downs = [], []
    for table in Base.metadata.sorted_tables:
        for fk in table.foreign_key_constraints:
            if not fk.use_alter:
                continue
            name = f"fk_{table.name}_{fk.column_keys[0]}_{fk.referred_table.name}"
            cols = [c.name for c in fk.columns]
            refs = [e.column.name for e in fk.elements]
            ups.append(
                f"        op.create_foreign_key({name!r}, {table.name!r}, {fk.referred_table.name!r}, "
                f"{cols!r}, {refs!r}, ondelete={fk.ondelete!r})"
            )
            downs.append(f"        op.drop_constraint({name!r}, {table.name!r}, type_='foreignkey')")
    guard = "    if op.get_bind().dialect.name != 'sqlite':  # SQLite keeps them inline\n"
    return guard + "\n".join(ups) + "\n", guard + "\n".join(downs) + "\n"


def main() -> None:
    TARGET.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["ERPAI_DATABASE_URL"] = f"sqlite:///{tmp}/regen.db"
        from alembic import command

        from erpai.migrate import alembic_config

        command.revision(alembic_config(), message="initial schema", autogenerate=True, rev_id="0001")
    generated = next(VERSIONS.glob("0001_*.py"))
    text = generated.read_text()
    generated.unlink()
    up_extra, down_extra = _cycle_fk_code()
    text = re.sub(r"(\n    # ### end Alembic commands ###\n)", "\n" + up_extra + r"\1", text, count=1)
    text = text.replace("def downgrade() -> None:\n", "def downgrade() -> None:\n" + down_extra, 1)
    TARGET.write_text(text)
    ruff = str(ROOT / ".venv/bin/ruff")
    subprocess.run([ruff, "format", "-q", str(TARGET)], check=True)
    subprocess.run([ruff, "check", "-q", "--fix", str(TARGET)], check=False)
    print(f"regenerated {TARGET.relative_to(ROOT)}")


if __name__ == "__main__":
    sys.exit(main())
