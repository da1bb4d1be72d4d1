"""CPU seconds used by a process tree (Linux /proc): a load-independent figure beside the wall times."""

from __future__ import annotations

import os
from pathlib import Path

_TICK = os.sysconf("SC_CLK_TCK")


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of ``pid`` and its living descendants (0 for a process that is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return 0.0
    own = (int(fields[11]) + int(fields[12])) / _TICK  # utime, stime
    return own + sum(tree_cpu_seconds(int(child)) for child in children)


def load_average() -> str:
    return f"load {os.getloadavg()[0]:.1f}"
