"""Test-only hook, loaded by the processes the kill tests start (PYTHONPATH): holds a job mid-way.

With ERPAI_KILLTEST_GATE=<path> set, a compile (while fitting its head), an arbiter answer (before
composing it) or a Q&A import (after its INSERT, before its commit) waits while ``<path>.<what>``
exists, touching ``<path>.<what>.reached`` so the test knows it is there and can kill the process.
Production code has no such hook; nothing here is imported unless the variable is set.
"""

from __future__ import annotations

import os

if os.environ.get("ERPAI_KILLTEST_GATE"):
    import time
    from pathlib import Path
    from typing import Any

    from erpai.chat import arbiter
    from erpai.learning import head
    from erpai.qas import service as qas_service

    GATE = Path(os.environ["ERPAI_KILLTEST_GATE"])

    def _hold(what: str) -> None:
        gate = GATE.with_name(f"{GATE.name}.{what}")
        deadline = time.monotonic() + 60
        while gate.exists() and time.monotonic() < deadline:
            GATE.with_name(f"{GATE.name}.{what}.reached").touch()
            time.sleep(0.1)

    def _held(what: str, func: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            _hold(what)
            return func(*args, **kwargs)

        return wrapper

    fit = head.IntentHead.fit  # bound to the class
    head.IntentHead.fit = classmethod(lambda cls, *a, **k: _held("compile", fit)(*a, **k))
    arbiter.compose_answer = _held("reply", arbiter.compose_answer)
    qas_service.record_change = _held("import", qas_service.record_change)
