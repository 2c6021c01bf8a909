"""What a client remembers about each charger between calls.

Two things outlive a single call: the limit that ``pause()`` replaced (so ``resume()`` can restore
it), and when the relays last switched (Peblar warns that nothing protects them from rapid
switching, so the client refuses more than three pauses or phase switches in ten minutes). A
library process keeps them in memory, shared by every client of the same charger; the command
line, whose every call is a new process, keeps them in a small JSON file.

The relay history is the charger's, whatever API switched it, so it is kept under the charger's
host (``192.168.1.50``): a REST client on port 80 and a Modbus client on 502 count together. The
paused limit is each API's own (the REST and Modbus limits are separate registers): kept under
``host:port`` for the REST API and ``modbus:host:port`` for Modbus.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Final

from pyPeblar._errors import PeblarRelayProtectionError

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["ChargerMemory", "RelayGuard", "process_memory"]

#: Pauses plus phase switches allowed per window, and the window (one integration's rule of thumb).
MAX_SWITCHES: Final = 3
SWITCH_WINDOW: Final = 600.0


class ChargerMemory:
    """Notes per key (a charger's host, or an API's ``host:port``): in memory, or in a JSON file
    when ``path`` is set."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._data: dict[str, dict[str, Any]] = {}

    @contextmanager
    def _entry(self, key: str) -> Iterator[dict[str, Any]]:
        """The notes on ``key``, to read or change; saved only if changed, and dropped once empty
        (a file never fills with a ``{}`` per charger ever used)."""
        with self._lock:
            data = self._load()
            entry = data.get(key)
            entry = dict(entry) if isinstance(entry, dict) else {}
            before = data.get(key)
            yield entry
            if entry:
                data[key] = entry
            else:
                data.pop(key, None)
            if data.get(key) != before:
                self._save(data)

    def _load(self) -> dict[str, dict[str, Any]]:
        if self.path is None:
            return self._data
        try:
            loaded = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return loaded if isinstance(loaded, dict) else {}

    def _save(self, data: dict[str, dict[str, Any]]) -> None:
        if self.path is None:
            return
        import tempfile  # only the command line keeps a file

        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".memory-")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle)
        os.replace(tmp, self.path)

    def paused_limit(self, key: str) -> int | None:
        """The limit (mA) the last ``pause()`` replaced, if any."""
        with self._entry(key) as entry:
            value = entry.get("paused_limit_ma")
        return value if isinstance(value, int) else None

    def set_paused_limit(self, key: str, milliamps: int | None) -> None:
        with self._entry(key) as entry:
            if milliamps is None:
                entry.pop("paused_limit_ma", None)
            else:
                entry["paused_limit_ma"] = milliamps

    def switches_since(self, key: str, since: float) -> list[float]:
        """Wall-clock times of relay switches after ``since``; older ones are forgotten."""
        with self._entry(key) as entry:
            recent = [t for t in entry.get("switches", []) if isinstance(t, float) and t > since]
            if recent:
                entry["switches"] = recent
            else:
                entry.pop("switches", None)
        return recent

    def add_switch(self, key: str, at: float) -> None:
        with self._entry(key) as entry:
            entry["switches"] = [*entry.get("switches", []), at]


_PROCESS_MEMORY = ChargerMemory()


def process_memory() -> ChargerMemory:
    """The in-memory notes shared by every client in this process."""
    return _PROCESS_MEMORY


class RelayGuard:
    """Refuses a pause or phase switch that would make more than ``limit`` in ``window`` seconds."""

    def __init__(
        self,
        memory: ChargerMemory,
        key: str,
        *,
        enabled: bool = True,
        limit: int = MAX_SWITCHES,
        window: float = SWITCH_WINDOW,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.memory = memory
        self.key = key
        self.enabled = enabled
        self.limit = limit
        self.window = window
        self.clock = clock

    def check(self, what: str) -> None:
        """Raise ``PeblarRelayProtectionError`` if ``what`` would switch the relays too often."""
        if not self.enabled:
            return
        now = self.clock()
        recent = self.memory.switches_since(self.key, now - self.window)
        if len(recent) >= self.limit:
            wait = recent[0] + self.window - now
            raise PeblarRelayProtectionError(
                f"refusing to {what}: {len(recent)} pauses or phase switches in the last "
                f"{self.window / 60:g} minutes already, and Peblar warns that nothing protects the "
                f"relays from rapid switching; the next is allowed in {wait:.0f} s "
                "(Peblar(..., protect_relays=False) turns this check off)"
            )

    def record(self) -> None:
        """Note a pause or phase switch that was sent."""
        self.memory.add_switch(self.key, self.clock())
