"""Live events from the charger's websocket: what both web clients' streams share.

The web interface pushes what changes over ``ws://<charger>/api/v1/ws`` (docs/events.md): a client
sends ``{"action": "subscribe", "topic": T}`` and gets a ``result`` for it, then the topic's
``event`` messages. The messages are schemas of ``openapi/webui.yaml``, generated with the other
models (``WebSocketMessage``, ``SubscriptionResult``, ``SessionStatus``...).

Everything a stream decides is here, written once as a flow (``_shared.flow``'s design): log in,
open the websocket, subscribe and wait for the acknowledgements under the deadline, read events, and
after a lost connection wait (backoff, jittered), log in again if the charger forgot the session,
and subscribe again. The flow yields steps (``Connect``, ``Send``, ``Receive``, ``Disconnect``,
``Emit``, and ``_shared.flow``'s ``Call`` and ``Sleep``); ``sync_events`` runs them for
``PeblarWeb`` and ``aio_events`` for ``AsyncPeblarWeb``, each with its own websocket engine. This
module imports neither engine.
"""

from __future__ import annotations

import logging
import random
import socket
import time
from collections.abc import Generator, Iterable
from typing import TYPE_CHECKING, Any, Final, NamedTuple, TypeVar

from pyPeblar._errors import (
    PeblarAuthenticationError,
    PeblarConnectionError,
    PeblarConnectionTimeoutError,
    PeblarError,
    PeblarRateLimitError,
    PeblarServerError,
    PeblarSubscriptionError,
)
from pyPeblar._shared.flow import Call, Sleep
from pyPeblar._transport.policy import retry_wait

if TYPE_CHECKING:
    from pyPeblar._web.flows import WebBase
    from pyPeblar.webui.models import FirmwareUpdateStatus, SessionStatus, TokenFound

__all__ = [
    "CLOSE_TIMEOUT",
    "DEFAULT_TOPIC",
    "HEARTBEAT",
    "WEBSOCKET_PATH",
    "ChargerEvent",
    "Connect",
    "Disconnect",
    "Emit",
    "Receive",
    "RunnerBase",
    "Send",
    "StreamBase",
    "StreamFlow",
    "StreamSettings",
    "StreamState",
    "check_topics",
    "closed_error",
    "connection_failure",
    "event_flow",
    "silence_error",
    "stream_arguments",
]

logger = logging.getLogger("pyPeblar")

WEBSOCKET_PATH: Final = "/api/v1/ws"
#: What ``events()`` follows when no topic is given: the session of connector 1.
DEFAULT_TOPIC: Final = "/session/status/connector/1"
#: Seconds between pings on an idle websocket; a charger that does not answer one within half of
#: that is taken as gone (a charger switched off sends no goodbye), and the stream reconnects.
HEARTBEAT: Final = 30.0
#: Seconds a closing websocket waits for the charger's goodbye before it is cut.
CLOSE_TIMEOUT: Final = 1.0
#: Longest topic accepted: the known ones are under 40 characters.
MAX_TOPIC: Final = 256
#: Errors after which reconnecting can help: the charger is away, busy or rebooting.
TRANSIENT: Final = (PeblarConnectionError, PeblarServerError, PeblarRateLimitError)


class ChargerEvent(NamedTuple):
    """One event from the charger's websocket.

    ``topic`` is the charger's topic string (``"/session/status/connector/1"``); ``data`` is a
    ``SessionStatus``, ``FirmwareUpdateStatus`` or ``TokenFound`` for the topics whose payload is
    known (lenient models: unknown keys and states are kept), and the plain ``dict`` the charger
    sent for any other. ``resumed`` is True on the first event of each topic after the stream
    reconnected: events of that topic may have been missed before it (for the session status it
    is the charger's current state, which it sends on every subscription).
    """

    topic: str
    data: SessionStatus | FirmwareUpdateStatus | TokenFound | dict[str, Any]
    resumed: bool = False


# -- the steps a stream's flow yields (besides _base's Call and Sleep) ---------------------------


class Connect(NamedTuple):
    """Open the websocket with the session ``cookie``, within ``timeout`` seconds.

    The engine raises the ``PeblarError`` of a refused upgrade (``status_error``: a 401 is a
    ``PeblarAuthenticationError``) or of a failed connection."""

    cookie: str
    timeout: float


class Send(NamedTuple):
    """Send ``text`` as a text frame."""

    text: str


class Receive(NamedTuple):
    """The next frame (``str`` text, ``bytes`` binary). A ``PeblarConnectionTimeoutError`` after
    ``timeout`` seconds (None: wait for ever), a ``PeblarConnectionError`` when the websocket
    closed or broke."""

    timeout: float | None


class Disconnect(NamedTuple):
    """Close the websocket, if one is open."""


