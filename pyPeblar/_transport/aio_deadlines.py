"""The time limits of the asyncio road's attempts, on one timer per client.

Each attempt has the promise of the synchronous road: the connect timeout to get a connection,
then the read timeout for the whole answer from the moment it has one, never past the call's
deadline. aiohttp's own timeouts cannot keep it (its read timeout bounds each read, not the
answer), so they are off, and each attempt has an ``AnswerClock``: its limits, and the task it
ends, as ``asyncio.timeout`` would, when one passes. The session's connector tells the attempt's
clock when it has its connection (``DeadlineConnector``, through a context variable), so no trace
hook runs per request.

The clocks of a client's attempts in progress share one timer of the event loop
(``Deadlines``): it is due no later than any of them could end, and when it is due it ends
what has passed and sets itself for the next. A poll that is answered within milliseconds sets no
timer at all while one is pending: the timer is set about once per connect timeout, however
many calls run. (Until 2026-12 the asyncio road put a trace hook on every request and three or
four timers on the loop's heap per call, each an object and heap comparisons in Python;
docs/performance.md.)
"""

from __future__ import annotations

import asyncio
import math
import sys
from contextvars import ContextVar
from typing import Any

import aiohttp

__all__ = ["NO_TIMEOUTS", "AnswerClock", "DeadlineConnector", "Deadlines", "current_clock"]

#: aiohttp's own timeouts, all off: the attempts' clocks keep the limits.
NO_TIMEOUTS = aiohttp.ClientTimeout(total=None, connect=None, sock_connect=None, sock_read=None)


class AnswerClock:
    """One attempt's limits, in loop time, and the task it ends when one passes.

    ``connect_by`` holds until the attempt has its connection, then ``answer_by`` (the read
    timeout from that moment); neither passes ``until``, the call's deadline. Ending the attempt
    cancels its task; the attempt then asks ``ended_it`` whether the cancellation was the
    clock's alone, with ``asyncio.timeout``'s rule (Python 3.11 and later: no other request to
    cancel the task came meanwhile).
    """

    __slots__ = (
        "answer_by",
        "cancelling",
        "connect_by",
        "expired",
        "loop",
        "read",
        "task",
        "until",
    )

    def __init__(
        self, loop: asyncio.AbstractEventLoop, connect: float, read: float, remaining: float
    ) -> None:
        # The loop is passed, not looked up: on Python 3.11, every lookup of the running loop
        # is a getpid() system call.
        task = asyncio.current_task(loop)
        assert task is not None, "an attempt runs in a task"
        self.task = task
        self.loop = loop
        now = loop.time()
        self.cancelling = 0
        if sys.version_info >= (3, 11):
            self.cancelling = task.cancelling()
        self.read = read
        self.until = until = now + remaining
        self.connect_by = min(now + connect, until)
        #: When the answer must be in; None until the attempt has its connection.
        self.answer_by: float | None = None
        self.expired = False

    def first_check(self, now: float) -> float:
        """The earliest moment a limit of this clock could pass, seen from ``now``."""
        if self.answer_by is not None:
            return self.answer_by
        # Not connected yet: connecting may fail at connect_by, or a connection had right now
        # may have its answer due a read timeout from now, whichever comes first.
        return min(self.connect_by, now + self.read, self.until)

    def connected(self) -> None:
        """The attempt has its connection: the answer gets the read timeout from now."""
        self.answer_by = min(self.loop.time() + self.read, self.until)

    def expire(self) -> None:
        self.expired = True
        self.task.cancel()

    def ended_it(self) -> bool:
        """Whether the cancellation the attempt got is this clock's alone (it is then handled).

        Called once, by the attempt, only after ``expire``.
        """
        if sys.version_info >= (3, 11):
            return self.task.uncancel() <= self.cancelling
        return True  # Python 3.10 cannot tell; async_timeout assumed the same


class Deadlines:
    """The clocks of one session's attempts in progress, on one timer of its event loop.

    The timer is due no later than the ``first_check`` of any clock it watches: an attempt whose
    limits could pass sooner than the timer is due sets it sooner (rare: a shorter timeout than
    the others'). When due, it ends the attempts whose limit has passed and sets itself for the
    earliest ``first_check`` of the others; with none in progress it is not set again.
    """

    __slots__ = ("clocks", "due", "handle", "loop")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.clocks: set[AnswerClock] = set()
        self.handle: asyncio.TimerHandle | None = None
        self.due = math.inf

    def start(self, connect: float, read: float, remaining: float) -> AnswerClock:
        """A clock for an attempt starting now in the current task, watched from now on."""
        clock = AnswerClock(self.loop, connect, read, remaining)
        self.clocks.add(clock)
        first = clock.first_check(self.loop.time())
        if first < self.due:
            self._set(first)
        return clock

    def stop(self, clock: AnswerClock) -> None:
        """The attempt is over: its clock is no longer watched (the timer stays, see above)."""
        self.clocks.discard(clock)

    def _set(self, when: float) -> None:
        if self.handle is not None:
            self.handle.cancel()
        self.due = when
        self.handle = self.loop.call_at(when, self._check)

    def _check(self) -> None:
        self.handle = None
        self.due = math.inf
        now = self.loop.time()
        following = math.inf
        for clock in tuple(self.clocks):
            limit = clock.connect_by if clock.answer_by is None else clock.answer_by
            if limit <= now:
                self.clocks.discard(clock)
                clock.expire()
            else:
                following = min(following, clock.first_check(now))
        if following < math.inf:
            self._set(following)


#: The clock of the attempt in progress in this task: the connector tells it of the connection.
current_clock: ContextVar[AnswerClock | None] = ContextVar("pyPeblar_answer_clock", default=None)


class DeadlineConnector(aiohttp.TCPConnector):
    """aiohttp's connector, which tells the attempt in progress when it has its connection."""

    async def connect(self, req: Any, traces: Any, timeout: Any) -> Any:
        connection = await super().connect(req, traces, timeout)
        clock = current_clock.get()
        if clock is not None:
            clock.connected()
        return connection
