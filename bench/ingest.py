"""Field-level accuracy of purchase-invoice ingest on the generated corpus (tests/ingest/corpus.py).

    .venv/bin/python bench/ingest.py                       # parsers only, then the model step via the fake
    .venv/bin/python bench/ingest.py --base-url http://127.0.0.1:8080/v1 --model qwen2.5-7b-instruct

Prints, per reading path (structured / text / ocr) and per field, the share of fields right and the seconds
per document. "deterministic": no chat provider (structured e-invoices, label reader on text and OCR).
"fake model": the local OpenAI-wire test server answers each document's truth as JSON: it measures the
plumbing (prompt, JSON parsing, checks, flags), not a model. "model": a real OpenAI-compatible endpoint.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from sqlalchemy.orm import Session, sessionmaker  # noqa: E402
from tests.fakes.openai_server import FakeOpenAI  # noqa: E402
from tests.ingest.corpus import generate  # noqa: E402

from erpai.db import make_engine  # noqa: E402
from erpai.ingest import service  # noqa: E402
from erpai.ingest.fields import InvoiceFields  # noqa: E402
from erpai.ingest.invoicing import match_supplier  # noqa: E402
from erpai.ingest.proposal import propose_invoice  # noqa: E402
from erpai.ingest.schemas import InvoiceConfirm  # noqa: E402
from erpai.migrate import upgrade  # noqa: E402
from erpai.providers.base import ProviderClient  # noqa: E402
from erpai.providers.config import OpenAIConfig  # noqa: E402
from erpai.providers.openai_client import OpenAIProvider  # noqa: E402
from erpai.records.models import EnterpriseCompany, Party, Product  # noqa: E402
from erpai.records.values import normalize_name  # noqa: E402
from erpai.settings.service import set_setting  # noqa: E402
from erpai.users.models import User  # noqa: E402

FIELDS = (
    "number", "issue_date", "supplier_name", "supplier_vat", "customer_name", "customer_vat",
    "net", "vat", "total", "currency",
)  # fmt: skip


def same(got: object, want: str | None) -> bool:
    if isinstance(got, Decimal) and want is not None:
        return got == Decimal(want)
    if isinstance(got, date):
        return got.isoformat() == want
    return got == want


def run(docs: list[dict[str, Any]], corpus: Path, client: ProviderClient | None, label: str) -> None:
    right: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    per_field: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    seconds: dict[str, float] = defaultdict(float)
    counts: dict[str, int] = defaultdict(int)
    flagged = 0
    for doc in docs:
        started = time.perf_counter()
        proposal = propose_invoice((corpus / doc["file"]).read_bytes(), client=client)
        seconds[doc["path"]] += time.perf_counter() - started
        counts[doc["path"]] += 1
        flagged += len(proposal.flags)
        for name in FIELDS:
            ok = same(getattr(proposal.fields, name), doc["truth"][name])
            for table, key in ((right, doc["path"]), (per_field, name)):
                table[key][0] += ok
                table[key][1] += 1
    print(f"\n== {label}")
    for path in ("structured", "text", "ocr"):
        r, n = right[path]
        per_doc = seconds[path] / counts[path]
        print(f"  {path:<11} {r / n:6.1%} of fields right  {per_doc:6.3f} s/doc  ({counts[path]} docs)")
    print("  per field: " + ", ".join(f"{name} {r / n:.0%}" for name, (r, n) in per_field.items()))
    print(f"  flags raised: {flagged}")


def truth_reply(docs: list[dict[str, Any]]) -> Any:
    by_number = {doc["truth"]["number"]: doc["truth"] for doc in docs}

    def reply(messages: list[dict[str, Any]]) -> str:
        text = str(messages[-1]["content"])
        found = next((t for number, t in by_number.items() if number in text), {})
        return json.dumps(found, ensure_ascii=False)

    return reply


def _spelling(name: str, index: int) -> str:
    """Another way to write the supplier's name: case, quotes, dashes, dots, the legal form left out."""
    words = name.split()
    variants = (
        name.upper(),
        f"„{'-'.join(words[:-1])}“ {words[-1].lower()}.",
        " ".join(words[:-1]),
        f"{name.lower()}.",
    )
    return variants[index % len(variants)]