class Emit(NamedTuple):
    """Hand ``event`` to the program iterating the stream."""

    event: ChargerEvent


R = TypeVar("R")

#: A stream's flow: yields steps (``_shared.flow``'s and the websocket's), receives their results.
StreamFlow = Generator[Call | Sleep | Connect | Send | Receive | Disconnect | Emit, Any, R]


# -- the options and the state of a stream ------------------------------------------------------


class StreamSettings(NamedTuple):
    """How a stream reconnects: the first wait after a lost connection (``backoff``), doubling
    up to ``max_backoff``, each jittered (half to all of it)."""

    backoff: float = 1.0
    max_backoff: float = 300.0

    @classmethod
    def checked(cls, backoff: object, max_backoff: object) -> StreamSettings:
        first = seconds("reconnect_backoff", backoff, 60.0)
        cap = seconds("max_reconnect_backoff", max_backoff, 3600.0)
        if cap < first:
            raise ValueError(
                f"max_reconnect_backoff ({cap:g} s) must not be below reconnect_backoff "
                f"({first:g} s)"
            )
        return cls(first, cap)

    def delay(self, failures: int) -> float:
        """Seconds to wait before reconnection attempt ``failures + 1``."""
        base: float = min(self.max_backoff, self.backoff * 2 ** min(failures, 32))
        return base * random.uniform(0.5, 1.0)


def seconds(name: str, value: object, most: float) -> float:
    """``value`` as seconds above 0 and at most ``most``; a ``ValueError`` naming ``name``."""
    number = None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            number = float(value)
        except OverflowError:  # an int no float can hold
            number = None
    if number is None or not 0 < number <= most:  # NaN compares False: refused too
        raise ValueError(f"{name} must be seconds above 0 and at most {most:g}, not {value!r:.40}")
    return number


class StreamState:
    """What a stream tells its program (``connected``, ``interruptions``), and its stop flag."""

    __slots__ = ("closing", "connected", "interruptions")

    def __init__(self) -> None:
        self.connected = False
        #: Connections lost since the stream started (each one followed by a reconnection).
        self.interruptions = 0
        #: Set to end the stream (``close()``): the driver stops at its next step.
        self.closing = False


class StreamBase:
    """What both clients' streams show: the topics, where, and how the connection fares."""

    def __init__(self, client: WebBase, topics: tuple[str, ...]) -> None:
        self._state = StreamState()
        #: The topics followed, as the charger names them.
        self.topics = topics
        self.where = client.host
        self.url = websocket_url(client.host)

    def __repr__(self) -> str:
        state = "connected" if self._state.connected else "not connected"
        return f"<{type(self).__name__} {self.where} {' '.join(self.topics)} ({state})>"

    @property
    def connected(self) -> bool:
        """Whether the websocket is open and subscribed now."""
        return self._state.connected

    @property
    def interruptions(self) -> int:
        """How many times the connection was lost since the stream started; events may have
        been missed each time (the first event of each topic after it is marked ``resumed``)."""
        return self._state.interruptions


class RunnerBase:
    """What each engine's runner of a stream holds: the client, its generated ``apis`` (which
    log in), the stream's flow and state, and where the websocket is."""

    def __init__(
        self, client: WebBase, apis: Any, flow: StreamFlow[None], state: StreamState
    ) -> None:
        self._client = client
        self._apis = apis
        self._flow = flow
        self._state = state
        self.where = client.host
        self.url = websocket_url(client.host)

    def _operation(self, step: Call) -> Any:
        """The generated API method a ``Call`` step names."""
        return getattr(getattr(self._apis, step.api), step.operation)


def websocket_url(host: str) -> str:
    """The charger's websocket, at ``host`` (``host`` or ``host:port``)."""
    return f"ws://{host}{WEBSOCKET_PATH}"


def stream_arguments(
    topics: Iterable[object],
    reconnect_backoff: object,
    max_reconnect_backoff: object,
    until: object = None,
) -> tuple[tuple[str, ...], StreamSettings]:
    """``events()``' arguments (both clients'), checked before anything is sent: the topics to
    follow and how to reconnect. ``until``, which only the plain iterator takes, must be a
    function if given."""
    chosen = check_topics(topics)
    settings = StreamSettings.checked(reconnect_backoff, max_reconnect_backoff)
    if until is not None and not callable(until):
        raise ValueError(f"until must be a function returning True to stop, not {until!r:.80}")
    return chosen, settings


