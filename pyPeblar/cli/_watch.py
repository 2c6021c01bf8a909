"""``pypeblar watch``: a live view of the charger.

On a terminal the screen refreshes in place; piped (to a file, ``grep``, a logger) it prints one
line per sample, or one JSON document per line with ``--json``. Each sample costs two requests,
and the client's rate limiter keeps any interval within the charger's limit. Ctrl-C ends it
cleanly (exit status 0).
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyPeblar.cli._context import Context

__all__ = ["add_arguments", "run"]

#: Below this, samples would only queue behind the rate limiter (two requests each).
MIN_INTERVAL = 0.5

CLEAR = "\x1b[H\x1b[2J"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--interval",
        type=float,
        default=5.0,
        help=f"seconds between samples (default 5, min {MIN_INTERVAL})",
    )
    parser.add_argument("--count", type=int, help="stop after this many samples")


def run(context: Context) -> int:
    from pyPeblar.cli._context import UsageError
    from pyPeblar.cli._render import render_ev, render_meter, sample_line

    interval, count = context.args.interval, context.args.count
    if not interval >= MIN_INTERVAL:
        raise UsageError(f"--interval must be at least {MIN_INTERVAL} s")
    if count is not None and count < 1:
        raise UsageError("--count must be at least 1")
    charger = context.charger()
    live = context.out.isatty() and not context.json
    taken = 0
    try:
        while count is None or taken < count:
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
                time.sleep(max(0.0, interval - (time.monotonic() - started)))
    except KeyboardInterrupt:
        if live:
            context.out.write("\n")
    return 0
