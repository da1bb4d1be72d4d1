"""Q&A files: CSV and JSONL parsing that reports every bad row, and export.

Parsing never touches the database: an import is validated completely first, then written in one
transaction (all or nothing). The value parsers here are shared with the API schemas.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from erpai.common import check_text
from erpai.errors import InvalidInput
from erpai.limits import ANSWER_MAX, QUESTION_MAX, SECTION_MAX
from erpai.qas.models import QAType

FORMATS = ("csv", "jsonl")
FIELDS = ("question", "answer", "section", "qa_type", "is_active")
# An absent answer column would silently turn every row into "do not answer", so it must be named.
REQUIRED_FIELDS = ("question", "answer")
DEFAULT_SECTION = "General"
EXPORT_CHUNK_ROWS = 1000
FIELD_SIZE_LIMIT = 16 * 1024 * 1024

QA_TYPE_CODES = {
    "training": QAType.TRAINING.value,
    "validation": QAType.VALIDATION.value,
    "t": QAType.TRAINING.value,
    "v": QAType.VALIDATION.value,
}
QA_TYPE_NAMES = {QAType.TRAINING.value: "training", QAType.VALIDATION.value: "validation"}
TRUE_WORDS = {"true", "1", "yes"}
FALSE_WORDS = {"false", "0", "no"}
CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson; charset=utf-8"}


@dataclass(frozen=True)
class RowError:
    line: int
    field: str | None
    message: str

    def as_item(self) -> dict[str, Any]:
        """As an ErrorItem of the API's error body."""
        loc: list[str | int] = ["line", self.line]
        if self.field:
            loc.append(self.field)
        return {"loc": loc, "msg": self.message, "type": "invalid_row", "line": self.line}

    def __str__(self) -> str:
        where = f" ({self.field})" if self.field else ""
        return f"line {self.line}{where}: {self.message}"


class ImportRejected(InvalidInput):
    """A file with bad rows: nothing was imported; ``errors`` lists every problem with its line."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(f"{len(errors)} error(s) in the file; nothing was imported", field="file")
        self.errors = errors

    def error_items(self) -> list[dict[str, Any]]:
        return [e.as_item() for e in self.errors]


@dataclass(frozen=True)
class QARow:
    line: int
    question: str
    answer: str
    section: str
    qa_type: str  # stored code, T or V
    is_active: bool


def _at_most(text: str, limit: int, what: str) -> str:
    if len(text) > limit:
        raise ValueError(f"the {what} must be at most {limit} characters (got {len(text)})")
    return text


def clean_question(value: str) -> str:
    text = value.strip()
    if not text:
        raise ValueError("the question must not be empty")
    return _at_most(text, QUESTION_MAX, "question")


def clean_answer(value: str) -> str:
    return _at_most(value.strip(), ANSWER_MAX, "answer")


def clean_section(value: str | None) -> str:
    text = _at_most((value or "").strip(), SECTION_MAX, "section")
    return text or DEFAULT_SECTION


def parse_qa_type(value: object) -> str:
    """training/validation/T/V (any case) -> the stored code; empty means training."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return QAType.TRAINING.value
    code = QA_TYPE_CODES.get(value.strip().lower()) if isinstance(value, str) else None
    if code is None:
        raise ValueError(f"qa_type must be training, validation, T or V (got {value!r})")
    return code


