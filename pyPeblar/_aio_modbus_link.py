"""The asyncio Modbus engine: ``_modbus_link``'s twin over asyncio streams.

The same ``Request`` (pymodbus's frames), the same ``Attempts`` (the policy's decisions), the same
errors; only the waiting differs. Its connection belongs to the event loop of its first request.
"""

from __future__ import annotations

import asyncio
import itertools

from pyPeblar._errors import (
    PeblarClosedError,
    PeblarConnectionTimeoutError,
    PeblarError,
    PeblarModbusError,
)
from pyPeblar._modbus_link import attempts_for
from pyPeblar._modbus_wire import HEADER, Request, connect_error, exchange_error
from pyPeblar._policy import Attempts, Policy

__all__ = ["AsyncModbusLink"]


class AsyncModbusLink:
    """Reads and writes of one charger's registers under ``policy``, from asyncio."""

    def __init__(self, host: str, port: int, unit: int, policy: Policy, where: str) -> None:
        self.host, self.port, self.unit, self.policy, self.where = host, port, unit, policy, where
        self.closed = False
        self._lock: asyncio.Lock | None = None
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        self._tids = itertools.count()

    async def close(self) -> None:
        """Close the connection; later requests raise ``PeblarClosedError``."""
        self.closed = True
        await self._drop()

    async def read(self, table: int, address: int, count: int) -> list[int]:
        """``count`` registers of ``table`` from ``address``."""
        return await self._request(Request.of(self._tids, self.unit, table, address, count=count))

    async def write(self, table: int, address: int, words: list[int]) -> None:
        """Write ``words`` to the holding registers from ``address``."""
        await self._request(Request.of(self._tids, self.unit, table, address, words=words))

    async def _request(self, message: Request) -> list[int]:
        attempts = attempts_for(self.policy, message, self.where)
        while True:
            outcome = await self._attempt(message, attempts)
            if not isinstance(outcome, PeblarError):
                return outcome
            await asyncio.sleep(attempts.failed(outcome, closed=self.closed))

    async def _attempt(self, request: Request, attempts: Attempts) -> list[int] | PeblarError:
        """One try: the registers, or the error it ended in (returned, not raised)."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        try:
            await asyncio.wait_for(self._lock.acquire(), attempts.remaining())
        except asyncio.TimeoutError:
            return PeblarConnectionTimeoutError(
                f"Modbus {request.what}: another request held the connection past the deadline",
                request_sent=False,
            )
        try:
            if self.closed:
                return PeblarClosedError("this Modbus client is closed")
            connect = min(self.policy.connect_timeout, attempts.remaining())
            try:
                reader, writer = await asyncio.wait_for(self._connection(), connect)
            except (OSError, asyncio.TimeoutError) as exc:
                return connect_error(request.what, self.where, exc, connect)
            read = min(self.policy.read_timeout, attempts.remaining())
            try:
                return await asyncio.wait_for(self._exchange(reader, writer, request), read)
            except PeblarError as error:
                if not isinstance(error, PeblarModbusError):  # a malformed answer: start afresh
                    await self._drop()
                return error
            except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError) as exc:
                await self._drop()
                return exchange_error(request.what, self.where, _cause(exc), read)
        finally:
            self._lock.release()

    async def _connection(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """The open connection, or a new one (an idle one the charger closed is replaced)."""
        if self._streams is not None and self._streams[0].at_eof():
            await self._drop()
        if self._streams is None:
            self._streams = await asyncio.open_connection(self.host, self.port)
        return self._streams

    @staticmethod
    async def _exchange(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: Request
    ) -> list[int]:
        writer.write(request.frame)
        header = await reader.readexactly(HEADER)
        rest = await reader.readexactly(request.rest_size(header))
        return request.answer(header, rest)

    async def _drop(self) -> None:
        streams, self._streams = self._streams, None
        if streams is not None:
            streams[1].close()


def _cause(exc: BaseException) -> BaseException:
    """What to report: an answer cut off is a lost connection, a timeout a timeout."""
    if isinstance(exc, asyncio.IncompleteReadError):
        return ConnectionError("the charger closed the connection")
    if isinstance(exc, asyncio.TimeoutError):
        return TimeoutError("the whole answer took too long")
    return exc
