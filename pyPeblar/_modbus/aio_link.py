"""The asyncio Modbus engine: ``link``'s twin on pymodbus's ``AsyncModbusTcpClient``.

The same ``Request``, the same ``Attempts`` (the policy's decisions), the same errors; only the
waiting differs. pymodbus's client connects, frames, sends and reads, with its own retries off
(``retries=0``) and its own reconnecting off (``reconnect_delay=0``: the policy decides when to
connect again). Each step gets its time as in ``link`` (the client's one timeout, set
before the step), and each answer is awaited here, within that time, beside the client's report
that the connection is gone (its ``trace_connect`` callback): pymodbus itself would wait its
whole timeout for an answer on a connection the charger closed. The client belongs to the event
loop of its first request.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from pyPeblar._errors import PeblarError
from pyPeblar._modbus.request import (
    TRANSPORT_ERRORS,
    AsyncModbusTcpClient,
    Request,
    attempts_for,
)
from pyPeblar._transport.policy import Attempts, Policy

__all__ = ["AsyncModbusLink"]


class AsyncModbusLink:
    """Reads and writes of one charger's registers under ``policy``, from asyncio."""

    def __init__(self, host: str, port: int, unit: int, policy: Policy, where: str) -> None:
        self.host, self.port, self.unit, self.policy, self.where = host, port, unit, policy, where
        self.closed = False
        self._lock: asyncio.Lock | None = None
        self._client: AsyncModbusTcpClient | None = None
        #: Set when the connection is lost while an answer is awaited.
        self._lost: asyncio.Future[None] | None = None

    async def close(self) -> None:
        """Close the connection; later requests raise ``PeblarClosedError``."""
        self.closed = True
        self._traced(connected=False)  # a request in flight ends now, not at its timeout
        if self._client is not None:
            self._client.close()

    async def read(self, table: int, address: int, count: int) -> list[int]:
        """``count`` registers of ``table`` from ``address``."""
        return await self._request(Request(self.unit, table, address, count=count))

    async def write(self, table: int, address: int, words: list[int]) -> None:
        """Write ``words`` to the holding registers from ``address``."""
        await self._request(Request(self.unit, table, address, words=words))

    async def _request(self, request: Request) -> list[int]:
        attempts = attempts_for(self.policy, request, self.where)
        while True:
            outcome = await self._attempt(request, attempts)
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
            return request.busy()
        try:
            if self.closed:
                return request.closed()
            return await self._exchange(request, attempts)
        finally:
            self._lock.release()

    async def _exchange(self, request: Request, attempts: Attempts) -> list[int] | PeblarError:
        client = self._client
        if client is None:
            client = self._client = AsyncModbusTcpClient(
                self.host,
                port=self.port,
                name=self.where,
                retries=0,
                reconnect_delay=0,
                timeout=self.policy.connect_timeout,
                trace_connect=self._traced,
            )
        if not client.connected:
            seconds = _give(client, min(self.policy.connect_timeout, attempts.remaining()))
            started = time.monotonic()
            if not await client.connect():
                return request.connect_failed(self.where, seconds, time.monotonic() - started)
        seconds = _give(client, min(self.policy.read_timeout, attempts.remaining()))
        started = time.monotonic()
        lost = self._lost = asyncio.get_running_loop().create_future()
        try:
            answer = asyncio.ensure_future(request.send(client))
            try:
                await asyncio.wait(
                    (answer, lost), timeout=seconds, return_when=asyncio.FIRST_COMPLETED
                )
            finally:
                if not answer.done():
                    answer.cancel()
                    client.close()  # its answer may still come: never the next request's
                    await asyncio.wait((answer,))  # ended (it holds pymodbus's lock till then)
        except TRANSPORT_ERRORS as exc:  # raised by send() itself: not connected after all
            client.close()
            return request.exchange_failed(self.where, exc, seconds, 0.0, expired=False)
        finally:
            self._lost = None
        if answer.cancelled():
            cause = ConnectionError("closed") if lost.done() else TimeoutError("no answer")
            return request.exchange_failed(
                self.where, cause, seconds, time.monotonic() - started, expired=not lost.done()
            )
        failure = answer.exception()
        if isinstance(failure, TRANSPORT_ERRORS):
            client.close()
            return request.exchange_failed(
                self.where, failure, seconds, time.monotonic() - started, expired=False
            )
        return request.outcome(answer.result(), client)

    def _traced(self, connected: bool) -> None:
        """pymodbus's report of the connection coming and going: a loss ends the wait."""
        lost = self._lost
        if not connected and lost is not None and not lost.done():
            lost.set_result(None)


def _give(client: Any, seconds: float) -> float:
    """pymodbus's one timeout, to connect and for an answer, for the next step (its transaction
    manager, ``ctx``, holds the copy it uses)."""
    client.ctx.comm_params.timeout_connect = seconds
    return seconds
