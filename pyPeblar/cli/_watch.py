"""``pypeblar watch``: a live view of the charger.

On a terminal the screen refreshes in place; piped (to a file, ``grep``, a logger) it prints one
line per sample, or one JSON document per line with ``--json``. Each sample costs two requests,
and the client's rate limiter keeps any interval within the charger's limit.

Stopping it is its normal end: SIGINT (Ctrl-C, ``kill -INT``, ``timeout -s INT``) and SIGTERM
(``kill``, ``timeout``, a service manager) end it with status 0 and no traceback, however often
they come (``timeout`` sends its signal twice: to the command and to its process group), and also
when the shell started it with SIGINT ignored (``pypeblar watch &`` in a script).
"""

from __future__ import annotations

import argparse
import json
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyPeblar.cli._context import Context

__all__ = ["add_arguments", "run"]

#: Below this, samples would only queue behind the rate limiter (two requests each).
MIN_INTERVAL = 0.5

#: Above this, ``time.sleep`` overflows (and a day between samples is already a long view).
MAX_INTERVAL = 86400.0

CLEAR = "\x1b[H\x1b[2J"

#: The signals that ask ``watch`` to stop.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--interval",
        type=float,
        default=5.0,
        help=f"seconds between samples (default 5, {MIN_INTERVAL:g} to {MAX_INTERVAL:g})",
    )
    parser.add_argument("--count", type=int, help="stop after this many samples")


class Stop:
    """A stop request that a signal handler can make safely.

    ``threading.Event`` cannot be set from a signal handler: the handler runs in the main thread
    between two bytecodes, and if those are inside ``Event.wait`` while it holds the event's
    (non-reentrant) lock, ``Event.set`` waits for that lock for ever (seen once in CI: ``watch``
    ignoring SIGINT). Here the handler only sets a flag, and ``wait`` sleeps in short slices that
    check it: no lock, no file descriptor, and a stop is seen within ``SLICE`` seconds.
    """

    #: The longest a requested stop goes unseen while ``watch`` sleeps between samples.
    SLICE = 0.1

    def __init__(self) -> None:
        self._requested = False

    def set(self) -> None:
        self._requested = True

    def is_set(self) -> bool:
        return self._requested

    def wait(self, timeout: float) -> bool:
        """Sleep up to ``timeout`` seconds, less if a stop is requested; whether one was."""
        until = time.monotonic() + timeout
        while not self._requested:
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


def run(context: Context) -> int:
    from pyPeblar.cli._context import UsageError

    interval, count = context.args.interval, context.args.count
    if not MIN_INTERVAL <= interval <= MAX_INTERVAL:
        raise UsageError(f"--interval must be from {MIN_INTERVAL:g} to {MAX_INTERVAL:g} s")
    if count is not None and count < 1:
        raise UsageError("--count must be at least 1")
    live = context.out.isatty() and not context.json
    with stopped_by_signals() as stop:
        watch(context, interval, count, live=live, stop=stop)
    if stop.is_set() and live:
        context.out.write("\n")
    return 0


def watch(
    context: Context,
    interval: float,
    count: int | None,
    *,
    live: bool,
    stop: Stop,
) -> None:
    """Print a sample every ``interval`` seconds, ``count`` times or until ``stop`` is set."""
    from pyPeblar.cli._render import render_ev, render_meter, sample_line

    charger = context.charger()
    taken = 0
    while (count is None or taken < count) and not stop.is_set():
        started = time.monotonic()
        when = datetime.now().astimezone()
        ev, meter = charger.ev_interface(), charger.meter()
        if context.json:
            document = {
                "time": when.isoformat(timespec="seconds"),
                "evinterface": ev.to_dict(),
                "meter": meter.to_dict(),
            }
            context.out.write(json.dumps(document, default=str) + "\n")
        elif live:
            context.out.write(
                f"{CLEAR}{charger.host}  {when:%H:%M:%S}  (Ctrl-C to stop)\n\n"
                f"{render_ev(ev)}\n{render_meter(meter)}\n"
            )
        else:
            context.out.write(sample_line(when, ev, meter) + "\n")
        context.out.flush()
        taken += 1
        if count is None or taken < count:
            stop.wait(max(0.0, interval - (time.monotonic() - started)))
