"""urllib3's HTTP connection, made to keep two promises urllib3 cannot keep by itself.

1. **A whole-answer timeout.** urllib3's read timeout bounds each ``recv``; a charger (or anything
   in between) that sends one byte a second never trips it. Here every ``recv`` first checks the
   answer's deadline (read timeout after the request went out) and shortens its own timeout to
   what is left, so an attempt never outlives its read timeout, however the answer trickles in.
2. **No header on any output.** ``Configuration.debug = True`` sets
   ``http.client.HTTPConnection.debuglevel``, which prints every request header (the token
   included) on stdout. This class pins its own ``debuglevel`` to 0; the policy layer logs
   method, path, status and time instead.

The pool is a plain ``urllib3.HTTPConnectionPool`` with this class as its ``ConnectionCls``.
"""

from __future__ import annotations

import socket
import time
from typing import Any

from urllib3.connection import HTTPConnection

__all__ = ["DeadlineConnection"]

#: Slack before a recv's timeout is shortened (saves a system call on most reads).
_SLACK = 0.05


class _DeadlineSocket(socket.socket):
    """A socket whose reads end by ``answer_deadline`` (a ``time.monotonic()`` value)."""

    __slots__ = ("answer_deadline",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.answer_deadline: float | None = None

    def _shorten(self) -> None:
        deadline = self.answer_deadline
        if deadline is None:
            return
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("the whole answer took longer than the read timeout")
        current = self.gettimeout()
        if current is None or remaining < current - _SLACK:
            self.settimeout(remaining)

    def recv_into(self, buffer: Any, nbytes: int = 0, flags: int = 0) -> int:
        self._shorten()
        return super().recv_into(buffer, nbytes, flags)

    def recv(self, bufsize: int, flags: int = 0) -> bytes:
        self._shorten()
        return super().recv(bufsize, flags)


class DeadlineConnection(HTTPConnection):
    """An urllib3 ``HTTPConnection`` with a whole-answer deadline and no debug output."""

    #: Shadows ``http.client.HTTPConnection.debuglevel``, which ``Configuration.debug`` turns on.
    debuglevel = 0

    def _new_conn(self) -> socket.socket:
        plain = super()._new_conn()
        timeout = plain.gettimeout()
        sock = _DeadlineSocket(plain.family, plain.type, plain.proto, fileno=plain.detach())
        sock.settimeout(timeout)
        return sock

    def set_debuglevel(self, level: int) -> None:
        """Ignored: debug output would print the request's headers, the token among them."""

    def getresponse(self) -> Any:
        sock = self.sock
        if isinstance(sock, _DeadlineSocket):
            timeout = self.timeout
            sock.answer_deadline = (
                time.monotonic() + timeout if isinstance(timeout, (int, float)) else None
            )
        return super().getresponse()
