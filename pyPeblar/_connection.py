"""urllib3's HTTP connection, with the two promises urllib3 cannot keep by itself.

1. **A whole-answer timeout.** urllib3's read timeout bounds each receive; a charger (or anything
   in between) that sends one byte a second never trips it. When the request has gone out, the
   connection arms the attempt's ``AnswerWatch`` (``_watchdog``) with the answer's deadline (read
   timeout after the request went out); at the deadline its socket is shut down, so the read
   blocked in urllib3 returns at once and urllib3 reports the connection lost; the attempt knows
   it was the deadline. Every byte is still read by urllib3: nothing here reads or writes a socket.
2. **No header on any output.** ``Configuration.debug = True`` sets
   ``http.client.HTTPConnection.debuglevel``, which prints every request header (the token
   included) on stdout. This class pins its own ``debuglevel`` to 0; the policy layer logs method,
   path, status and time instead.

The REST client (``_rest``) opens an ``AnswerWatch`` around each attempt; the pool is a plain
``urllib3.HTTPConnectionPool`` with ``DeadlineConnection`` as its ``ConnectionCls``.
"""

from __future__ import annotations

from typing import Any

from urllib3.connection import HTTPConnection

from pyPeblar._watchdog import current_watch

__all__ = ["DeadlineConnection"]


class DeadlineConnection(HTTPConnection):
    """An urllib3 ``HTTPConnection`` with a whole-answer deadline and no debug output."""

    #: Shadows ``http.client.HTTPConnection.debuglevel``, which ``Configuration.debug`` turns on.
    debuglevel = 0

    def set_debuglevel(self, level: int) -> None:
        """Ignored: debug output would print the request's headers, the token among them."""

    def getresponse(self) -> Any:
        watch = current_watch()
        timeout = self.timeout
        if watch is not None and isinstance(timeout, (int, float)):
            watch.arm(self.sock, timeout)
        return super().getresponse()
