"""``PeblarWeb.events()``: the charger's live events as a plain iterator, over ``websockets``.

The stream's logic is ``events.event_flow``, the one ``AsyncPeblarWeb.events()`` runs too; this
module runs its steps with ``PeblarWeb``'s generated API (the log-in, over urllib3) and the
``websockets`` library's threading client (the ``events`` extra). Why that library and not
aiohttp on a private thread: docs/events.md ("Why websockets for the plain iterator") gives the
figures (about half the import time, half the CPU per event, less memory, as fast).

Waits are sliced (``SLICE``): the iterating thread notices ``close()`` from another thread, or
``until`` (a function it checks, such as a signal handler's flag), within ``SLICE`` seconds.
"""

from __future__ import annotations

import inspect
import logging
import time
from collections.abc import Callable, Generator
from contextlib import ExitStack
from typing import TYPE_CHECKING, Any, Final

try:
    from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus
    from websockets.sync.client import ClientConnection, connect
except ImportError:  # pragma: no cover - tested in a fresh environment by test_generation
    raise ImportError(
        "PeblarWeb.events() needs the websockets library: pip install 'pyPeblar[events]'"
    ) from None

from pyPeblar._errors import PeblarInvalidResponseError
from pyPeblar._shared.flow import Call, Sleep
from pyPeblar._shared.lifecycle import Closing
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

if TYPE_CHECKING:
    from pyPeblar._web.flows import WebBase

__all__ = ["EventStream"]

#: The close code of a connection that ended without a closing handshake (RFC 6455, 7.1.5).
ABNORMAL: Final = 1006
#: The longest a stop request (``close()`` from another thread, ``until``) goes unseen.
SLICE: Final = 0.1


class Quiet(logging.LoggerAdapter):  # type: ignore[type-arg]
    """``websockets``' logger: pyPeblar's, without DEBUG, where it writes every handshake
    header (the session cookie among them)."""

    def isEnabledFor(self, level: int) -> bool:  # noqa: N802 - logging's name
        return level > logging.DEBUG and self.logger.isEnabledFor(level)


LOGGER: Final = Quiet(logging.getLogger("pyPeblar"), {})


class StopRequestedError(Exception):
    """The stream was asked to stop while it waited."""


class EventStream(StreamBase, Closing):
    """The events of ``PeblarWeb.events()``: ``for event in stream``.

    Leaving the loop closes the websocket (the stream is dropped; ``with web.events() as
    events:`` or ``events.close()`` say so explicitly). ``connected`` and ``interruptions`` say
    how the connection fares. ``close()`` may be called from another thread: the iteration ends
    within a tenth of a second.
    """

    def __init__(
        self,
        client: WebBase,
        apis: Any,
        topics: tuple[str, ...],
        settings: StreamSettings,
        until: Callable[[], bool] | None,
    ) -> None:
        """The events of ``client`` (``PeblarWeb``), whose generated ``apis`` log in."""
        super().__init__(client, topics)
        flow = event_flow(client, topics, settings, self._state)
        runner = Runner(client, apis, flow, self._state, until)
        # The generator refers to the runner, not to this stream: once the program drops the
        # stream (leaving its loop), the generator goes too, and its end closes the websocket.
        self._events = runner.drive()

    def __iter__(self) -> EventStream:
        return self

    def __next__(self) -> ChargerEvent:
        return next(self._events)

    def close(self) -> None:
        """Close the websocket and end the iteration (from any thread)."""
        self._state.closing = True
        if inspect.getgeneratorstate(self._events) != inspect.GEN_RUNNING:
            # (A running iteration, in another thread, ends by itself.)
            self._events.close()