def check_topics(topics: Iterable[object]) -> tuple[str, ...]:
    """The topics to follow, checked before anything is sent; the default when none is given."""
    chosen: list[str] = []
    for topic in topics:
        if not isinstance(topic, str):
            raise ValueError(f"topics must be strings such as {DEFAULT_TOPIC!r}, not {topic!r:.80}")
        if (
            not topic.startswith("/")
            or len(topic) > MAX_TOPIC
            or not (topic.isascii() and topic.isprintable())
            or " " in topic
        ):
            raise ValueError(
                f"topics must be the charger's topic paths such as {DEFAULT_TOPIC!r} (printable "
                f"ASCII, no spaces, at most {MAX_TOPIC} characters), not {topic[:80]!r}"
            )
        if topic not in chosen:
            chosen.append(str(topic))  # an EventTopic member is sent as its plain value
    return tuple(chosen) or (DEFAULT_TOPIC,)


# -- reading what the charger sends -------------------------------------------------------------


class Result(NamedTuple):
    """The charger's answer to a subscription request."""

    topic: str
    ok: bool
    message: str


def model_for(topic: str) -> Any:
    """The generated model of ``topic``'s events, or None for a topic whose payload is unknown."""
    if topic.startswith("/session/status/connector/"):
        from pyPeblar.webui.models.session_status import SessionStatus

        return SessionStatus
    if topic == "/system/fwupdate/status":
        from pyPeblar.webui.models.firmware_update_status import FirmwareUpdateStatus

        return FirmwareUpdateStatus
    if topic in ("/rfid/tokenfound", "/vehicle/tokenfound"):
        from pyPeblar.webui.models.token_found import TokenFound

        return TokenFound
    return None


def read_frame(frame: str | bytes) -> ChargerEvent | Result | None:
    """What a frame says: an event, a subscription's result, or None for one that is not what
    the protocol says (binary, not JSON, no topic, an unknown type, a payload of the wrong
    shape), which is logged at DEBUG and skipped: it never ends a stream."""
    message = parse_frame(frame)
    if isinstance(message, str):
        logger.debug("websocket: skipped a frame (%s): %r", message, frame[:200])
        return None
    return message


def parse_frame(frame: str | bytes) -> ChargerEvent | Result | str:
    """``read_frame``'s reading: what the frame says, or why it says nothing."""
    from pydantic import ValidationError

    from pyPeblar.webui.models.web_socket_message import WebSocketMessage

    if isinstance(frame, bytes):
        return "a binary frame"
    try:
        message = WebSocketMessage.model_validate_json(frame)
    except (ValidationError, ValueError, RecursionError):
        return "not a JSON message object"
    topic, kind, data = message.topic, message.type, message.data
    if not topic:
        return "no topic"
    if kind is None or not kind.is_known:
        return f"an unknown type {kind!r}"
    if not isinstance(data, dict):
        return "its data is not an object"
    if kind == "result":
        from pyPeblar.webui.models.subscription_result import SubscriptionResult

        try:
            result = SubscriptionResult.model_validate(data)
        except ValidationError:
            return "not a subscription result"
        return Result(topic, result.status == "ok", str(result.message or "no reason given"))
    model = model_for(topic)
    if model is None:
        return ChargerEvent(topic, data)
    try:
        return ChargerEvent(topic, model.model_validate(data))
    except ValidationError:
        return f"not a {model.__name__}"


def subscription(action: str, topic: str) -> str:
    """A ``SubscriptionRequest`` as the text frame that carries it."""
    from pyPeblar.webui.models.subscription_request import SubscriptionRequest

    return SubscriptionRequest.model_validate({"action": action, "topic": topic}).to_json()


# -- the flow ------------------------------------------------------------------------------------


def event_flow(
    client: WebBase, topics: tuple[str, ...], settings: StreamSettings, state: StreamState
) -> StreamFlow[None]:
    """A stream's whole life: open it (a ``PeblarError`` within the deadline if that fails),
    then hand on events, reconnecting after every lost connection until the program stops."""
    where = client.host
    early = yield from open_with_retries(client, topics)
    failures = 0
    resumed: set[str] = set()
    while True:
        state.connected = True
        for event in early:
            yield Emit(mark(event, resumed))
        lost = yield from read_events(resumed)
        state.connected = False
        state.interruptions += 1
        yield Disconnect()
        while True:
            wait = settings.delay(failures)
            logger.warning("%s; reconnecting in %.3g s", lost.message, wait)
            yield Sleep(wait)
            try:
                early = yield from open_stream(client, topics)
            except TRANSIENT as error:
                yield Disconnect()
                failures += 1
                lost = error
                continue
            break
        logger.info("websocket to %s reconnected; following %s again", where, ", ".join(topics))
        failures = 0
        resumed = set(topics)


def mark(event: ChargerEvent, resumed: set[str]) -> ChargerEvent:
    """``event``, marked ``resumed`` if it is its topic's first since a reconnection."""
    if event.topic not in resumed:
        return event
    resumed.discard(event.topic)
    return event._replace(resumed=True)


