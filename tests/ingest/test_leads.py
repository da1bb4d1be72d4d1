"""Leads from e-mails and text: parsing, the model's answer checked, invented contact data flagged."""

from __future__ import annotations

import json

import pytest

from erpai.errors import InvalidInput
from erpai.ingest.leads import NO_CHAT, email_source, parse_eml, propose_lead, strip_quoted
from erpai.providers.openai_client import OpenAIProvider
from tests.fakes.openai_server import FakeOpenAI
from tests.ingest.lead_corpus import generate_leads

CASES = generate_leads()


def test_the_corpus_has_30_messages_5_not_in_english() -> None:
    assert len(CASES) == 30
    assert sum(case.lang != "en" for case in CASES) == 5
    assert {case.kind for case in CASES} == {"eml", "text"}


def test_an_eml_reply_gives_sender_subject_and_the_new_text_only() -> None:
    case = CASES[0]  # a reply with a quoted part
    mail = parse_eml(case.data)
    assert mail.sender_email == case.truth["email"]
    assert mail.sender_name == f"{case.truth['first_name']} {case.truth['last_name']}"
    assert mail.subject == "Re: your offer"
    assert "wrote:" not in mail.body and "555 000" not in mail.body
    assert str(case.truth["company"]) in mail.body


def test_an_html_only_part_is_read_as_text() -> None:
    case = CASES[1]
    assert parse_eml(case.data).body.startswith("Hello")


def test_quoted_lines_and_german_reply_headers_are_stripped() -> None:
    body = "Danke!\n> alt\nAm 2. März 2026 um 10:00 schrieb Max <max@x.example>:\n> noch älter"
    assert strip_quoted(body) == "Danke!"


@pytest.mark.parametrize("data", [b"", b"   ", b"just some words without headers"])
def test_not_an_email_is_refused(data: bytes) -> None:
    with pytest.raises(InvalidInput):
        parse_eml(data)


def test_the_models_right_answer_is_not_flagged(fake_llm: FakeOpenAI, chat_client: OpenAIProvider) -> None:
    case = next(c for c in CASES if c.kind == "eml" and c.truth["phone"] and c.lang == "de")
    mail = parse_eml(case.data)
    fake_llm.chat_reply = json.dumps(case.truth | {"notes": "Wants information."}, ensure_ascii=False)
    proposal = propose_lead(email_source(mail), client=chat_client, sender=mail)
    assert proposal.flags == []
    assert proposal.fields["company"] == case.truth["company"]
    assert proposal.fields["notes"] == "Wants information."


def test_invented_email_phone_and_company_are_flagged(
    fake_llm: FakeOpenAI, chat_client: OpenAIProvider
) -> None:
    case = next(c for c in CASES if c.kind == "text" and c.truth["phone"])
    fake_llm.chat_reply = json.dumps(
        case.truth
        | {"email": "info@invented.example", "phone": "+1 202 555 0100", "company": "Invented Corp"}
    )
    proposal = propose_lead(case.data.decode(), client=chat_client)
    assert {flag.field: flag.reason for flag in proposal.flags} == {
        "email": "not found in the document",
        "phone": "not found in the document",
        "company": "not found in the document",
    }


def test_without_a_chat_provider_the_sender_and_parsers_fill_the_contact(corpus: object) -> None:
    case = next(c for c in CASES if c.kind == "eml" and c.truth["phone"])
    mail = parse_eml(case.data)
    proposal = propose_lead(email_source(mail), client=None, sender=mail)
    assert proposal.missing_capability == NO_CHAT and "'chat' capability" in NO_CHAT
    got = {key: proposal.fields[key] for key in ("first_name", "last_name", "email")}
    assert got == {key: case.truth[key] for key in got}
    assert proposal.fields["phone"] is not None and proposal.flags == []


def test_empty_text_is_refused() -> None:
    with pytest.raises(InvalidInput, match="the text is empty"):
        propose_lead("  ", client=None)
