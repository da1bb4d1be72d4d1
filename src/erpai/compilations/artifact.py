"""The runnable retrieval build: head weights + what each class and training row stands for.

Stored as a zip (``meta.json`` + ``head.bin``) in ``compilation_artifacts``, never pickled,
so a build written by one process can be loaded safely by any other.
"""

from __future__ import annotations

import io
import json
import threading
import zipfile
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
            archive.writestr("head.bin", self.head.to_bytes())
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
    """Loaded builds by artefact checksum: a build never changes once written, and a reused id cannot hit."""

    def __init__(self, capacity: int = 8) -> None:
        self._items: dict[str, BuildArtifact] = {}
        self._capacity = capacity
        self._lock = threading.Lock()

    def get(self, sha256: str) -> BuildArtifact | None:
        with self._lock:
            return self._items.get(sha256)

    def put(self, sha256: str, artifact: BuildArtifact) -> None:
        with self._lock:
            if len(self._items) >= self._capacity:
                self._items.pop(next(iter(self._items)))
            self._items[sha256] = artifact


build_cache = BuildCache()