class Runner(RunnerBase):
    """Runs a stream's flow: each step done, each event yielded, the socket closed at the end."""

    def __init__(
        self,
        client: WebBase,
        apis: Any,
        flow: StreamFlow[None],
        state: StreamState,
        until: Callable[[], bool] | None,
    ) -> None:
        super().__init__(client, apis, flow, state)
        self._until = until
        self._socket: ClientConnection | None = None
        self._opened = ExitStack()  # the socket's context: closing it closes the socket

    def stopped(self) -> bool:
        return self._state.closing or (self._until is not None and bool(self._until()))

    def drive(self) -> Generator[ChargerEvent, None, None]:
        value: Any = None
        error: Exception | None = None
        try:
            while not self.stopped():
                try:
                    step = self._flow.send(value) if error is None else self._flow.throw(error)
                except StopIteration:
                    return
                value = error = None
                if isinstance(step, Emit):
                    yield step.event
                    continue
                try:
                    value = self._perform(step)
                except StopRequestedError:
                    return
                except Exception as exc:  # handed to the flow, which decides
                    error = exc
        finally:
            self._flow.close()
            self._state.connected = False
            self.disconnect()

    def _perform(self, step: Any) -> Any:
        if isinstance(step, Receive):
            return self._receive(step.timeout)
        if isinstance(step, Call):
            with call_deadline(self._client.policy.deadline):
                return self._operation(step)(*step.args)
        if isinstance(step, Sleep):
            self._sleep(step.seconds)
        elif isinstance(step, Connect):
            self._connect(step)
        elif isinstance(step, Send):
            self._send(step.text)
        elif isinstance(step, Disconnect):
            self.disconnect()
        return None

    def _sleep(self, seconds: float) -> None:
        until = time.monotonic() + seconds
        while (remaining := until - time.monotonic()) > 0:
            if self.stopped():
                raise StopRequestedError
            time.sleep(min(SLICE, remaining))

    # -- the websocket ------------------------------------------------------------------------

    def _connect(self, step: Connect) -> None:
        self.disconnect()
        client = self._client
        try:
            socket = connect(
                self.url,
                additional_headers={"Cookie": step.cookie},
                user_agent_header=USER_AGENT,
                proxy=client._proxy,
                compression=None,
                open_timeout=step.timeout,
                ping_interval=HEARTBEAT,
                ping_timeout=HEARTBEAT / 2,
                close_timeout=CLOSE_TIMEOUT,
                max_size=client.policy.max_response_bytes,
                logger=LOGGER,
            )
        except InvalidStatus as refused:
            answer = refused.response
            raise status_error(
                "GET",
                WEBSOCKET_PATH,
                status=answer.status_code,
                reason=answer.reason_phrase,
                data=bytes(answer.body or b""),
                headers=dict(answer.headers.raw_items()),
            ) from None
        except InvalidHandshake as exc:
            raise PeblarInvalidResponseError(
                f"GET {WEBSOCKET_PATH}: not a websocket's answer ({exc})", status=0
            ) from None
        except (OSError, TimeoutError) as exc:
            raise connection_failure(self.where, exc, step.timeout) from None
        # As a context (the library's way since websockets 17): ``disconnect()`` leaves it.
        self._socket = self._opened.enter_context(socket)

    def _send(self, text: str) -> None:
        socket = self._socket
        if socket is None:
            raise closed_error(self.where, None)
        try:
            socket.send(text)
        except ConnectionClosed as closed:
            raise closed_error(self.where, closed.rcvd.code if closed.rcvd else ABNORMAL) from None

    def _receive(self, timeout: float | None) -> str | bytes:
        socket = self._socket
        if socket is None:
            raise closed_error(self.where, None)
        until = None if timeout is None else time.monotonic() + timeout
        while True:
            if self.stopped():
                raise StopRequestedError
            slice_ = SLICE if until is None else min(SLICE, until - time.monotonic())
            if slice_ <= 0:
                raise silence_error(self.where, timeout)
            try:
                return socket.recv(timeout=slice_)
            except TimeoutError:
                continue
            except ConnectionClosed as closed:
                code = closed.rcvd.code if closed.rcvd else ABNORMAL
                raise closed_error(self.where, code) from None

    def disconnect(self) -> None:
        self._socket = None
        self._opened.close()
