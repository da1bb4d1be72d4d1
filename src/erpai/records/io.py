"""Bulk import of master data (parties, products, enterprise companies) from CSV or JSONL: all or nothing.

Reuses the Q&A import machinery (row errors, format inference, JSONL lines). A multilanguage field takes one
CSV column per language, ``name.en``, ``name.de`` (a plain ``name`` column is the first active language).
Each row is saved as any record: its business rules fire (AISET values are stored, a failed AIVALIDATE
rejects the whole file naming the row, AIWARNING messages come back with the count).
"""

from __future__ import annotations

import csv
import io
from typing import Any

from pydantic import Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from erpai.errors import Conflict, Forbidden, InvalidInput
from erpai.qas.io import FIELD_SIZE_LIMIT, ImportRejected, RowError, load_json_object
from erpai.qas.schemas import ImportResult
from erpai.records.kinds import KindSpec, kind_spec
from erpai.records.service import RecordWrites, RuleRefused
from erpai.records.values import active_languages, clean_values
from erpai.users.models import User


class ImportedRecords(ImportResult):
    warnings: list[str] = Field(default_factory=list, description="AIWARNING messages of business rules.")


def parse_rows(spec: KindSpec, text: str, fmt: str) -> list[tuple[int, dict[str, Any]]]:
    return _csv_rows(spec, text) if fmt == "csv" else _jsonl_rows(text)


def _csv_rows(spec: KindSpec, text: str) -> list[tuple[int, dict[str, Any]]]:
    csv.field_size_limit(max(csv.field_size_limit(), FIELD_SIZE_LIMIT))
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    header = [h.strip() for h in next(reader, [])]
    known = [f.name for f in spec.fields if not f.derived]
    errors = [
        RowError(1, name or None, f"unknown column {name!r}; expected {', '.join(known)}")
        for name in header
        if name.split(".", 1)[0] not in known
    ]
    if not header:
        errors.append(
            RowError(1, None, f"the file is empty: the first line must name the columns ({', '.join(known)})")
        )
    if errors:
        raise ImportRejected(errors)
    rows: list[tuple[int, dict[str, Any]]] = []
    for record in reader:
        if not any(cell.strip() for cell in record):
            continue
        values: dict[str, Any] = {}
        for name, cell in zip(header, record, strict=False):
            base, _, language = name.partition(".")
            if language:
                values.setdefault(base, {})[language] = cell
            elif cell.strip():
                values[name] = cell
        rows.append((reader.line_num, values))
    return rows


def _jsonl_rows(text: str) -> list[tuple[int, dict[str, Any]]]:
    errors: list[RowError] = []
    rows: list[tuple[int, dict[str, Any]]] = []
    for line, raw in enumerate(text.split("\n"), start=1):
        data = load_json_object(raw, line, errors)
        if data is not None:
            rows.append((line, data))
    if errors:
        raise ImportRejected(errors)
    return rows


def import_records(
    session: Session, *, kind: str, content: str, fmt: str, actor: User | None
) -> ImportedRecords:
    """Validates every row first; then the business rules fire on each row (an AIVALIDATE that fails
    rejects the file, naming the row); writes all of them in one transaction, or none."""
    if actor is not None and not actor.is_admin:
        raise Forbidden("only admins import business records", field="user")
    spec = kind_spec(kind)
    if not spec.importable:
        raise InvalidInput(f"{kind} records are not imported from files", field="kind")
    languages = active_languages(session)
    errors: list[RowError] = []
    cleaned: list[dict[str, Any]] = []
    rows = parse_rows(spec, content, fmt)
    for line, raw in rows:
        try:
            cleaned.append(clean_values(spec, raw, languages=languages, partial=False))
        except InvalidInput as exc:
            errors.append(RowError(line, exc.field, exc.message))
    if errors:
        raise ImportRejected(errors)
    if kind == "enterprise_companies":
        _check_unique_names(session, spec, cleaned)
    writes = RecordWrites(session)  # saved as any record: the business rules fire on each row
    for line, raw in rows:
        try:
            writes.check(kind=kind, values=raw)
        except RuleRefused as exc:
            raise ImportRejected([RowError(line, exc.field, exc.message)]) from None
    writes.write()
    session.commit()
    return ImportedRecords(imported=len(cleaned), warnings=[w.message for w in writes.warnings])


def _check_unique_names(session: Session, spec: KindSpec, rows: list[dict[str, Any]]) -> None:
    names = [row["name"] for row in rows]
    model: Any = spec.model
    taken = set(session.scalars(select(model.name).where(model.name.in_(names))))
    repeated = {name for name in names if names.count(name) > 1}
    clash = sorted(taken | repeated)
    if clash:
        raise Conflict(f"enterprise company names must be unique: {', '.join(clash[:5])}", field="name")
