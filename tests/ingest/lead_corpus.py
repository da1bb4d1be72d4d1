# ruff: noqa: E501, RUF001  (German and Bulgarian text, data tables)
"""30 generated lead messages with known truth: 20 .eml e-mails (some replies with a quoted part, some HTML)
and 10 pasted texts; 5 are not in English (3 German, 2 Bulgarian). Used by tests/ingest and bench/leads.py."""

from __future__ import annotations

import random
from dataclasses import dataclass
from email.message import EmailMessage

PEOPLE = [
    ("Anna", "Petrova", "Procurement Manager", "Balkan Foods OOD"), ("John", "Miller", "CTO", "Brightline Ltd"),
    ("Maria", "Schmidt", "Einkaufsleiterin", "Nordwerk GmbH"), ("Ivan", "Georgiev", "Управител", "Софтекс ЕООД"),
    ("Sarah", "Connor", "Operations Director", "Skyfield Logistics LLC"), ("Peter", "Novak", "Buyer", "Danube Parts SRL"),
    ("Laura", "Rossi", "Office Manager", "Verde Interni SRL"), ("Tom", "Baker", "Head of IT", "Harbor Analytics Inc"),
    ("Elena", "Dimitrova", "Finance Director", "Rila Trade AD"), ("Klaus", "Weber", "Geschäftsführer", "Weber Bau AG"),
]  # fmt: skip
NEEDS = ["a quote for 50 office chairs", "a demo of your accounting module", "pricing for yearly support",
         "a meeting next week about a pilot", "samples of your packaging"]  # fmt: skip
PHONES = ["+359 88 123 4567", "+44 20 7946 0958", "+49 30 901820", "+1 415 555 0199", "+39 02 1234 5678"]


@dataclass
class LeadCase:
    kind: str  # "eml" or "text"
    lang: str
    data: bytes
    truth: dict[str, str | None]


def _email_address(first: str, last: str, company: str) -> str:
    domain = "".join(ch for ch in company.split()[0].lower() if ch.isascii() and ch.isalnum()) or "firma"
    return f"{first.lower()}.{last.lower()}@{domain}.example"


def _body(lang: str, first: str, last: str, role: str, company: str, need: str, phone: str | None) -> str:
    call = f"\nPhone: {phone}" if phone else ""
    if lang == "de":
        return (f"Guten Tag,\n\nich bin {role} bei {company} und interessiere mich für Ihr Angebot.\n"
                f"Bitte senden Sie uns Informationen.{call}\n\nMit freundlichen Grüßen\n{first} {last}")  # fmt: skip
    if lang == "bg":
        return (f"Здравейте,\n\nаз съм {role} в {company}. Интересуваме се от вашите услуги.{call}\n\n"
                f"Поздрави,\n{first} {last}")  # fmt: skip
    return (f"Hello,\n\nI am the {role} at {company} and we would like {need}.{call}\n\n"
            f"Best regards,\n{first} {last}\n{role}, {company}")  # fmt: skip


def generate_leads(seed: int = 30) -> list[LeadCase]:
    rng = random.Random(seed)
    cases: list[LeadCase] = []
    for i in range(30):
        lang = "de" if i in (3, 13, 23) else "bg" if i in (7, 17) else "en"
        pool = [
            p
            for p in PEOPLE
            if (lang == "bg") == (p[3].endswith(("ЕООД", "OOD", "AD")) and p[0] in ("Ivan", "Elena"))
        ]
        if lang == "de":
            pool = [p for p in PEOPLE if p[3].endswith(("GmbH", "AG"))]
        first, last, role, company = rng.choice(pool)
        address = _email_address(first, last, company)
        phone = rng.choice(PHONES) if i % 3 else None
        body = _body(lang, first, last, role, company, rng.choice(NEEDS), phone)
        truth = {"first_name": first, "last_name": last, "email": address, "phone": phone,
                 "role": role, "company": company}  # fmt: skip
        if i < 20:
            message = EmailMessage()
            message["From"] = f"{first} {last} <{address}>"
            message["To"] = "sales@example-enterprise.example"
            message["Subject"] = "Re: your offer" if i % 4 == 0 else f"Enquiry from {company}"
            if i % 4 == 0:  # a reply: the quoted part holds another address and phone that must be ignored
                body += "\n\nOn Mon, 2 Mar 2026 at 10:00, Sales <sales@example-enterprise.example> wrote:\n> Call +49 89 555 000"
            message.set_content(body)
            if i % 5 == 1:
                message.add_alternative(
                    f"<html><body><p>{body.replace(chr(10), '<br>')}</p></body></html>", subtype="html"
                )
            cases.append(LeadCase("eml", lang, bytes(message), truth))
        else:
            truth["email"] = address
            text = f"{body}\nE-mail: {address}"
            cases.append(LeadCase("text", lang, text.encode(), truth))
    return cases