def parse_bool(value: object, *, name: str = "is_active") -> bool:
    """true/false/1/0/yes/no (any case), JSON booleans and 0/1; empty means true."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return True
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    word = value.strip().lower() if isinstance(value, str) else None
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(f"{name} must be true, false, 1, 0, yes or no (got {value!r})")


def infer_format(fmt: str | None, *, filename: str | None = None, content_type: str | None = None) -> str:
    """The explicit format, else the file extension, else the content type."""
    if fmt:
        if fmt.lower() not in FORMATS:
            raise InvalidInput(f"format must be csv or jsonl (got {fmt!r})", field="format")
        return fmt.lower()
    suffix = (filename or "").rsplit(".", 1)[-1].lower() if filename and "." in filename else ""
    if suffix in ("jsonl", "ndjson"):
        return "jsonl"
    if suffix == "csv":
        return "csv"
    kind = (content_type or "").split(";")[0].strip().lower()
    if kind in ("application/jsonl", "application/x-ndjson", "application/x-jsonlines"):
        return "jsonl"
    if kind == "text/csv":
        return "csv"
    raise InvalidInput("cannot tell the file format: pass format=csv or format=jsonl", field="format")


def decode_text(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"the file is not UTF-8 text (byte {exc.start})", field="file") from None


def parse_qas(text: str, fmt: str) -> list[QARow]:
    """Every row of the file, or ImportRejected listing every bad row."""
    rows, errors = parse_csv(text) if fmt == "csv" else parse_jsonl(text)
    if errors:
        raise ImportRejected(errors)
    return rows


def _build_row(line: int, values: dict[str, Any], errors: list[RowError]) -> QARow | None:
    found: list[RowError] = []
    parsed: dict[str, Any] = {}
    for name, parser in (
        ("question", lambda v: clean_question(_text(v, "question"))),
        ("answer", lambda v: clean_answer(_text(v, "answer"))),
        ("section", lambda v: clean_section(None if v is None else _text(v, "section"))),
        ("qa_type", parse_qa_type),
        ("is_active", parse_bool),
    ):
        try:
            parsed[name] = parser(values.get(name))
        except ValueError as exc:
            found.append(RowError(line, name, str(exc)))
    errors.extend(found)
    return None if found else QARow(line=line, **parsed)


def _text(value: object, name: str) -> str:
    if value is None:
        raise ValueError(f"{name} is missing")
    if not isinstance(value, str):
        raise ValueError(f"{name} must be text (got {type(value).__name__})")
    return check_text(value)


def _header_errors(names: list[str]) -> list[RowError]:
    expected = ", ".join(FIELDS)
    errors = [
        RowError(1, n or None, f"unknown column {n!r}; expected {expected}") for n in names if n not in FIELDS
    ]
    errors += [
        RowError(1, n, f"column {n!r} appears twice") for n in sorted(set(names)) if names.count(n) > 1
    ]
    errors += [RowError(1, n, f"missing header column {n!r}") for n in REQUIRED_FIELDS if n not in names]
    return errors


def parse_csv(text: str) -> tuple[list[QARow], list[RowError]]:
    # Long answers are fine: lift the csv module's 128 KiB per-field default.
    csv.field_size_limit(max(csv.field_size_limit(), FIELD_SIZE_LIMIT))
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    header = next(reader, None)
    if header is None:
        message = f"the file is empty: the first line must name the columns ({', '.join(FIELDS)})"
        return [], [RowError(1, None, message)]
    names = [h.strip().lower() for h in header]
    errors = _header_errors(names)
    if errors:
        return [], errors
    rows: list[QARow] = []
    start = reader.line_num + 1
    try:
        for record in reader:
            line, start = start, reader.line_num + 1
            if not any(cell.strip() for cell in record):
                continue
            if len(record) != len(names):
                errors.append(RowError(line, None, f"expected {len(names)} fields, got {len(record)}"))
                continue
            row = _build_row(line, dict(zip(names, record, strict=True)), errors)
            if row is not None:
                rows.append(row)
    except csv.Error as exc:
        errors.append(RowError(start, None, f"unreadable CSV: {exc}"))
    return rows, errors


def parse_jsonl(text: str) -> tuple[list[QARow], list[RowError]]:
    rows: list[QARow] = []
    errors: list[RowError] = []
    # Split on \n only: str.splitlines would also split on U+2028 inside JSON strings.
    for line, raw in enumerate(text.split("\n"), start=1):
        data = load_json_object(raw, line, errors)
        if data is None:
            continue
        expected = ", ".join(FIELDS)
        unknown = [
            RowError(line, k, f"unknown field {k!r}; expected {expected}") for k in data if k not in FIELDS
        ]
        errors.extend(unknown)
        row = _build_row(line, data, errors)
        if row is not None and not unknown:
            rows.append(row)
    return rows, errors


def load_json_object(raw: str, line: int, errors: list[RowError]) -> dict[str, Any] | None:
    """One JSONL line as an object; blank lines give None silently, bad ones add an error."""
    if not raw.strip():
        return None
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        errors.append(RowError(line, None, f"invalid JSON: {exc.msg} (column {exc.colno})"))
        return None
    if not isinstance(data, dict):
        errors.append(RowError(line, None, f"expected a JSON object, got {type(data).__name__}"))
        return None
    return data


ExportRow = tuple[str, str, str, str, bool]  # question, answer, section, qa_type code, is_active


def export_chunks(rows: Iterable[ExportRow], fmt: str) -> Iterator[str]:
    """The file as text chunks of about EXPORT_CHUNK_ROWS rows each (streamed by the API)."""
    batch: list[ExportRow] = []
    if fmt == "csv":
        yield ",".join(FIELDS) + "\r\n"
    for row in rows:
        batch.append(row)
        if len(batch) >= EXPORT_CHUNK_ROWS:
            yield _render(batch, fmt)
            batch = []
    if batch:
        yield _render(batch, fmt)


def _render(batch: list[ExportRow], fmt: str) -> str:
    if fmt == "jsonl":
        return "".join(
            json.dumps(
                {"question": q, "answer": a, "section": s, "qa_type": QA_TYPE_NAMES[t], "is_active": active},
                ensure_ascii=False,
            )
            + "\n"
            for q, a, s, t, active in batch
        )
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerows((q, a, s, QA_TYPE_NAMES[t], "true" if on else "false") for q, a, s, t, on in batch)
    return buffer.getvalue()
