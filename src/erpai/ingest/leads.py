"""A proposed lead from pasted text or an ``.eml`` e-mail: the model reads it, the parsers check it.

The e-mail is parsed with the standard ``email`` package: sender, subject, the plain body with quoted replies
(lines starting with '>', and everything from an 'On … wrote:' / 'Am … schrieb' / '-----Original Message-----'
line on) removed. The sender's address and name fill the lead where the model leaves them empty.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parseaddr
from html.parser import HTMLParser
from typing import Any

from erpai.errors import DomainError, InvalidInput
from erpai.ingest import parsers
from erpai.ingest.checking import Flag, Kind, check_against_source
from erpai.ingest.extraction import ask_for_json
from erpai.providers.base import ProviderClient

LEAD_KEYS = ("first_name", "last_name", "email", "phone", "role", "company", "notes")
LEAD_KINDS: dict[str, Kind] = {
    "first_name": "text",
    "last_name": "text",
    "email": "email",
    "phone": "phone",
    "role": "text",
    "company": "company",
}
NO_CHAT = "lead extraction needs the 'chat' capability of the default model's provider; none is configured"

LEAD_INSTRUCTIONS = """You read a message from a possible customer and return ONE JSON object, nothing else.
Keys: first_name, last_name, email, phone, role (job title), company, notes (one or two sentences in
English: what the person wants). Copy names, e-mail and phone exactly as written; use null for anything the
message does not say. Never invent an e-mail address or a phone number."""

_QUOTE_START = re.compile(
    r"^(?:On .{3,200} wrote:|Am .{3,200} schrieb .{0,200}:|"
    r"На .{3,200} написа:|"  # noqa: RUF001 (Bulgarian on purpose)
    r"-{2,}\s*Original Message\s*-{2,}|-{2,}\s*Ursprüngliche Nachricht\s*-{2,}|From: .+)\s*$",
    re.MULTILINE,
)


@dataclass
class Email:
    sender_name: str | None
    sender_email: str | None
    subject: str | None
    body: str


@dataclass
class LeadProposal:
    fields: dict[str, str | None]
    source_text: str
    flags: list[Flag] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    missing_capability: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "fields": self.fields,
            "flags": [flag.as_dict() for flag in self.flags],
            "notes": self.notes,
            "missing_capability": self.missing_capability,
        }


class _TextOfHtml(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def strip_quoted(body: str) -> str:
    """The new part of a reply: no '>' lines, nothing after the first 'On … wrote:'-style line."""
    match = _QUOTE_START.search(body)
    if match:
        body = body[: match.start()]
    lines = [line for line in body.splitlines() if not line.lstrip().startswith(">")]
    return "\n".join(lines).strip()


def parse_eml(data: bytes) -> Email:
    if not data.strip():
        raise InvalidInput("the e-mail is empty", field="file")
    message = BytesParser(policy=policy.default).parsebytes(data)
    if not isinstance(message, EmailMessage) or (message["From"] is None and message["Subject"] is None):
        raise InvalidInput("not an e-mail (.eml): no From or Subject header", field="file")
    name, address = parseaddr(str(message["From"] or ""))
    part = message.get_body(preferencelist=("plain", "html"))
    text = ""
    if part is not None and isinstance(part, EmailMessage):
        text = str(part.get_content())
        if part.get_content_type() == "text/html":
            reader = _TextOfHtml()
            reader.feed(text)
            text = "".join(reader.parts)
    return Email(
        sender_name=name or None,
        sender_email=parsers.normalise_email(address) if address else None,
        subject=str(message["Subject"]) if message["Subject"] else None,
        body=strip_quoted(text),
    )


def email_source(mail: Email) -> str:
    """What the model reads and the values are checked against: sender line, subject, body."""
    sender = f"{mail.sender_name or ''} <{mail.sender_email or ''}>".strip()
    return f"From: {sender}\nSubject: {mail.subject or ''}\n\n{mail.body}"


def _split_name(name: str | None) -> tuple[str | None, str | None]:
    if not name:
        return None, None
    words = name.replace('"', "").split()
    return (words[0], " ".join(words[1:]) or None) if words else (None, None)


def propose_lead(text: str, *, client: ProviderClient | None, sender: Email | None = None) -> LeadProposal:
    """The lead proposed from ``text`` (an e-mail's source when ``sender`` is given)."""
    if not text.strip():
        raise InvalidInput("the text is empty", field="text")
    fields: dict[str, str | None] = dict.fromkeys(LEAD_KEYS)
    proposal = LeadProposal(fields=fields, source_text=text)
    if client is None or not client.has("chat"):
        proposal.missing_capability = NO_CHAT
    else:
        try:
            fields.update(ask_for_json(client, instructions=LEAD_INSTRUCTIONS, source=text, keys=LEAD_KEYS))
        except DomainError as exc:
            proposal.notes.append(f"the model's extraction failed: {exc.message}")
    _fill_from_parsers(fields, text, sender)
    checked = {key: (kind, fields[key]) for key, kind in LEAD_KINDS.items()}
    proposal.flags = check_against_source(text, checked)
    return proposal


def _fill_from_parsers(fields: dict[str, str | None], text: str, sender: Email | None) -> None:
    """Empty fields from the sender header and the first e-mail / phone the parsers find."""
    first, last = _split_name(sender.sender_name if sender else None)
    defaults = {
        "first_name": first,
        "last_name": last,
        "email": (sender.sender_email if sender else None) or next(iter(parsers.find_emails(text)), None),
        "phone": next(iter(parsers.find_phones(text)), None),
    }
    for key, value in defaults.items():
        if not fields.get(key):
            fields[key] = value
