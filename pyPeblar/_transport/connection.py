"""urllib3's HTTP connection, with the two promises urllib3 cannot keep by itself.

No HTTP is written here: urllib3 (and ``http.client`` under it) makes the connection, sends the
request and reads and parses every byte of the answer, as for any ``HTTPConnectionPool``. This
module only subclasses urllib3's ``HTTPConnection`` (its documented ``ConnectionCls`` hook) to:

1. **A whole-answer timeout.** urllib3's read timeout bounds each receive; a charger (or anything
   in between) that sends one byte a second never trips it. urllib3 has no setting for a deadline
   on a whole answer: ``Timeout(total=...)`` only takes the connect time off the read timeout,
   which still bounds each receive alone ("if a server streams one byte every fifteen seconds, a
   timeout of 20 seconds will not trigger", ``urllib3.util.Timeout``'s own note, urllib3 2.8).
   So the socket urllib3 connects is adopted as an ``AnswerSocket`` (the same file descriptor and
   timeout), which knows the answer's deadline (the read timeout from when urllib3 asks for the
   answer, ``getresponse``). Its one override, ``recv_into``, lowers the socket's timeout to the
   time left until that deadline and calls the real ``socket.recv_into``: it neither sends nor
   parses anything. A receive that would pass the deadline times out there (within a
   millisecond, ``SLACK``), and urllib3 reports the read timeout as it would for a silent
   charger. It costs nothing per attempt but an attribute: no watchdog thread, no lock, no heap
   (until 2026-12, urllib3's answers were on ``_modbus.watchdog``'s list, as pymodbus's
   synchronous client's still are: a lock and a heap entry on every attempt;
   docs/performance.md).
2. **No header on any output.** ``Configuration.debug = True`` sets
   ``http.client.HTTPConnection.debuglevel``, which prints every request header (the token
   included) on stdout. This class pins its own ``debuglevel`` to 0; the policy layer logs method,
   path, status and time instead.

The REST client (``sync_rest``) uses a plain ``urllib3.HTTPConnectionPool`` with
``DeadlineConnection`` as its ``ConnectionCls``.
"""

from __future__ import annotations

import socket
import time
from typing import Any

from urllib3.connection import HTTPConnection

__all__ = ["SLACK", "AnswerSocket", "DeadlineConnection"]

#: How far past its deadline an answer's last receive may end (seconds), rather than a system
#: call on every receive to shorten the socket's timeout by less than that.
SLACK = 0.001


class AnswerSocket(socket.socket):
    """A connected socket whose receives end at the answer's deadline (``deadline``, monotonic).

    ``http.client`` reads an answer through ``socket.makefile``, whose every read is a
    ``recv_into``: each gets the socket's timeout cut down to the time the answer has left, so
    a charger dripping a byte at a time cannot stretch the answer past its deadline.
    """

    __slots__ = ("deadline",)

    deadline: float | None

    @classmethod
    def adopt(cls, sock: socket.socket) -> AnswerSocket:
        """The same connection (``sock``'s file descriptor and timeout) as an ``AnswerSocket``."""
        timeout = sock.gettimeout()
        adopted = cls(fileno=sock.detach())  # family, type and protocol read from the descriptor
        adopted.settimeout(timeout)
        adopted.deadline = None
        return adopted

    def recv_into(self, buffer: Any, nbytes: int = 0, flags: int = 0) -> int:
        deadline = self.deadline
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("timed out")  # what a receive past its timeout raises
            timeout = self.gettimeout()
            # Setting a timeout is a system call: done only when the socket's would pass the
            # deadline by more than SLACK. urllib3 sets the read timeout as the answer's
            # deadline is set, so the first receives of an answer never need it.
            if timeout is None or timeout > left + SLACK:
                self.settimeout(left)
        return super().recv_into(buffer, nbytes, flags)


class DeadlineConnection(HTTPConnection):
    """An urllib3 ``HTTPConnection`` with a whole-answer deadline and no debug output."""

    #: Shadows ``http.client.HTTPConnection.debuglevel``, which ``Configuration.debug`` turns on.
    debuglevel = 0

    def set_debuglevel(self, level: int) -> None:
        """Ignored: debug output would print the request's headers, the token among them."""

    def _new_conn(self) -> socket.socket:
        return AnswerSocket.adopt(super()._new_conn())

    def getresponse(self) -> Any:
        """urllib3's answer, read by the deadline: the read timeout from now, for all of it."""
        sock = self.sock
        timeout = self.timeout
        if isinstance(sock, AnswerSocket):
            sock.deadline = (
                time.monotonic() + timeout if isinstance(timeout, (int, float)) else None
            )
        return super().getresponse()
