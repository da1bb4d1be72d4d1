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

from tests.fakes.openai_server import FakeOpenAI  # noqa: E402
from tests.ingest.corpus import generate  # noqa: E402

from erpai.ingest.proposal import propose_invoice  # noqa: E402
from erpai.providers.base import ProviderClient  # noqa: E402
from erpai.providers.config import OpenAIConfig  # noqa: E402
from erpai.providers.openai_client import OpenAIProvider  # noqa: E402

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
