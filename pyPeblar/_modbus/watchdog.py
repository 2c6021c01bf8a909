"""A whole-answer deadline for engines whose own timeouts bound each receive, not the answer.

pymodbus's synchronous client waits a timeout for each piece of an answer (as urllib3's read
timeout does): a charger (or anything in between) that sends one byte at a time never trips it.
While an attempt waits for its answer, its socket is on a watchdog's list with the answer's
deadline. One daemon thread ends any answer that outlives its deadline by shutting its socket
down, so the read the engine is blocked in returns at once and the engine reports the connection
lost; the attempt knows it was the deadline (``AnswerWatch.expired``). Every byte is still read
by the engine: nothing here reads or writes a socket.

Standard library only, so the Modbus road loads nothing more for it: ``link`` arms it for
pymodbus's ``ModbusTcpClient``. (urllib3's connections keep their deadline on their socket instead,
``_transport.connection``: no thread, lock or heap entry per attempt.)
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import math
import socket
import threading
import time
from typing import Protocol

__all__ = ["AnswerWatch", "Connection", "shut_down", "watching"]


class Connection(Protocol):
    """What the watchdog needs of an engine's socket: that it can be shut down."""

    def shutdown(self, how: int, /) -> None: ...


class AnswerWatch:
    """One attempt's answer: armed when the request has gone out, finished when it is read.

    As a context manager (``with watching() as watch``), it is finished when the block ends,
    whatever ended it. (A class, not ``contextlib.contextmanager``: it is on every call's path.)
    """

    __slots__ = ("deadline", "expired", "sock")

    def __init__(self) -> None:
        self.sock: Connection | None = None
        self.deadline = 0.0
        self.expired = False

    def __enter__(self) -> AnswerWatch:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.finish()

    def arm(self, sock: Connection | None, seconds: float) -> None:
        """The request has gone out on ``sock``: its answer must be in within ``seconds``."""
        if sock is None:
            return
        self.sock = sock
        self.deadline = time.monotonic() + seconds
        _watchdog.add(self)

    def finish(self) -> None:
        """The answer is in (or the attempt is over): the watchdog leaves the socket alone."""
        self.sock = None

    def expire(self) -> None:
        """Called by the watchdog at the deadline: end the read the engine is blocked in."""
        sock, self.sock = self.sock, None
        if sock is not None:
            self.expired = True
            shut_down(sock)


def shut_down(sock: Connection) -> None:
    """End whatever an engine is blocked in on ``sock``, in another thread: its read returns at
    once, and the engine reports the connection lost (closing it is the engine's own business)."""
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
            while heap and heap[0][2].sock is None:  # finished: drop (keeps it small)
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
                while heap and heap[0][2].sock is None:
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


def watching() -> AnswerWatch:
    """Watch the answer of the request made inside; ``expired`` says if the deadline ended it."""
    return AnswerWatch()
