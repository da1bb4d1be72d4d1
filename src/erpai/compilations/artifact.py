"""The runnable retrieval build: head weights + what each class and training row stands for + its memory.

Stored as a zip (``meta.json`` + ``head.bin``) in ``compilation_artifacts``, never pickled,
so a build written by one process can be loaded safely by any other. Format 2 adds the memory
(:mod:`erpai.learning.memory`); a format-1 build has none and answers as before.
"""

from __future__ import annotations

import io
import json
import threading
import zipfile
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from erpai.learning.memory import REFUSE, Memory

if TYPE_CHECKING:
    import numpy as np

    from erpai.learning.head import IntentHead, Prediction


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
    memory: Memory = field(default_factory=Memory)

    def predict(self, vectors: np.ndarray, texts: Sequence[str], sims: np.ndarray | None = None
                ) -> tuple[list[Prediction], list[bool]]:
        """The head's predictions for the embedded ``texts``, those the memory holds answered (or refused) as
        taught; and which of them the memory decided (``sims``: the head's similarities of the vectors)."""
        predictions = self.head.predict(vectors, texts, sims)
        recalled = self.memory.recall(texts)
        for prediction, row in zip(predictions, recalled, strict=True):
            if row == REFUSE:
                prediction.confidence, prediction.accepted = 0.0, False
            elif row is not None:
                prediction.label, prediction.neighbour = int(self.head.labels[row]), row
                prediction.confidence, prediction.accepted = 1.0, True
        return predictions, [row is not None for row in recalled]

    def to_bytes(self) -> bytes:
        meta = {
            "format": 2,
            "embedder": self.embedder,
            "answers": self.answers,
            "rows": [[r.source_type, r.source_id, r.question] for r in self.rows],
            "system_messages": self.system_messages,
            "memory": self.memory.to_json(),
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
        rows = [RowSource(t, int(i), q) for t, i, q in meta["rows"]]
        memory = meta.get("memory")
        return cls(
            embedder=meta["embedder"],
            answers=list(meta["answers"]),
            rows=rows,
            system_messages=list(meta["system_messages"]),
            head=head,
            memory=Memory.from_json(memory, [r.question for r in rows]) if memory else Memory(),
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
