"""Peak memory of embedding one very long text with each encoder: a 1 MB text must cost about what a short
one costs (encoders read at most MAX_EMBED_CHARS characters), since a 1 MB training message once pushed a
compile past 8 GB.

    .venv/bin/python bench/long_text_memory.py [--chars 1000000]

Each encoder runs in its own process, so its peak RSS (ru_maxrss) is its own: short text, then long text.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time

ENCODERS = ("char", "minilm", "muse", "minilm-muse-char")


def _child(name: str, chars: int) -> None:
    from erpai.learning.embedders import get_embedder

    embedder = get_embedder(name)
    embedder.embed(["How do I reset my password?"])
    short_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    text = " ".join(f"word{i}" for i in range(chars // 8))[:chars]
    start = time.perf_counter()
    embedder.embed([text])
    seconds = time.perf_counter() - start
    long_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{name:18} short text peak {short_mb:7.0f} MB   {chars:,}-char text peak {long_mb:7.0f} MB   "
          f"({seconds:.2f} s)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chars", type=int, default=1_000_000)
    parser.add_argument("--child", default=None)
    args = parser.parse_args()
    if args.child:
        _child(args.child, args.chars)
        return
    for name in ENCODERS:
        subprocess.run([sys.executable, __file__, "--child", name, "--chars", str(args.chars)], check=True)


if __name__ == "__main__":
    main()
