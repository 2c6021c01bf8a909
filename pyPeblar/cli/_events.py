"""``pypeblar events``: the charger's live events, as they come, until Ctrl-C.

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

from pyPeblar._signals import stopped_by_signals

if TYPE_CHECKING:
    from pyPeblar.cli._context import Context

__all__ = ["INSTALL_HINT", "add_arguments", "run"]

INSTALL_HINT = "pypeblar events needs the websockets library: pip install 'pyPeblar[events]'"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from pyPeblar.cli._context import json_option

    json_option(parser)
    parser.add_argument(
        "topics",
        nargs="*",
        metavar="TOPIC",
        help="the charger's topics (default: /session/status/connector/1); also "
        "/system/fwupdate/status, /rfid/tokenfound, /vehicle/tokenfound, "
        "/system/diagnostics/statuschanged",
    )


def run(context: Context) -> int:
    from pyPeblar._events import check_topics
    from pyPeblar.cli._context import UsageError
    from pyPeblar.cli._render import event_document, event_line

    topics = check_topics(context.args.topics)  # a ValueError is a usage error (exit 2)
    try:
        import websockets  # noqa: F401
    except ImportError:
        raise UsageError(INSTALL_HINT) from None
    web = context.web()
    with stopped_by_signals() as stop:
        for event in web.events(*topics, until=stop.is_set):
            when = datetime.now().astimezone()
            if context.json:
                context.out.write(json.dumps(event_document(when, event), default=str) + "\n")
            else:
                context.out.write(event_line(when, event) + "\n")
            context.out.flush()
    return 0
