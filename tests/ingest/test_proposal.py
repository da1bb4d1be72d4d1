"""Proposals from files through the local OpenAI-wire server: right answers, invented values, no provider,
a timeout, a non-invoice, and the validations."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from reportlab.pdfgen.canvas import Canvas

from erpai.ingest.fields import InvoiceFields
from erpai.ingest.proposal import NO_CHAT, NO_VISION, propose_invoice, validate_invoice
from erpai.providers.base import ProviderError
from erpai.providers.config import OpenAIConfig
from erpai.providers.openai_client import OpenAIProvider
from tests.fakes.openai_server import FakeOpenAI

Truth = dict[str, dict[str, Any]]
TEXT_PDF = "text_01_de.pdf"
CUSTOMER_VAT = "DE136695976"


def _answer(truth: dict[str, Any], **changes: Any) -> str:
    answer = {key: truth.get(key) for key in ("document_type", "number", "issue_date", "supplier_name")}
    answer |= {key: truth[key] for key in ("supplier_vat", "customer_name", "customer_vat", "currency")}
    answer |= {key: float(truth[key]) for key in ("net", "vat", "total")}
    answer |= changes
    return "```json\n" + json.dumps(answer, ensure_ascii=False) + "\n```"


def test_the_models_right_answer_fills_the_proposal_without_flags(
    corpus: Path, truth: Truth, fake_llm: FakeOpenAI, chat_client: OpenAIProvider
) -> None:
    expected = truth[TEXT_PDF]["truth"]
    fake_llm.chat_reply = _answer(expected)
    proposal = propose_invoice((corpus / TEXT_PDF).read_bytes(), client=chat_client, company_vat=CUSTOMER_VAT)

    assert proposal.path == "text" and proposal.missing_capability is None
    assert proposal.fields.supplier_name == expected["supplier_name"]
    assert proposal.fields.total == Decimal(expected["total"])
    assert proposal.flags == []
    assert [(v.name, v.ok) for v in proposal.validations] == [
        ("document_type", True), ("recipient", True), ("valid_invoice", True)
    ]  # fmt: skip
    sent = fake_llm.requests_to("POST", "/v1/chat/completions")[-1].body["messages"]
    assert expected["number"] in sent[1]["content"]  # the document's text went to the model
    assert proposal.as_json()["supplier_key"]


def test_invented_values_are_flagged_not_trusted(
    corpus: Path, truth: Truth, fake_llm: FakeOpenAI, chat_client: OpenAIProvider
) -> None:
    expected = truth[TEXT_PDF]["truth"]
    fake_llm.chat_reply = _answer(
        expected, supplier_vat="DE136695978", total=99999.99, supplier_name="Invented Supplies GmbH",
        issue_date="2020-01-01",
    )  # fmt: skip
    proposal = propose_invoice((corpus / TEXT_PDF).read_bytes(), client=chat_client)

    reasons = {flag.field: flag.reason for flag in proposal.flags}
    assert reasons == {
        "supplier_vat": "fails its checksum",
        "total": "not found in the document",
        "supplier_name": "not found in the document",
        "issue_date": "not found in the document",
    }
    assert not proposal.validations[-1].ok  # net + VAT != the invented total


def test_without_a_chat_provider_it_says_so_and_the_parsers_fill_what_they_can(
    corpus: Path, truth: Truth
) -> None:
    expected = truth[TEXT_PDF]["truth"]
    proposal = propose_invoice((corpus / TEXT_PDF).read_bytes(), client=None)
    assert proposal.missing_capability == NO_CHAT and "'chat' capability" in NO_CHAT
    assert proposal.fields.number == expected["number"]
    assert proposal.fields.total == Decimal(expected["total"])


def test_a_structured_invoice_needs_no_model(corpus: Path, truth: Truth, fake_llm: FakeOpenAI) -> None:
    proposal = propose_invoice((corpus / "ubl_25_de.xml").read_bytes(), client=None)
    assert proposal.path == "structured" and proposal.missing_capability is None
    assert proposal.fields.total == Decimal(truth["ubl_25_de.xml"]["truth"]["total"])
    assert fake_llm.requests_to("POST", "/v1/chat/completions") == []


def test_a_provider_timeout_is_a_clear_error(
    corpus: Path, fake_llm: FakeOpenAI, chat_client: OpenAIProvider
) -> None:
    fake_llm.fail("POST /v1/chat/completions", hang=3.0, times=5)
    with pytest.raises(ProviderError) as raised:
        propose_invoice((corpus / TEXT_PDF).read_bytes(), client=chat_client)
    assert raised.value.code == "timeout" and raised.value.status_code == 504


def test_an_answer_that_is_not_json_is_reported_after_one_repair(
    corpus: Path, truth: Truth, fake_llm: FakeOpenAI, chat_client: OpenAIProvider
) -> None:
    fake_llm.chat_reply = "I think this is an invoice from ACME."
    proposal = propose_invoice((corpus / TEXT_PDF).read_bytes(), client=chat_client)
    (note,) = proposal.notes
    assert note.startswith("the model's extraction failed") and "not JSON valid against the schema" in note
    assert len(fake_llm.chat_calls()) == 2  # the answer and one repair retry
    assert proposal.fields.number == truth[TEXT_PDF]["truth"]["number"]  # the label reader's


def test_the_schema_goes_with_the_request_and_wrong_types_are_repaired(
    corpus: Path, truth: Truth, fake_llm: FakeOpenAI, chat_client: OpenAIProvider
) -> None:
    expected = truth[TEXT_PDF]["truth"]
    fake_llm.script(_answer(expected, document_type="Invoice"), _answer(expected))
    proposal = propose_invoice((corpus / TEXT_PDF).read_bytes(), client=chat_client)
    first, repair = (call.body for call in fake_llm.chat_calls())
    assert first["response_format"] == {"type": "json_object"}
    assert '"document_type"' in first["messages"][0]["content"]  # the schema is in the instructions
    assert "should be one of" in repair["messages"][-1]["content"]
    assert proposal.fields.document_type == "purchase_invoice" and proposal.flags == []


def test_validations_fail_each_with_its_own_message() -> None:
    not_invoice = validate_invoice(InvoiceFields(document_type="not_invoice"), company_vat=CUSTOMER_VAT)
    assert [(v.name, v.ok, v.message) for v in not_invoice] == [
        ("document_type", False, "the document is not an invoice"),
        ("recipient", False, "the recipient's VAT number (none) is not the current company's"),
        (
            "valid_invoice",
            False,
            "required fields missing: number, issue_date, supplier_name, total, currency",
        ),
    ]
    fields = InvoiceFields(
        document_type="purchase_invoice", number="1", supplier_name="A", currency="EUR",
        net=Decimal("100"), vat=Decimal("20"), total=Decimal("120.02"),
    )  # fmt: skip
    fields.issue_date = None
    assert validate_invoice(fields)[-1].message.startswith("required fields missing: issue_date")
    fields.issue_date = date(2026, 1, 2)
    assert validate_invoice(fields)[-1].message.startswith("net + VAT does not equal the total")
    fields.total = Decimal("120.01")
    assert validate_invoice(fields)[-1].ok  # within rounding


def test_a_blank_scan_says_what_would_read_it(fake_llm: FakeOpenAI, chat_client: OpenAIProvider) -> None:
    buffer = io.BytesIO()
    Image.new("L", (600, 400), 255).save(buffer, format="PNG")
    proposal = propose_invoice(buffer.getvalue(), client=chat_client)
    assert proposal.path == "vision" and proposal.missing_capability == NO_VISION
    assert "'vision' capability" in NO_VISION
    assert fake_llm.requests_to("POST", "/v1/chat/completions") == []
    assert [v.ok for v in proposal.validations] == [True, False]


def test_a_text_that_is_no_invoice_fails_the_first_validation() -> None:
    buffer = io.BytesIO()
    canvas = Canvas(buffer)
    canvas.drawString(60, 800, "Minutes of the team meeting held on 12.03.2026 about the summer party.")
    canvas.save()
    proposal = propose_invoice(buffer.getvalue(), client=None)
    assert proposal.path == "text"
    assert (proposal.validations[0].ok, proposal.validations[0].message) == (
        False,
        "the document is not an invoice",
    )


@pytest.fixture
def vision_client(fake_llm: FakeOpenAI) -> Iterator[OpenAIProvider]:
    config = OpenAIConfig(
        base_url=fake_llm.url,
        timeout_seconds=2,
        max_retries=0,
        supports_fine_tune=False,
        supports_vision=True,
    )
    client = OpenAIProvider(name="eyes", base_model="gpt-4o", config=config, api_key="sk-test-ingest")
    yield client
    client.close()


def _image_parts(fake: FakeOpenAI) -> list[dict[str, Any]]:
    content = fake.chat_calls()[-1].body["messages"][-1]["content"]
    return [part for part in content if part.get("type") == "image_url"] if isinstance(content, list) else []


def test_a_scan_ocr_cannot_read_goes_to_a_vision_model_and_its_values_are_flagged_unchecked(
    truth: Truth, fake_llm: FakeOpenAI, vision_client: OpenAIProvider
) -> None:
    expected = truth[TEXT_PDF]["truth"]
    fake_llm.chat_reply = _answer(expected)
    buffer = io.BytesIO()
    Image.new("L", (600, 400), 255).save(buffer, format="PNG")
    proposal = propose_invoice(buffer.getvalue(), client=vision_client)

    assert proposal.path == "vision" and proposal.missing_capability is None
    (part,) = _image_parts(fake_llm)
    assert part["image_url"]["url"].startswith("data:image/png;base64,")
    assert proposal.fields.number == expected["number"]
    assert proposal.flags and {flag.reason for flag in proposal.flags} == {
        "not checked: the document has no text"
    }


def test_ocr_wins_over_vision_when_it_reads_the_scan(
    corpus: Path, truth: Truth, fake_llm: FakeOpenAI, vision_client: OpenAIProvider
) -> None:
    name = next(file for file, doc in truth.items() if doc["path"] == "ocr")
    fake_llm.chat_reply = _answer(truth[name]["truth"])
    proposal = propose_invoice((corpus / name).read_bytes(), client=vision_client)
    assert proposal.path == "ocr"
    assert _image_parts(fake_llm) == []  # only the OCR text went out
    assert truth[name]["truth"]["number"] in fake_llm.chat_calls()[-1].body["messages"][-1]["content"]
