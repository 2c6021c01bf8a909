"""How a call reports what it waits for, so that a program can show it (``pypeblar`` does).

A call can be silent for long: waiting for a charger's answer (up to the read timeout, on each
attempt), between attempts (a back-off, a 429's Retry-After), for the rate limiter, and for the
charger to carry out a phase switch. Each such wait is one DEBUG record on the ``pyPeblar``
logger, written in words a person can read (``-v`` and ``logging.basicConfig(level=DEBUG)``
show them), with the attribute ``peblar_wait`` saying what the record begins or ends:

- ``REQUEST``: a request begins (its first attempt, or the rate limiter's wait before it);
- ``RETRY``: the same request waits again: a back-off before another attempt, or that attempt;
- ``ANSWERED``: the request has its answer;
- ``CHANGE``: the call waits for the charger to show a change (a phase switch), across requests;
- ``CHANGED``: the charger shows it.

A request that ends in an error has no closing record: the error says it. Records cost only a
level check when nobody listens. Standard library only: the command line reads the kinds before
it imports the client.
"""

from __future__ import annotations

import logging
import time
from typing import Final

__all__ = ["ANSWERED", "ATTRIBUTE", "CHANGE", "CHANGED", "REQUEST", "RETRY", "answered", "report"]

#: The attribute of a wait's log record that says what kind of record it is.
ATTRIBUTE: Final = "peblar_wait"

REQUEST: Final = "request"
RETRY: Final = "retry"
ANSWERED: Final = "answered"
CHANGE: Final = "change"
CHANGED: Final = "changed"

logger = logging.getLogger("pyPeblar")


def report(kind: str, message: str, *args: object) -> None:
    """Log a wait of ``kind`` at DEBUG (``message % args``), if anybody listens."""
    if logger.isEnabledFor(logging.DEBUG):
        logger.debug(message, *args, extra={ATTRIBUTE: kind})


def answered(method: str, path: str, status: int, size: int, started: float) -> None:
    """Log that a request has its answer (``started``: its ``time.perf_counter()``), if anybody
    listens: the one line per request that ``-v`` shows, for both engines."""
    if logger.isEnabledFor(logging.DEBUG):
        elapsed = (time.perf_counter() - started) * 1000
        report(ANSWERED, "%s %s -> %d (%d bytes) in %.1f ms", method, path, status, size, elapsed)
