"""``pypeblar watch``: a live view of the charger.

On a terminal the screen refreshes in place; piped (to a file, ``grep``, a logger) it prints a
header line, then one line per sample, or one JSON document per line with ``--json``. Each sample
costs two requests, and the client's rate limiter keeps any interval within the charger's limit.

Stopping it is its normal end: SIGINT (Ctrl-C, ``kill -INT``, ``timeout -s INT``) and SIGTERM
(``kill``, ``timeout``, a service manager) end it with status 0 and no traceback, however often
they come (``timeout`` sends its signal twice: to the command and to its process group), and also
when the shell started it with SIGINT ignored (``pypeblar watch &`` in a script).
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import datetime
from typing import TYPE_CHECKING

from pyPeblar._signals import Stop, stopped_by_signals

if TYPE_CHECKING:
    from pyPeblar.cli._context import Context

__all__ = ["add_arguments", "run"]

#: Below this, samples would only queue behind the rate limiter (two requests each).
MIN_INTERVAL = 0.5

#: Above this, ``time.sleep`` overflows (and a day between samples is already a long view).
MAX_INTERVAL = 86400.0

#: More samples than this is "until stopped": leave --count out (10**400 is not a count).
MAX_COUNT = 1_000_000

CLEAR = "\x1b[H\x1b[2J"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--interval",
        type=float,
        default=5.0,
        help=f"seconds between samples (default 5, {MIN_INTERVAL:g} to {MAX_INTERVAL:g})",
    )
    parser.add_argument(
        "--count", type=int, help=f"stop after this many samples (1 to {MAX_COUNT:,})"
    )


def run(context: Context) -> int:
    from pyPeblar.cli._context import UsageError

    interval, count = context.args.interval, context.args.count
    if not MIN_INTERVAL <= interval <= MAX_INTERVAL:
        raise UsageError(f"--interval must be from {MIN_INTERVAL:g} to {MAX_INTERVAL:g} s")
    if count is not None and not 1 <= count <= MAX_COUNT:
        raise UsageError(f"--count must be from 1 to {MAX_COUNT:,} (without it: until stopped)")
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
    from pyPeblar.cli._render import SAMPLE_HEADER, render_ev, render_meter, sample_line

    charger = context.charger()
    if not live and not context.json:
        context.out.write(SAMPLE_HEADER + "\n")  # a log or a pipe says once what its columns are
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
                f"{CLEAR}{charger.host}  {when:%H:%M:%S}  (Ctrl-C to stop)\n\n"
                f"{render_ev(ev)}\n{render_meter(meter)}\n"
            )
        else:
            context.out.write(sample_line(when, ev, meter) + "\n")
        context.out.flush()
        taken += 1
        if count is None or taken < count:
            stop.wait(max(0.0, interval - (time.monotonic() - started)))