def _parties(session: Session, docs: list[dict[str, Any]]) -> dict[str, int]:
    """Per document the party it should match: by VAT number (written with spaces) for the first document
    of each supplier name, by a differently spelled name only (no numbers) for the next ones whose name
    no earlier party has; a decoy with a longer name next to each."""
    expected: dict[str, int] = {}
    named: set[str] = set()
    for index, doc in enumerate(docs):
        truth = doc["truth"]
        by_vat = index % 2 == 0
        if not by_vat and truth["supplier_name"] in named:
            continue  # the name would match an earlier party: one right answer only
        named.add(truth["supplier_name"])
        vat = truth["supplier_vat"] if by_vat else None
        name = _spelling(truth["supplier_name"], index)
        spaced = f"{vat[:2]} {vat[2:5]} {vat[5:]}" if vat else None
        party = Party(name=name, normalized_name=normalize_name(name), vat_number=spaced)
        decoy = Party(name=f"{name} Holding", normalized_name=normalize_name(f"{name} Holding"))
        session.add_all([party, decoy])
        session.flush()
        expected[doc["file"]] = party.id
    session.commit()
    return expected


def supplier_matching_and_confirm(docs: list[dict[str, Any]], corpus: Path, tmp: Path) -> None:
    """Supplier matching on the truth of each document against parties spelled differently, then the
    confirm of the structured documents (proposal -> draft invoice) on a fresh SQLite database."""
    url = f"sqlite:///{tmp / 'bench.db'}"
    upgrade(url)
    factory = sessionmaker(make_engine(url), expire_on_commit=False)
    with factory() as session:
        user = User(login="bench", name="Bench", is_admin=True)
        product = Product(name={"en": "Service"})
        session.add_all([user, product, EnterpriseCompany(name="Example Enterprise GmbH")])
        session.commit()
        set_setting(session, key="ingest.default_service_product_id", value=product.id, actor=None)
        expected = _parties(session, docs)
        right = 0
        for doc in (d for d in docs if d["file"] in expected):
            fields = InvoiceFields(
                supplier_name=doc["truth"]["supplier_name"], supplier_vat=doc["truth"]["supplier_vat"]
            )
            found = match_supplier(session, fields)
            right += found is not None and found.id == expected[doc["file"]]
        print(f"\n== supplier matching (the supplier exists; {2 * len(expected)} parties)")
        print(f"  matched right: {right}/{len(expected)} = {right / len(expected):.1%}")
        timings = []
        for doc in (d for d in docs if d["path"] == "structured"):
            data = (corpus / doc["file"]).read_bytes()
            started = time.perf_counter()
            proposal = service.ingest_invoice(session, data=data, filename=doc["file"], actor=user)
            service.confirm_invoice(session, proposal_id=proposal.id, edits=InvoiceConfirm(), actor=user)
            timings.append(time.perf_counter() - started)
        per_doc = sum(timings) / len(timings)
        print(f"  structured file -> proposal -> confirmed draft invoice: {per_doc:.3f} s/doc")


def openai_client(base_url: str, model: str, key: str | None) -> OpenAIProvider:
    config = OpenAIConfig(base_url=base_url, timeout_seconds=120, max_retries=1, supports_fine_tune=False)
    return OpenAIProvider(name="bench", base_model=model, config=config, api_key=key or "none")


def main() -> None:
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=raw)
    parser.add_argument("--base-url", help="an OpenAI-compatible endpoint with a generating model")
    parser.add_argument("--model", default="gpt-4o-mini")
    parser.add_argument("--api-key")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp)
        docs = [doc.__dict__ for doc in generate(corpus)]
        print(f"corpus: {len(docs)} documents (tests/ingest/corpus.py, seed 13)")
        run(docs, corpus, None, "deterministic (no chat provider)")
        supplier_matching_and_confirm(docs, corpus, Path(tmp))
        with FakeOpenAI(api_key="sk-bench") as fake:
            fake.chat_reply = truth_reply(docs)
            client = openai_client(fake.url, "fake", "sk-bench")
            label = "fake model (OpenAI-wire test server answering the truth: plumbing only)"
            run(docs, corpus, client, label)
            client.close()
        if args.base_url:
            client = openai_client(args.base_url, args.model, args.api_key)
            run(docs, corpus, client, f"model {args.model} at {args.base_url}")
            client.close()


if __name__ == "__main__":
    main()
