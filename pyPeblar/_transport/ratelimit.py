"""A token bucket: the charger's rate limit, and the client's way of staying under it.

Peblar chargers allow about 5 requests per second with bursts of up to 10, shared by every client,
and answer 429 beyond that. The simulator refuses with ``try_acquire``; the client waits with
``acquire`` so that a polling loop never meets a 429. Standard library only (the simulator uses it).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

__all__ = ["TokenBucket"]


class TokenBucket:
    """``rate`` tokens per second, holding at most ``burst``; starts full. Thread-safe."""

    __slots__ = ("_clock", "_lock", "_stamp", "_tokens", "burst", "rate")

    def __init__(
        self, rate: float, burst: int, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError(f"a token bucket needs rate > 0 and burst >= 1, not {rate}, {burst}")
        self.rate = float(rate)
        self.burst = burst
        self._clock = clock
        self._lock = threading.Lock()
        self._tokens = float(burst)
        self._stamp = clock()

    def _refill(self, now: float) -> None:
        elapsed = now - self._stamp
        if elapsed > 0:
            self._tokens = min(self.burst, self._tokens + elapsed * self.rate)
        self._stamp = now

    def try_acquire(self) -> bool:
        """Take a token if one is there; never waits."""
        with self._lock:
            self._refill(self._clock())
            if self._tokens >= 1:
                self._tokens -= 1
                return True
            return False

    def reserve(self) -> float:
        """Take a token now, going into debt if needed; return how long to wait before using it.

        Reserving under the lock and sleeping outside it keeps waiting callers in arrival order
        and lets other threads reserve meanwhile.
        """
        with self._lock:
            self._refill(self._clock())
            self._tokens -= 1
            return 0.0 if self._tokens >= 0 else -self._tokens / self.rate

    def acquire(self, sleep: Callable[[float], None] = time.sleep) -> float:
        """Wait for a token; return the seconds waited."""
        wait = self.reserve()
        if wait > 0:
            sleep(wait)
        return wait

    def drain(self, seconds: float = 0.0) -> None:
        """Empty the bucket, and keep it empty for ``seconds`` more (after a 429)."""
        with self._lock:
            self._refill(self._clock())
            self._tokens = min(self._tokens, 0.0) - seconds * self.rate
