"""Slows down token guessing: failed authentications per client address, counted in this process's memory.

- Per process: with several server processes each one counts on its own, so a client gets at most
  ``processes * limit`` failures a minute. Restarting the server forgets the counts.
- A fixed one-minute window per client address that opens at its first failure; once ``limit`` failures
  fall in it, every request of that address that carries a token is refused (429) until it closes.
- Thread-safe (one lock) and bounded: at most ``max_clients`` addresses are remembered, each with two
  numbers; the address that failed least recently is forgotten first, and closed windows are dropped.
- Behind a reverse proxy every client has the proxy's address (forwarded headers can be forged, so they
  are not trusted): the limit then applies to all clients together.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

WINDOW_SECONDS = 60.0
MAX_CLIENTS = 10_000


@dataclass
class _Window:
    start: float
    failures: int


class FailedAuthThrottle:
    def __init__(
        self,
        *,
        window_seconds: float = WINDOW_SECONDS,
        max_clients: int = MAX_CLIENTS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._window_seconds = window_seconds
        self._max_clients = max_clients
        self._clock = clock
        self._lock = threading.Lock()
        self._windows: OrderedDict[str, _Window] = OrderedDict()

    def __len__(self) -> int:
        return len(self._windows)

    def has_failures(self, client: str) -> bool:
        """Cheap, without locking: most clients never fail, so they need no further check."""
        return client in self._windows

    def retry_after(self, client: str, *, limit: int) -> float | None:
        """Seconds until ``client`` may try again, or None when it is not blocked."""
        with self._lock:
            window = self._open_window(client)
            if window is None or window.failures < limit:
                return None
            return max(0.0, window.start + self._window_seconds - self._clock())

    def record_failure(self, client: str) -> None:
        with self._lock:
            window = self._open_window(client)
            if window is None:
                window = self._windows[client] = _Window(start=self._clock(), failures=0)
            window.failures += 1
            self._windows.move_to_end(client)
            self._evict()

    def clear(self) -> None:
        with self._lock:
            self._windows.clear()

    def _open_window(self, client: str) -> _Window | None:
        window = self._windows.get(client)
        if window is not None and self._clock() - window.start >= self._window_seconds:
            del self._windows[client]
            return None
        return window

    def _evict(self) -> None:
        now = self._clock()
        while self._windows:
            oldest_client, oldest = next(iter(self._windows.items()))
            if len(self._windows) <= self._max_clients and now - oldest.start < self._window_seconds:
                return
            del self._windows[oldest_client]


failed_auth_throttle = FailedAuthThrottle()
