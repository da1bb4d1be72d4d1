"""The runnable retrieval build: head weights + what each class and training row stands for.

Stored as a zip (``meta.json`` + ``head.bin``) in ``compilation_artifacts``, never pickled,
so a build written by one process can be loaded safely by any other.
"""

from __future__ import annotations

import io
import json
import threading
import zipfile
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from erpai.learning.head import IntentHead


@dataclass(frozen=True)
class RowSource:
    source_type: str
    source_id: int
    question: str


@dataclass
class BuildArtifact:
    embedder: str
    answers: list[str]
    rows: list[RowSource]
    system_messages: list[str]
    head: IntentHead

    def to_bytes(self) -> bytes:
        meta = {
            "format": 1,
            "embedder": self.embedder,
            "answers": self.answers,
            "rows": [[r.source_type, r.source_id, r.question] for r in self.rows],
            "system_messages": self.system_messages,
        }
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("meta.json", json.dumps(meta, ensure_ascii=False))
            # Stored as is: the head's bytes are compressed already (deflating them again cost a
            # second of a 15,000-Q&A compile for nothing).
            archive.writestr("head.bin", self.head.to_bytes(), compress_type=zipfile.ZIP_STORED)
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> BuildArtifact:
        from erpai.learning.head import IntentHead

        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            meta = json.loads(archive.read("meta.json"))
            head = IntentHead.from_bytes(archive.read("head.bin"))
        return cls(
            embedder=meta["embedder"],
            answers=list(meta["answers"]),
            rows=[RowSource(t, int(i), q) for t, i, q in meta["rows"]],
            system_messages=list(meta["system_messages"]),
            head=head,
        )


class BuildCache:
    """Loaded builds by artefact checksum: a build never changes once written, and a reused id cannot hit.

    Least recently used first out, bounded by count and by the stored size of the builds (about the size
    of their arrays in memory): a chat with more arbiters than the cache holds would otherwise unpack a
    build from the database for every question (twenty arbiters against eight places did).
    """

    def __init__(self, capacity: int = 64, max_bytes: int = 512 * 2**20) -> None:
        self._items: OrderedDict[str, tuple[BuildArtifact, int]] = OrderedDict()
        self._capacity = capacity
        self._max_bytes = max_bytes
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, sha256: str) -> BuildArtifact | None:
        with self._lock:
            found = self._items.get(sha256)
            if found is None:
                return None
            self._items.move_to_end(sha256)
            return found[0]

    def put(self, sha256: str, artifact: BuildArtifact, size: int = 0) -> None:
        """``size``: the stored build's bytes (its arrays dominate), counted against ``max_bytes``."""
        with self._lock:
            if sha256 in self._items:
                self._items.move_to_end(sha256)
                return
            self._items[sha256] = (artifact, size)
            self._bytes += size
            while len(self._items) > 1 and (
                len(self._items) > self._capacity or self._bytes > self._max_bytes
            ):
                self._bytes -= self._items.popitem(last=False)[1][1]

    def __len__(self) -> int:
        return len(self._items)


build_cache = BuildCache()
