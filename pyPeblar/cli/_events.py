"""``pypeblar events``: the charger's live events, as they come, until Ctrl-C (or ``--count``).

The web interface's websocket (``PeblarWeb.events()``, docs/events.md), with the password from
the usual places (``PEBLAR_PASSWORD``, ``--password-file``, ``--password -``, or asked for on a
terminal). One line per event, or one JSON object per line with ``--json``. Stopping it is its
normal end, as for ``watch`` (``_signals``): SIGINT and SIGTERM end it with status 0 and no
traceback; the stream checks the stop request while it waits (``until``).
"""

from __future__ import annotations

import argparse
import json
from datetime import datetime
from typing import TYPE_CHECKING

from pyPeblar._shared.signals import stopped_by_signals
from pyPeblar.cli._context import count_option, events_installed

if TYPE_CHECKING:
    from pyPeblar.cli._context import Context

__all__ = ["INSTALL_HINT", "add_arguments", "run"]

INSTALL_HINT = "pypeblar events needs the websockets library: pip install 'pyPeblar[events]'"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "topics",
        nargs="*",
        metavar="TOPIC",
        help="the charger's topics (default: /session/status/connector/1); also "
        "/system/fwupdate/status, /rfid/tokenfound, /vehicle/tokenfound, "
        "/system/diagnostics/statuschanged",
    )
    count_option(parser, "events (--count 1: wait for the next one)")


def run(context: Context) -> int:
    from pyPeblar._web.events import check_topics
    from pyPeblar.cli._context import UsageError, checked_count
    from pyPeblar.cli._render import event_document, event_line

    topics = check_topics(context.args.topics)  # a ValueError is a usage error (exit 2)
    count = checked_count(context.args.count)
    if not events_installed():
        raise UsageError(INSTALL_HINT)
    web = context.web()
    with stopped_by_signals() as stop, web.events(*topics, until=stop.is_set) as stream:
        for shown, event in enumerate(stream, 1):
            when = datetime.now().astimezone()
            if context.json:
                context.out.write(json.dumps(event_document(when, event), default=str) + "\n")
            else:
                context.out.write(event_line(when, event) + "\n")
            context.out.flush()
            if shown == count:
                break
    return 0
