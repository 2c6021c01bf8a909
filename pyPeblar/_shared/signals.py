"""Ending a long-running command cleanly on SIGINT or SIGTERM: ``pypeblar watch`` and the simulator.

Both run until stopped, and stopping is their normal end: Ctrl-C, ``kill``, ``timeout`` or a
service manager must end them with status 0 and no traceback, however often the signal comes and
wherever it lands. Two ways of doing that went wrong here, and are why this module is so plain:

- setting a ``threading.Event`` from the handler can deadlock (the handler runs in the main thread,
  possibly inside ``Event.wait`` while it holds the event's lock; seen in CI for ``watch``, and
  under load for the simulator's command line);
- raising from the handler can land in a finaliser, where Python swallows it.

So the handler only sets a flag, and the waiting side sleeps in short slices that check it.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

__all__ = ["STOP_SIGNALS", "Stop", "stopped_by_signals"]

#: The signals that ask a long-running command to stop.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Stop:
    """A stop request that a signal handler can make safely.

    ``threading.Event`` cannot be set from a signal handler: the handler runs in the main thread
    between two bytecodes, and if those are inside ``Event.wait`` while it holds the event's
    (non-reentrant) lock, ``Event.set`` waits for that lock for ever (seen once in CI: ``watch``
    ignoring SIGINT). Here the handler only sets a flag, and ``wait`` sleeps in short slices that
    check it: no lock, no file descriptor, and a stop is seen within ``SLICE`` seconds.
    """

    #: The longest a requested stop goes unseen while the command sleeps.
    SLICE = 0.1

    def __init__(self) -> None:
        self._requested = False

    def set(self) -> None:
        self._requested = True

    def is_set(self) -> bool:
        return self._requested

    def wait(self, timeout: float, wake: Callable[[], bool] | None = None) -> bool:
        """Sleep up to ``timeout`` seconds, less if a stop is requested (or ``wake`` returns
        True: ``watch`` refreshing on a session event); whether a stop was requested."""
        until = time.monotonic() + timeout
        while not self._requested and not (wake is not None and wake()):
            remaining = until - time.monotonic()
            if remaining <= 0:
                break
            time.sleep(min(self.SLICE, remaining))
        return self._requested


@contextmanager
def stopped_by_signals() -> Iterator[Stop]:
    """A stop request the first SIGINT or SIGTERM makes; those that follow are ignored.

    The handler only requests the stop (the loop checks it, and its sleep wakes for it): raising
    from a signal handler could land in a finaliser (urllib3 closes responses in ``__del__``),
    where Python swallows it, leaving a process that ignores every signal. After a signal the
    process is ending with status 0, and another (``timeout`` sends two, people press Ctrl-C
    twice) must not turn that into a traceback or a death by signal, so both are then ignored for
    the rest of the process. Without a signal, the previous handlers come back when the block
    ends. Handlers can only be set in the main thread; elsewhere signals are left as they are.
    """
    stop = Stop()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return

    def on_signal(signum: int, frame: object) -> None:
        for number in STOP_SIGNALS:
            signal.signal(number, signal.SIG_IGN)
        stop.set()

    previous = {number: signal.signal(number, on_signal) for number in STOP_SIGNALS}
    try:
        yield stop
    finally:
        if not stop.is_set():
            for number, handler in previous.items():
                signal.signal(number, handler)
