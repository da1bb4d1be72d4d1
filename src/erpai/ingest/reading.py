"""Reading order of an invoice file, cheapest and most exact first.

1. A structured e-invoice (UBL / CII XML, or Factur-X / ZUGFeRD XML embedded in a PDF): parsed exactly, no AI.
2. A PDF with a text layer: its text, extracted locally with pypdf.
3. A scan or photo (PNG, JPEG, TIFF, WebP, or a PDF whose pages are only images): OCR with Tesseract.

OCR wins over a provider's ``vision`` input when both are there: the model's proposed values must be checked
against a source text (:mod:`erpai.ingest.checking`), and OCR gives that text locally, while an image sent to
a vision model leaves nothing to check its values against (and sends the document out). The image goes to the
vision model only when Tesseract is missing or reads (almost) nothing, and only when the default model's
provider declares the ``vision`` capability (:func:`erpai.ingest.proposal.propose_invoice` sends it as an
image content part); its values are then flagged "not checked: the document has no text".
"""

from __future__ import annotations

import io
import logging
import shutil
import subprocess
from dataclasses import dataclass, field

import pypdf
from PIL import Image, UnidentifiedImageError
from pypdf.errors import PdfReadError

from erpai.errors import DomainError, InvalidInput
from erpai.ingest.einvoice import is_einvoice, parse_xml, read_einvoice
from erpai.ingest.fields import InvoiceFields, ReadPath

log = logging.getLogger(__name__)

OCR_LANGUAGES = "eng+deu+bul"
OCR_TIMEOUT_SECONDS = 120
MIN_TEXT_CHARS = 20  # less than this from a text layer or OCR counts as "no text"
MAX_IMAGE_PIXELS = 50_000_000  # a decompression bomb is refused, not rendered
EMBEDDED_XML_NAMES = ("factur-x.xml", "zugferd-invoice.xml", "xrechnung.xml", "zugferd_invoice.xml")

MEDIA_TYPES = {
    "pdf": "application/pdf",
    "xml": "application/xml",
    "png": "image/png",
    "jpeg": "image/jpeg",
    "tiff": "image/tiff",
    "webp": "image/webp",
}


class OcrUnavailable(DomainError):
    """Tesseract is not installed: a scan cannot be read locally."""

    status_code = 422


@dataclass
class ReadResult:
    path: ReadPath
    media_type: str
    text: str = ""
    fields: InvoiceFields | None = None  # set by the structured path only
    image: bytes | None = None  # the image for a vision model, when OCR could not read it
    notes: list[str] = field(default_factory=list)


def sniff(data: bytes) -> str:
    """The file kind from its first bytes (the name and the declared type are not trusted)."""
    head = data[:16]
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    if head[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"<":
        return "xml"
    raise InvalidInput(
        "unsupported file: send a PDF, PNG, JPEG, TIFF, WebP or an e-invoice XML", field="file"
    )


def read_invoice_file(data: bytes) -> ReadResult:
    """The first path of the reading order that gives something; InvalidInput for an unreadable file."""
    if not data:
        raise InvalidInput("the file is empty", field="file")
    kind = sniff(data)
    media_type = MEDIA_TYPES[kind]
    if kind == "xml":
        root = parse_xml(data)
        if not is_einvoice(root):
            raise InvalidInput("the XML is not a UBL or CII e-invoice", field="file")
        return ReadResult(path="structured", media_type=media_type, fields=read_einvoice(data))
    if kind == "pdf":
        return _read_pdf(data)
    return _read_image(data, media_type)


def _read_pdf(data: bytes) -> ReadResult:
    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        embedded = _embedded_einvoice(reader)
        if embedded is not None:
            return ReadResult(path="structured", media_type="application/pdf", fields=read_einvoice(embedded))
        text = "\n".join(page.extract_text() or "" for page in reader.pages)
        if len(text.strip()) >= MIN_TEXT_CHARS:
            return ReadResult(path="text", media_type="application/pdf", text=text)
        images = [image.data for page in reader.pages for image in page.images]
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise InvalidInput(f"the PDF cannot be read ({type(exc).__name__})", field="file") from None
    if not images:
        raise InvalidInput("the PDF has neither text nor images", field="file")
    texts = [ocr_image(image) for image in images]
    return ReadResult(path="ocr", media_type="application/pdf", text="\n".join(texts))


def _embedded_einvoice(reader: pypdf.PdfReader) -> bytes | None:
    """The XML of a Factur-X / ZUGFeRD PDF: a known attachment name first, then any XML attachment."""
    attachments = reader.attachments
    names = sorted(attachments, key=lambda name: name.lower() not in EMBEDDED_XML_NAMES)
    for name in names:
        if not name.lower().endswith(".xml"):
            continue
        for content in attachments[name]:
            try:
                if is_einvoice(parse_xml(content)):
                    return content
            except InvalidInput:
                continue
    return None


def _read_image(data: bytes, media_type: str) -> ReadResult:
    if shutil.which("tesseract") is None:
        _check_image(data)
        return ReadResult(
            path="vision", media_type=media_type, image=data, notes=["Tesseract is not installed: no OCR"]
        )
    text = ocr_image(data)
    if len(text.strip()) < MIN_TEXT_CHARS:
        return ReadResult(
            path="vision", media_type=media_type, text=text, image=data, notes=["OCR read no text"]
        )
    return ReadResult(path="ocr", media_type=media_type, text=text)


def _check_image(data: bytes) -> Image.Image:
    Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, SyntaxError, ValueError):
        raise InvalidInput("the image cannot be read", field="file") from None
    if image.width < 8 or image.height < 8:
        raise InvalidInput("the image is empty", field="file")
    return image


def ocr_image(data: bytes, *, languages: str = OCR_LANGUAGES) -> str:
    """Text of an image by Tesseract (grey-scaled, sent as PNG on stdin)."""
    image = _check_image(data)
    if shutil.which("tesseract") is None:
        raise OcrUnavailable("reading a scan needs Tesseract OCR (scripts/ensure_tesseract.sh)", field="file")
    buffer = io.BytesIO()
    image.convert("L").save(buffer, format="PNG")
    try:
        done = subprocess.run(
            ["tesseract", "stdin", "stdout", "-l", languages, "--psm", "3"],
            input=buffer.getvalue(),
            capture_output=True,
            timeout=OCR_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise InvalidInput("OCR took too long on this image", field="file") from None
    if done.returncode != 0:
        log.warning("tesseract failed: %s", done.stderr.decode(errors="replace")[-500:])
        raise InvalidInput("OCR could not read the image", field="file")
    return done.stdout.decode("utf-8", errors="replace")
