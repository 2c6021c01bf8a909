"""What a command waits for, on one line of the terminal, once it has waited about two seconds.

A charger that does not answer keeps a command silent for as long as ``--deadline`` allows, and
a phase switch waits up to 30 s for the charger: a person at a terminal should see why. The SDK
reports every wait on the ``pyPeblar`` logger (``pyPeblar._transport.waits``: the answer, a
retry, the rate limiter, a phase switch); ``WaitLine`` is a logging handler that keeps the
wait in progress, and a ticker thread shows it on stderr once it has lasted ``AFTER`` seconds,
redrawn in place with the seconds waited, the way pip, cargo or apt show progress::

    pypeblar: GET /api/wlac/v1/meter: waiting for the answer, attempt 2 of 3 (14 s)

The line is erased before anything else is written (``clear``), and when the command ends. Only
for a terminal: ``main`` installs it when stderr is one and -v is off (-v logs every wait as a
line of its own); standard output, and so ``--json``, never gets any of it.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
import time
from typing import Final, TextIO

from pyPeblar._transport.waits import ANSWERED, ATTRIBUTE, CHANGE, CHANGED, REQUEST, RETRY

__all__ = ["WaitLine"]


def cut(text: str, width: int) -> str:
    """``text`` in at most ``width`` characters, ending in ``...`` if it had to be cut."""
    return text if len(text) <= width else text[: max(0, width - 3)] + "..."


class Wait:
    """A wait in progress: since when, and what it is (the latest record's words)."""

    __slots__ = ("since", "text")

    def __init__(self, since: float, text: str) -> None:
        self.since = since
        self.text = text


class WaitLine(logging.Handler):
    """Shows the wait in progress on ``stream`` (a terminal) once it passes ``AFTER`` seconds."""

    #: Seconds a wait goes unshown: most calls end well before.
    AFTER: Final = 2.0
    #: How often the line is brought up to date.
    TICK: Final = 0.2

    def __init__(self, stream: TextIO) -> None:
        super().__init__(level=logging.DEBUG)
        self.stream = stream
        self._lock = threading.Lock()
        self._request: Wait | None = None  # a request: its answer, a retry, the rate limiter
        self._change: Wait | None = None  # the charger carrying out a change, across requests
        self._shown = ""
        self._stopped = threading.Event()
        self._ticker = threading.Thread(target=self._tick, name="pypeblar-wait-line", daemon=True)
        self._logger = logging.getLogger("pyPeblar")
        self._level = self._logger.level

    def start(self) -> None:
        """Listen to the SDK's wait records (at DEBUG, which only this handler sees) and draw."""
        self._logger.addHandler(self)
        if not self._logger.isEnabledFor(logging.DEBUG):
            self._logger.setLevel(logging.DEBUG)
        self._ticker.start()

    def stop(self) -> None:
        """Erase the line and stop listening; the logger is as it was."""
        self._stopped.set()
        if self._ticker.is_alive():
            self._ticker.join()
        self._logger.removeHandler(self)
        self._logger.setLevel(self._level)
        self.clear()
        self.close()

    def emit(self, record: logging.LogRecord) -> None:
        kind = getattr(record, ATTRIBUTE, None)
        if kind is None:
            return
        now = time.monotonic()
        text = record.getMessage()
        with self._lock:
            if kind == REQUEST or (kind == RETRY and self._request is None):
                self._request = Wait(now, text)
            elif kind == RETRY and self._request is not None:
                self._request.text = text  # the same request, still waited for
            elif kind == ANSWERED:
                self._request = None
            elif kind == CHANGE:
                self._change = Wait(now, text)
            elif kind == CHANGED:
                self._change = None

    def clear(self) -> None:
        """Erase the line and forget the waits: the command writes something, or ends."""
        with self._lock:
            self._request = self._change = None
            self._draw("")

    def _tick(self) -> None:
        while not self._stopped.wait(self.TICK):
            with self._lock:
                self._draw(self._line(time.monotonic()))

    def _line(self, now: float) -> str:
        """The line for the wait that has lasted ``AFTER`` seconds (a request's first), or "";
        cut to the terminal's width, as a wrapped line could not be redrawn in place."""
        for wait in (self._request, self._change):
            if wait is not None and now - wait.since >= self.AFTER:
                waited = f" ({now - wait.since:.0f} s)"
                return cut(f"pypeblar: {wait.text}", self._width() - 1 - len(waited)) + waited
        return ""

    def _draw(self, line: str) -> None:
        """Show ``line`` in place of the one shown (none for "")."""
        if line == self._shown:
            return
        try:
            self.stream.write(f"\r{line}\x1b[K")
            self.stream.flush()
        except (OSError, ValueError):  # the terminal went away: nothing to show it on
            self._stopped.set()
        self._shown = line

    def _width(self) -> int:
        """The terminal's width (80 when it does not say: a new pseudo-terminal says 0)."""
        try:
            columns = os.get_terminal_size(self.stream.fileno()).columns
        except (OSError, ValueError, AttributeError):
            columns = shutil.get_terminal_size().columns
        return columns if columns >= 20 else 80
