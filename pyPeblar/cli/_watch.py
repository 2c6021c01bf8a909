"""``pypeblar watch``: a live view of the charger.

On a terminal the screen refreshes in place; piped (to a file, ``grep``, a logger) it prints a
header line, then one line per sample, or one JSON document per line with ``--json``. Each sample
costs two requests, and the client's rate limiter keeps any interval within the charger's limit.
With the web interface password as well (``PEBLAR_PASSWORD``, ``--password-file``), it also
follows the session status on the charger's websocket (``PeblarWeb.events()``, in a thread) and
takes a sample at once when the session's state changes, instead of at the next interval.

Stopping it is its normal end: SIGINT (Ctrl-C, ``kill -INT``, ``timeout -s INT``) and SIGTERM
(``kill``, ``timeout``, a service manager) end it with status 0 and no traceback, however often
they come (``timeout`` sends its signal twice: to the command and to its process group), and also
when the shell started it with SIGINT ignored (``pypeblar watch &`` in a script).
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from datetime import datetime
from typing import TYPE_CHECKING

from pyPeblar._shared.signals import Stop, stopped_by_signals
from pyPeblar.cli._context import count_option, events_installed

if TYPE_CHECKING:
    from pyPeblar._web.client import PeblarWeb
    from pyPeblar.cli._context import Context

__all__ = ["add_arguments", "run"]

#: Below this, samples would only queue behind the rate limiter (two requests each).
MIN_INTERVAL = 0.5

#: Above this, ``time.sleep`` overflows (and a day between samples is already a long view).
MAX_INTERVAL = 86400.0

CLEAR = "\x1b[H\x1b[2J"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--interval",
        type=float,
        default=5.0,
        help=f"seconds between samples (default 5, {MIN_INTERVAL:g} to {MAX_INTERVAL:g})",
    )
    count_option(parser, "samples")


def run(context: Context) -> int:
    from pyPeblar.cli._context import UsageError, checked_count

    interval, count = context.args.interval, checked_count(context.args.count)
    if not MIN_INTERVAL <= interval <= MAX_INTERVAL:
        raise UsageError(f"--interval must be from {MIN_INTERVAL:g} to {MAX_INTERVAL:g} s")
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
    context.charger()  # a missing token is said before anything else
    changes = SessionChanges.follow(context, stop)
    try:
        sample(context, interval, count, live=live, stop=stop, changes=changes)
    finally:
        if changes is not None:
            changes.end()


def sample(
    context: Context,
    interval: float,
    count: int | None,
    *,
    live: bool,
    stop: Stop,
    changes: SessionChanges | None,
) -> None:
    """The samples: every ``interval`` seconds, and at once after a session change."""
    from pyPeblar.cli._render import SAMPLE_HEADER, render_ev, render_meter, sample_line

    charger = context.charger()  # after the websocket's web(): errors now are this API's
    if not live and not context.json:
        context.out.write(SAMPLE_HEADER + "\n")  # a log or a pipe says once what its columns are
    note = "Ctrl-C to stop; session changes show at once" if changes else "Ctrl-C to stop"
    taken = 0
    while (count is None or taken < count) and not stop.is_set():
        started = time.monotonic()
        when = datetime.now().astimezone()
        ev, meter = charger.ev_interface(), charger.meter()
        context.quiet()  # the wait line, if a slow sample showed one
        if context.json:
            document = {
                "time": when.isoformat(timespec="seconds"),
                "evinterface": ev.to_dict(),
                "meter": meter.to_dict(),
            }
            context.out.write(json.dumps(document, default=str) + "\n")
        elif live:
            context.out.write(
                f"{CLEAR}{charger.host}  {when:%H:%M:%S}  ({note})\n\n"
                f"{render_ev(ev)}\n{render_meter(meter)}\n"
            )
        else:
            context.out.write(sample_line(when, ev, meter) + "\n")
        context.out.flush()
        taken += 1
        if count is None or taken < count:
            wake = changes.pending if changes is not None else None
            stop.wait(max(0.0, interval - (time.monotonic() - started)), wake)
        if changes is not None:
            changes.taken()


class SessionChanges:
    """The session status followed on the websocket, in a thread: ``pending`` says the state
    changed since the last sample. The stream ends with ``end()`` or a stop request."""

    def __init__(self, web: PeblarWeb, stop: Stop) -> None:
        self._stop = stop
        self._changed = False
        self._ended = False
        self._thread = threading.Thread(
            target=self._follow, args=(web,), name="pypeblar-watch-events", daemon=True
        )
        self._thread.start()

    @classmethod
    def follow(cls, context: Context, stop: Stop) -> SessionChanges | None:
        """Follow the session when the password is given (never asked for) and the ``events``
        extra is installed; None otherwise."""
        if not context.host() or not context.password(ask=False):
            return None
        if not events_installed():
            if sys.stderr.isatty():
                sys.stderr.write(
                    "pypeblar: session changes would show at once with pyPeblar[events] "
                    "(pip install 'pyPeblar[events]')\n"
                )
            return None
        return cls(context.web(), stop)

    def _follow(self, web: PeblarWeb) -> None:
        from pyPeblar._errors import PeblarError

        last = None
        try:
            for event in web.events(until=self._finished):
                state = getattr(event.data, "state", None)
                if last is not None and (state != last or event.resumed):
                    self._changed = True
                last = state
        except PeblarError as error:  # the samples go on; the stream was a bonus
            sys.stderr.write(f"pypeblar: session changes show at the next sample: {error}\n")

    def _finished(self) -> bool:
        return self._ended or self._stop.is_set()

    def pending(self) -> bool:
        return self._changed

    def taken(self) -> None:
        self._changed = False

    def end(self) -> None:
        self._ended = True
        self._thread.join(timeout=5)
