"""Field-level accuracy of lead extraction on 30 generated messages (tests/ingest/lead_corpus.py).

    .venv/bin/python bench/leads.py
    .venv/bin/python bench/leads.py --base-url http://127.0.0.1:8080/v1 --model qwen2.5-7b-instruct

"deterministic": no chat provider (sender header, the first e-mail / phone the parsers find).
"fake model": the local OpenAI-wire test server answers each message's truth: plumbing only.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from tests.fakes.openai_server import FakeOpenAI  # noqa: E402
from tests.ingest.lead_corpus import LeadCase, generate_leads  # noqa: E402

from erpai.ingest.leads import Email, email_source, parse_eml, propose_lead  # noqa: E402
from erpai.ingest.parsers import normalise_phone  # noqa: E402
from erpai.providers.base import ProviderClient  # noqa: E402
from erpai.providers.config import OpenAIConfig  # noqa: E402
from erpai.providers.openai_client import OpenAIProvider  # noqa: E402

FIELDS = ("first_name", "last_name", "email", "phone", "role", "company")


def same(name: str, got: str | None, want: str | None) -> bool:
    if name == "phone" and got and want:
        return normalise_phone(got) == normalise_phone(want)
    return (got or None) == want


def source_of(case: LeadCase) -> tuple[str, Email | None]:
    if case.kind == "eml":
        mail = parse_eml(case.data)
        return email_source(mail), mail
    return case.data.decode(), None


def run(cases: list[LeadCase], client: ProviderClient | None, label: str) -> None:
    by_kind: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    per_field: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    started, flagged = time.perf_counter(), 0
    for case in cases:
        text, mail = source_of(case)
        proposal = propose_lead(text, client=client, sender=mail)
        flagged += len(proposal.flags)
        group = f"{case.kind}/{'en' if case.lang == 'en' else 'non-en'}"
        for name in FIELDS:
            ok = same(name, proposal.fields[name], case.truth[name])
            for table, key in ((by_kind, group), (per_field, name)):
                table[key][0] += ok
                table[key][1] += 1
    print(f"\n== {label}  ({(time.perf_counter() - started) / len(cases):.3f} s/message)")
    for group, (r, n) in sorted(by_kind.items()):
        print(f"  {group:<11} {r / n:6.1%} of fields right ({n // len(FIELDS)} messages)")
    print("  per field: " + ", ".join(f"{name} {r / n:.0%}" for name, (r, n) in per_field.items()))
    print(f"  flags raised: {flagged}")


def truth_reply(cases: list[LeadCase]) -> Any:
    by_source = {source_of(case)[0]: case.truth for case in cases}  # one person writes several messages

    def reply(messages: list[dict[str, Any]]) -> str:
        return json.dumps(by_source.get(str(messages[-1]["content"]), {}), ensure_ascii=False)

    return reply


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base-url")
    parser.add_argument("--model", default="gpt-4o-mini")
    parser.add_argument("--api-key")
    args = parser.parse_args()
    cases = generate_leads()
    print(f"corpus: {len(cases)} messages, {sum(c.lang != 'en' for c in cases)} not in English")
    run(cases, None, "deterministic (no chat provider)")
    with FakeOpenAI(api_key="sk-bench") as fake:
        fake.chat_reply = truth_reply(cases)
        config = OpenAIConfig(base_url=fake.url, max_retries=0, supports_fine_tune=False)
        client = OpenAIProvider(name="fake", base_model="fake", config=config, api_key="sk-bench")
        run(cases, client, "fake model (plumbing only)")
        client.close()
    if args.base_url:
        config = OpenAIConfig(base_url=args.base_url, timeout_seconds=120, supports_fine_tune=False)
        key = args.api_key or "none"
        client = OpenAIProvider(name="bench", base_model=args.model, config=config, api_key=key)
        run(cases, client, f"model {args.model} at {args.base_url}")
        client.close()


if __name__ == "__main__":
    main()
