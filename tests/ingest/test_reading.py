"""The reading order on the generated corpus, and the files that must be refused with a clear error."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from erpai.errors import InvalidInput
from erpai.ingest.labels import read_by_labels
from erpai.ingest.reading import read_invoice_file

Truth = dict[str, dict[str, Any]]
COMPARED = (
    "number",
    "issue_date",
    "supplier_name",
    "supplier_vat",
    "customer_vat",
    "net",
    "vat",
    "total",
    "currency",
)


def _as_truth(value: object) -> str | None:
    return value.isoformat() if isinstance(value, date) else None if value is None else str(value)


@pytest.mark.parametrize("prefix", ["ubl_", "facturx_"])
def test_structured_invoices_are_read_exactly(corpus: Path, truth: Truth, prefix: str) -> None:
    files = [name for name in truth if name.startswith(prefix)]
    assert len(files) == 5
    for name in files:
        read = read_invoice_file((corpus / name).read_bytes())
        assert read.path == "structured" and read.fields is not None
        expected = truth[name]["truth"]
        got = {key: _as_truth(getattr(read.fields, key)) for key in (*COMPARED, "customer_name")}
        assert got == {key: expected[key] for key in got}, name
        assert read.fields.document_type == "purchase_invoice"


def test_text_layer_pdfs_are_read_and_the_labels_give_the_fields(corpus: Path, truth: Truth) -> None:
    files = [name for name in truth if name.startswith("text_")]
    assert len(files) == 20
    for name in files:
        read = read_invoice_file((corpus / name).read_bytes())
        assert read.path == "text" and read.fields is None
        fields = read_by_labels(read.text)
        expected = truth[name]["truth"]
        for key in ("number", "issue_date", "net", "vat", "total", "supplier_vat", "currency"):
            assert _as_truth(getattr(fields, key)) == expected[key], (name, key)


def test_a_scan_is_read_by_ocr(corpus: Path, truth: Truth) -> None:
    name = next(n for n in truth if n.startswith("scan_") and n.endswith("_de.png"))
    read = read_invoice_file((corpus / name).read_bytes())
    assert read.path == "ocr"
    assert truth[name]["truth"]["supplier_vat"] in read.text.replace(" ", "")
    total = Decimal(truth[name]["truth"]["total"])
    assert read_by_labels(read.text).total == total


def _png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("L", (width, height), 255).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "the file is empty"),
        (b"%PDF-1.7\n garbage that is not a pdf", "the PDF cannot be read"),
        (b"GIF89a......", "unsupported file"),
        (_png(4, 4), "the image is empty"),
        (b"\x89PNG\r\n\x1a\n broken", "the image cannot be read"),
        (b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'b'>]><Invoice/>", "DOCTYPE"),
        (b"<note>hello</note>", "not a UBL or CII e-invoice"),
        (b"<Invoice", "not well-formed XML"),
    ],
)
def test_unreadable_files_are_refused_clearly(data: bytes, message: str) -> None:
    with pytest.raises(InvalidInput, match=message) as raised:
        read_invoice_file(data)
    assert raised.value.field == "file"


def test_a_blank_scan_goes_to_vision_with_nothing_read() -> None:
    read = read_invoice_file(_png(600, 400))
    assert read.path == "vision" and read.image is not None
    assert read.notes == ["OCR read no text"]
