"""Primary and secondary rate limits.

Windows run on a "window clock" = real monotonic time + the seconds the emulated clock was
advanced through the control API. Benchmarks see real pacing; tests jump past a window by
advancing the clock, with no sleeping.
"""
from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from typing import Callable


@dataclass
class Window:
    start: float
    used: int = 0


@dataclass
class Verdict:
    limit: int | None
    used: int
    reset_in: float  # seconds until the window restarts
    exceeded: bool = False

    @property
    def remaining(self) -> int:
        return max(0, (self.limit or 0) - self.used)


class RateLimits:
    def __init__(self, advanced: Callable[[], float]) -> None:
        self._advanced = advanced
        self._lock = threading.Lock()
        self._primary: dict[str, Window] = {}
        self._secondary: dict[tuple[str, str], Window] = {}
        self._inflight: dict[str, int] = {}

    def clock(self) -> float:
        return time.monotonic() + self._advanced()

    def reset(self) -> None:
        with self._lock:
            self._primary.clear()
            self._secondary.clear()

    def _window(self, table: dict, key, length: float) -> Window:  # type: ignore[type-arg]
        now = self.clock()
        window = table.get(key)
        if window is None or now - window.start >= length:
            window = table[key] = Window(start=now)
        return window

    def primary(self, login: str, limit: int | None, length: float, spend: bool) -> Verdict:
        """Spend one request of the user's hourly budget (unless ``spend`` is false, e.g. /rate_limit)."""
        with self._lock:
            window = self._window(self._primary, login, length)
            reset_in = window.start + length - self.clock()
            if limit is None:
                return Verdict(None, 0, reset_in)
            if spend and window.used >= limit:
                return Verdict(limit, window.used, reset_in, exceeded=True)
            if spend:
                window.used += 1
            return Verdict(limit, window.used, reset_in)

    def secondary(self, login: str, endpoint: str, cost: int, points: int | None, length: float) -> float | None:
        """Spend ``cost`` points on an endpoint; answers seconds to wait when over budget, else None."""
        if points is None:
            return None
        with self._lock:
            window = self._window(self._secondary, (login, endpoint), length)
            if window.used + cost > points:
                return max(1.0, math.ceil(window.start + length - self.clock()))
            window.used += cost
            return None

    def enter(self, login: str, max_concurrent: int | None) -> bool:
        """Count one in-flight request; False when the user already has ``max_concurrent`` running."""
        with self._lock:
            current = self._inflight.get(login, 0)
            if max_concurrent is not None and current >= max_concurrent:
                return False
            self._inflight[login] = current + 1
            return True

    def leave(self, login: str) -> None:
        with self._lock:
            self._inflight[login] -= 1