def read_events(resumed: set[str]) -> StreamFlow[PeblarError]:
    """Hand on events until the connection is lost; the error that lost it."""
    while True:
        try:
            frame = yield Receive(None)
        except PeblarConnectionError as lost:
            return lost
        message = read_frame(frame)
        if isinstance(message, ChargerEvent):
            yield Emit(mark(message, resumed))
        elif isinstance(message, Result):
            logger.debug("websocket: a result for %s outside a subscription", message.topic)


def open_with_retries(client: WebBase, topics: tuple[str, ...]) -> StreamFlow[list[ChargerEvent]]:
    """The first opening: retried as a call is (the policy's retries and backoff), all of it
    within the client's deadline, so that a wrong address or password is said at once."""
    policy = client.policy
    until = time.monotonic() + policy.deadline
    attempt = 0
    while True:
        try:
            return (yield from open_stream(client, topics, until=until))
        except TRANSIENT as error:
            yield Disconnect()
            wait = retry_wait(error, policy, attempt)
            if wait is None or time.monotonic() + wait >= until:
                raise
            logger.debug("websocket to %s: %s; retrying in %.2f s", client.host, error, wait)
            attempt += 1
            yield Sleep(wait)


def open_stream(
    client: WebBase, topics: tuple[str, ...], *, until: float | None = None
) -> StreamFlow[list[ChargerEvent]]:
    """Log in if needed, open the websocket (logging in once more on a 401: the charger forgets
    sessions when it reboots), subscribe to ``topics`` and wait for every acknowledgement; the
    events that came meanwhile (the current state is pushed right after an acknowledgement)."""
    policy = client.policy
    if until is None:
        until = time.monotonic() + policy.deadline
    if not client._cookie:
        yield from client._login()
    try:
        yield Connect(client._cookie, within(until, policy.connect_timeout))
    except PeblarAuthenticationError:
        yield from client._login()
        try:
            yield Connect(client._cookie, within(until, policy.connect_timeout))
        except PeblarAuthenticationError as error:
            raise PeblarAuthenticationError(
                "the charger refused the websocket after a fresh log-in",
                status=error.status,
                statusmsg=error.statusmsg,
            ) from None
    for topic in topics:
        yield Send(subscription("subscribe", topic))
    waiting = list(topics)
    early: list[ChargerEvent] = []
    while waiting:
        try:
            frame = yield Receive(within(until, policy.read_timeout))
        except PeblarConnectionTimeoutError:
            raise PeblarConnectionTimeoutError(
                f"the charger did not acknowledge the subscription to {', '.join(waiting)} "
                f"within {policy.read_timeout:g} s",
                request_sent=True,
            ) from None
        message = read_frame(frame)
        if isinstance(message, ChargerEvent):
            early.append(message)
        elif isinstance(message, Result) and message.topic in waiting:
            if not message.ok:
                raise PeblarSubscriptionError(
                    f"the charger refused the subscription to {message.topic}: {message.message}",
                    topic=message.topic,
                    statusmsg=message.message,
                )
            waiting.remove(message.topic)
    return early


def within(until: float, limit: float) -> float:
    """``limit`` seconds, or what is left before ``until``; a timeout once nothing is."""
    remaining = until - time.monotonic()
    if remaining <= 0:
        raise PeblarConnectionTimeoutError(
            "opening the websocket: the call's deadline passed", request_sent=False
        )
    return min(limit, remaining)


def connection_failure(where: str, exc: BaseException, timeout: float) -> PeblarConnectionError:
    """The error for a websocket that could not be opened: ``exc`` is the engine's (unwrapped to
    the socket's error where the engine wraps it; a ``TimeoutError`` for a timeout)."""
    if isinstance(exc, TimeoutError):
        return PeblarConnectionTimeoutError(
            f"GET {WEBSOCKET_PATH}: could not connect to {where} within {timeout:g} s",
            request_sent=False,
        )
    if isinstance(exc, ConnectionRefusedError):
        reason = "connection refused (is the charger on, and the address right?)"
    elif isinstance(exc, socket.gaierror):
        reason = "unknown host name"
    else:
        reason = str(exc)[:200] or type(exc).__name__
    return PeblarConnectionError(
        f"GET {WEBSOCKET_PATH}: could not connect to {where}: {reason}", request_sent=False
    )


def closed_error(where: str, code: int | None) -> PeblarConnectionError:
    """The error for a websocket that closed (``code`` as the engine saw it, if any)."""
    said = f" (code {code})" if code else ""
    return PeblarConnectionError(f"the websocket to {where} closed{said}", request_sent=True)


def silence_error(where: str, timeout: float | None) -> PeblarConnectionTimeoutError:
    """The error for a websocket that sent nothing within a ``Receive``'s ``timeout``."""
    return PeblarConnectionTimeoutError(
        f"no message from {where} within {timeout:g} s", request_sent=True
    )
