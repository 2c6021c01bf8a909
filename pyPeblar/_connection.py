"""urllib3's HTTP connection, with the two promises urllib3 cannot keep by itself.

1. **A whole-answer timeout.** urllib3's read timeout bounds each receive; a charger (or anything
   in between) that sends one byte a second never trips it. While an attempt waits for its answer,
   its connection is on a watchdog's list with the answer's deadline (read timeout after the
   request went out). One daemon thread ends any answer that outlives its deadline by shutting the
   connection's socket down, so the read blocked in urllib3 returns at once and urllib3 reports the
   connection lost; the attempt knows it was the deadline. Every byte is still read by urllib3:
   nothing here reads or writes a socket.
2. **No header on any output.** ``Configuration.debug = True`` sets
   ``http.client.HTTPConnection.debuglevel``, which prints every request header (the token
   included) on stdout. This class pins its own ``debuglevel`` to 0; the policy layer logs method,
   path, status and time instead.

The REST client (``_rest``) opens an ``AnswerWatch`` around each attempt; the pool is a plain
``urllib3.HTTPConnectionPool`` with ``DeadlineConnection`` as its ``ConnectionCls``.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import math
import socket
import threading
import time
from contextvars import ContextVar, Token
from typing import Any

from urllib3.connection import HTTPConnection

__all__ = ["AnswerWatch", "DeadlineConnection", "watching"]


class AnswerWatch:
    """One attempt's answer: armed when the request has gone out, finished when it is read.

    As a context manager (``with watching() as watch``), it is the attempt the connection arms
    while the block runs. (A class, not ``contextlib.contextmanager``: it is on every call's path.)
    """

    __slots__ = ("_token", "connection", "deadline", "expired")

    def __init__(self) -> None:
        self.connection: HTTPConnection | None = None
        self.deadline = 0.0
        self.expired = False
        self._token: Token[AnswerWatch | None] | None = None

    def __enter__(self) -> AnswerWatch:
        self._token = _current.set(self)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.finish()
        if self._token is not None:
            _current.reset(self._token)
            self._token = None

    def finish(self) -> None:
        """The answer is in (or the attempt is over): the watchdog leaves the connection alone."""
        self.connection = None

    def expire(self) -> None:
        """Called by the watchdog at the deadline: end the read urllib3 is blocked in."""
        connection, self.connection = self.connection, None
        sock = getattr(connection, "sock", None)
        if sock is not None:
            self.expired = True
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class _Watchdog:
    """One daemon thread, started on first use, expiring answers in deadline order."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._heap: list[tuple[float, int, AnswerWatch]] = []
        self._order = itertools.count()
        self._thread: threading.Thread | None = None
        #: When the thread wakes next: an answer due earlier must wake it, later ones need not.
        self._waking = 0.0

    def add(self, watch: AnswerWatch) -> None:
        with self._condition:
            heap = self._heap
            while heap and heap[0][2].connection is None:  # finished: drop (keeps it small)
                heapq.heappop(heap)
            heapq.heappush(heap, (watch.deadline, next(self._order), watch))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="pyPeblar-answer-deadlines", daemon=True
                )
                self._thread.start()
            elif watch.deadline < self._waking:
                self._condition.notify()

    def _run(self) -> None:
        with self._condition:
            heap = self._heap
            while True:
                while heap and heap[0][2].connection is None:
                    heapq.heappop(heap)
                if not heap:
                    self._waking = math.inf
                    self._condition.wait()
                    continue
                self._waking = heap[0][0]
                delay = self._waking - time.monotonic()
                if delay > 0:
                    self._condition.wait(delay)
                    continue
                heapq.heappop(heap)[2].expire()


_watchdog = _Watchdog()
#: The attempt in progress in this thread or task, which the connection arms.
_current: ContextVar[AnswerWatch | None] = ContextVar("pyPeblar_answer_watch", default=None)


def watching() -> AnswerWatch:
    """Watch the answer of the request made inside; ``expired`` says if the deadline ended it."""
    return AnswerWatch()


class DeadlineConnection(HTTPConnection):
    """An urllib3 ``HTTPConnection`` with a whole-answer deadline and no debug output."""

    #: Shadows ``http.client.HTTPConnection.debuglevel``, which ``Configuration.debug`` turns on.
    debuglevel = 0

    def set_debuglevel(self, level: int) -> None:
        """Ignored: debug output would print the request's headers, the token among them."""

    def getresponse(self) -> Any:
        watch = _current.get()
        timeout = self.timeout
        if watch is not None and isinstance(timeout, (int, float)):
            watch.connection = self
            watch.deadline = time.monotonic() + timeout
            _watchdog.add(watch)
        return super().getresponse()
