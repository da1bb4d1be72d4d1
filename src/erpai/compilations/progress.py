"""Live progress of a running compile: stage, overall percent and a short log, written to its row.

The compile job reports through ``ProgressRecorder`` (a ``Progress`` callable); a background thread
writes the latest state every ``FLUSH_SECONDS`` from its own session, so the slow parts of a build never
wait on the database and readers (API, web page) see the build advance.
"""

from __future__ import annotations

import logging
import threading
import time

from sqlalchemy import update

from erpai.compilations.models import Compilation
from erpai.compilations.pipeline import Progress
from erpai.db import session_factory

log = logging.getLogger("erpai.compile")
FLUSH_SECONDS = 0.5
# Share of the whole build each stage covers, in order: (stage, first percent, last percent).
STAGES = {
    "snapshot": (0, 5),
    "embedding": (5, 80),
    "training": (80, 88),
    "evaluating": (88, 95),
    "fine_tune": (95, 99),
    "finishing": (99, 100),
    "done": (100, 100),
}


def overall_percent(stage: str, done: int, total: int) -> int:
    first, last = STAGES.get(stage, (0, 100))
    share = done / total if total > 0 else 0.0
    return int(first + (last - first) * min(max(share, 0.0), 1.0))


class ProgressRecorder:
    """Use as a context manager around the build; call it like a ``Progress`` callback."""

    def __init__(self, compilation_id: int, forward: Progress | None = None) -> None:
        self.compilation_id = compilation_id
        self.forward = forward
        self.stage: str | None = None
        self.percent = 0
        self.lines: list[str] = []
        self._started = time.monotonic()
        self._lock = threading.Lock()
        self._dirty = False
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"compile-progress-{compilation_id}", daemon=True
        )

    def __call__(self, stage: str, done: int, total: int) -> None:
        with self._lock:
            if stage != self.stage:
                elapsed = time.monotonic() - self._started
                suffix = f" ({total} items)" if total > 1 else ""
                self.lines.append(f"[{elapsed:6.1f} s] {stage}{suffix}")
                self.stage = stage
            self.percent = max(self.percent, overall_percent(stage, done, total))
            self._dirty = True
        if self.forward is not None:
            self.forward(stage, done, total)

    def __enter__(self) -> ProgressRecorder:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._flush()

    def _run(self) -> None:
        while not self._stop.wait(FLUSH_SECONDS):
            self._flush()

    def _flush(self) -> None:
        with self._lock:
            if not self._dirty:
                return
            values = {
                "progress_stage": self.stage,
                "progress_percent": self.percent,
                "progress_log": "\n".join(self.lines) + "\n",
            }
            self._dirty = False
        try:
            with session_factory()() as session:
                session.execute(
                    update(Compilation).where(Compilation.id == self.compilation_id).values(**values)
                )
                session.commit()
        except Exception:  # a busy database must not stop the build; the next flush retries
            log.warning("progress of compilation %s not saved", self.compilation_id, exc_info=True)
            with self._lock:
                self._dirty = True
