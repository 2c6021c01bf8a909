"""``AsyncPeblarWeb.events()``: the charger's live events, from asyncio, over aiohttp's websocket.

The stream's logic is ``events.event_flow``, the one ``PeblarWeb.events()`` runs too; this module
runs its steps on the client's aiohttp session (the ``async`` extra): the log-in through the
asyncio generated API, the websocket through ``ClientSession.ws_connect``, with aiohttp's pings
every ``HEARTBEAT`` seconds to find a charger that went away without a word. Waiting never blocks
the event loop: every wait is an ``await``.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncGenerator
from types import TracebackType
from typing import TYPE_CHECKING, Any

import aiohttp

from pyPeblar._errors import PeblarConnectionError
from pyPeblar._shared.flow import Call, Sleep
from pyPeblar._shared.wiring import USER_AGENT
from pyPeblar._transport.policy import call_deadline, status_error
from pyPeblar._web.events import (
    CLOSE_TIMEOUT,
    HEARTBEAT,
    WEBSOCKET_PATH,
    ChargerEvent,
    Connect,
    Disconnect,
    Emit,
    Receive,
    RunnerBase,
    Send,
    StreamBase,
    StreamFlow,
    StreamSettings,
    StreamState,
    closed_error,
    connection_failure,
    event_flow,
    silence_error,
)

if sys.version_info >= (3, 11):
    from asyncio import timeout as time_limit
else:  # aiohttp depends on async-timeout on Python 3.10
    from async_timeout import timeout as time_limit

if TYPE_CHECKING:
    from pyPeblar._transport.aio_rest import RESTClientObject
    from pyPeblar._web.flows import WebBase

__all__ = ["AsyncEventStream"]


class AsyncEventStream(StreamBase):
    """The events of ``AsyncPeblarWeb.events()``: ``async for event in stream``.

    Leaving the loop closes the websocket (``break`` lets asyncio close it as soon as the stream
    is dropped; ``async with web.events() as events:`` or ``await events.aclose()`` close it at
    once). ``connected`` and ``interruptions`` say how the connection fares.
    """

    def __init__(
        self,
        client: WebBase,
        apis: Any,
        rest: RESTClientObject,
        topics: tuple[str, ...],
        settings: StreamSettings,
    ) -> None:
        """The events of ``client`` (``AsyncPeblarWeb``), whose generated ``apis`` log in and
        whose ``rest`` client's aiohttp session opens the websocket."""
        super().__init__(client, topics)
        flow = event_flow(client, topics, settings, self._state)
        self._runner = Runner(client, apis, flow, self._state, rest)
        # The generator refers to the runner, not to this stream: once the program drops the
        # stream (leaving its loop), nothing holds the generator, and asyncio closes it.
        self._events = self._runner.drive()

    def __aiter__(self) -> AsyncEventStream:
        return self

    async def __anext__(self) -> ChargerEvent:
        return await self._events.__anext__()

    async def aclose(self) -> None:
        """Close the websocket and end the iteration."""
        self._state.closing = True
        await self._runner.disconnect()  # wakes an iteration waiting for a frame, which ends
        with contextlib.suppress(RuntimeError):  # that iteration is running: it ends by itself
            await self._events.aclose()

    async def __aenter__(self) -> AsyncEventStream:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()


class Runner(RunnerBase):
    """Runs a stream's flow: each step awaited, each event yielded, the socket closed at the end."""

    def __init__(
        self,
        client: WebBase,
        apis: Any,
        flow: StreamFlow[None],
        state: StreamState,
        rest: RESTClientObject,
    ) -> None:
        super().__init__(client, apis, flow, state)
        self._rest = rest
        self._socket: aiohttp.ClientWebSocketResponse[bool] | None = None

    async def drive(self) -> AsyncGenerator[ChargerEvent, None]:
        value: Any = None
        error: Exception | None = None
        try:
            while not self._state.closing:
                try:
                    step = self._flow.send(value) if error is None else self._flow.throw(error)
                except StopIteration:
                    return
                value = error = None
                if isinstance(step, Emit):
                    yield step.event
                    continue
                try:
                    value = await self._perform(step)
                except Exception as exc:  # handed to the flow, which decides
                    error = exc
        finally:
            self._flow.close()
            self._state.connected = False
            await self.disconnect()

    async def _perform(self, step: Any) -> Any:
        if isinstance(step, Receive):
            return await self._receive(step.timeout)
        if isinstance(step, Call):
            with call_deadline(self._client.policy.deadline):
                return await self._operation(step)(*step.args)
        if isinstance(step, Sleep):
            await asyncio.sleep(step.seconds)
        elif isinstance(step, Connect):
            await self._connect(step)
        elif isinstance(step, Send):
            await self._send(step.text)
        elif isinstance(step, Disconnect):
            await self.disconnect()
        return None

    # -- the websocket ------------------------------------------------------------------------

    async def _connect(self, step: Connect) -> None:
        await self.disconnect()
        client, rest = self._client, self._rest
        try:
            async with time_limit(step.timeout):
                self._socket = await rest._session_now()[0].ws_connect(
                    self.url,
                    headers={"Cookie": step.cookie, "User-Agent": USER_AGENT},
                    heartbeat=HEARTBEAT,
                    proxy=client._proxy,
                    timeout=aiohttp.ClientWSTimeout(ws_close=CLOSE_TIMEOUT),
                    max_msg_size=rest.policy.max_response_bytes,
                )
        except aiohttp.WSServerHandshakeError as refused:
            raise status_error(
                "GET",
                WEBSOCKET_PATH,
                status=refused.status,
                reason=refused.message,
                data=b"",
                headers=refused.headers or {},
            ) from None
        except aiohttp.ClientConnectorError as exc:
            raise connection_failure(self.where, exc.os_error, step.timeout) from None
        except (asyncio.TimeoutError, aiohttp.ServerTimeoutError):
            raise connection_failure(self.where, TimeoutError(), step.timeout) from None
        except (aiohttp.ClientError, OSError) as exc:
            raise connection_failure(self.where, exc, step.timeout) from None

    async def _send(self, text: str) -> None:
        socket = self._socket
        if socket is None or socket.closed:
            raise closed_error(self.where, None)
        try:
            await socket.send_str(text)
        except (aiohttp.ClientError, OSError) as exc:
            raise broken_error(self.where, exc) from None

    async def _receive(self, timeout: float | None) -> str | bytes:
        socket = self._socket
        if socket is None:
            raise closed_error(self.where, None)
        while True:
            try:
                message = await socket.receive(timeout=timeout)
            except asyncio.TimeoutError:
                raise silence_error(self.where, timeout) from None
            if message.type in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
                data: str | bytes = message.data
                return data
            if message.type is aiohttp.WSMsgType.ERROR:
                raise broken_error(self.where, message.data)
            if message.type in (
                aiohttp.WSMsgType.CLOSE,
                aiohttp.WSMsgType.CLOSING,
                aiohttp.WSMsgType.CLOSED,
            ):
                raise closed_error(self.where, socket.close_code)

    async def disconnect(self) -> None:
        socket, self._socket = self._socket, None
        if socket is not None and not socket.closed:
            with contextlib.suppress(aiohttp.ClientError, OSError, asyncio.TimeoutError):
                await socket.close()


def broken_error(where: str, why: object) -> PeblarConnectionError:
    """The error for a websocket that broke while open (``why``: aiohttp's error or message)."""
    return PeblarConnectionError(f"the websocket to {where} broke: {why}", request_sent=True)
