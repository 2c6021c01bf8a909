"""What the simulator's websocket tells, and to whom: topics, subscriptions and events.

The charger pushes changes over a websocket (``ws://HOST:PORT/api/v1/ws``, docs/events.md): a
client subscribes to topics, and each topic's events reach every connection subscribed to it. This
module decides what is sent, when and to which connection; ``_websocket`` does the framing (with
wsproto) and is imported only when a websocket is opened, so this one stays standard library only.

Messages follow ``openapi/webui.yaml`` (``WebSocketMessage``, ``SubscriptionResult``,
``SessionStatus``, ``FirmwareUpdateStatus``, ``TokenFound``); test/simulator/test_events.py checks
every one the simulator sends against those schemas.

Locks: a change of the charger calls ``charger_changed`` with the charger's lock held, and a
subscription takes the charger's lock before this hub's, so both take them in the same order (no
deadlock), and the state pushed after a subscription's acknowledgement is never older than an
event the new subscriber would then miss. Connections are only handed messages here (``push``):
nothing waits on a client while a lock is held.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, Final, Protocol

if TYPE_CHECKING:
    from pyPeblar.simulator._charger import Charger

__all__ = [
    "DIAGNOSTICS_TOPIC",
    "FIRMWARE_TOPIC",
    "RFID_TOPIC",
    "SESSION_TOPIC",
    "TOPICS",
    "VEHICLE_TOPIC",
    "WEBSOCKET_PATH",
    "EventHub",
    "Subscriber",
]

WEBSOCKET_PATH: Final = "/api/v1/ws"
SESSION_TOPIC: Final = "/session/status/connector/1"
FIRMWARE_TOPIC: Final = "/system/fwupdate/status"
RFID_TOPIC: Final = "/rfid/tokenfound"
VEHICLE_TOPIC: Final = "/vehicle/tokenfound"
DIAGNOSTICS_TOPIC: Final = "/system/diagnostics/statuschanged"
#: The topics the simulated charger knows; any other is refused with an error result.
TOPICS: Final = (SESSION_TOPIC, FIRMWARE_TOPIC, RFID_TOPIC, VEHICLE_TOPIC, DIAGNOSTICS_TOPIC)
#: Seconds between session status events while a car charges (``Simulator.event_interval``).
DEFAULT_INTERVAL: Final = 5.0


class Subscriber(Protocol):
    """One websocket connection, as the hub sees it (``_websocket.WebSocket``)."""

    def push(self, message: dict[str, Any]) -> None:
        """Send ``message`` as a JSON text frame, after what was pushed before (never waits)."""

    def push_raw(self, frame: str | bytes) -> None:
        """Send ``frame`` as it is: a text frame for ``str``, a binary one for ``bytes``."""

    def drop(self) -> None:
        """Cut the connection at once, without a closing handshake."""

    def flush(self, timeout: float) -> None:
        """Wait up to ``timeout`` seconds for what was pushed to be sent."""


def event(topic: str, data: Any) -> dict[str, Any]:
    return {"topic": topic, "type": "event", "data": data}


def result(topic: str, action: object, message: str | None = None) -> dict[str, Any]:
    """A subscription request's answer: ``ok``, or ``error`` with ``message``; the ``action``
    is repeated if it was one."""
    data: dict[str, Any] = {"status": "ok" if message is None else "error"}
    if action in ("subscribe", "unsubscribe"):
        data = {"action": action, **data}
    if message is not None:
        data["message"] = message
    return {"topic": topic, "type": "result", "data": data}


class EventHub:
    """The websocket connections of one simulator, their subscriptions, and what they are sent."""

    def __init__(self, charger: Charger) -> None:
        self._charger = charger
        self._lock = threading.Lock()
        self._subscriptions: dict[Subscriber, set[str]] = {}
        with charger.lock:
            self._session_state = charger.session_state()
            self._codes = self._diagnostics()
            charger.listeners.append(self.charger_changed)
        #: The last firmware update's result, pushed on subscribe; None until an update ran.
        self.firmware_result: dict[str, str] | None = None
        #: Seconds between session status events while charging.
        self.interval = DEFAULT_INTERVAL
        #: False: subscription requests go unanswered (a fault for tests).
        self.answering = True

    # -- connections ------------------------------------------------------------------------

    def attach(self, connection: Subscriber) -> None:
        with self._lock:
            self._subscriptions[connection] = set()

    def detach(self, connection: Subscriber) -> None:
        with self._lock:
            self._subscriptions.pop(connection, None)

    def connections(self) -> list[Subscriber]:
        with self._lock:
            return list(self._subscriptions)

    def subscribers(self, topic: str) -> int:
        """How many connections follow ``topic``."""
        with self._lock:
            return sum(topic in topics for topics in self._subscriptions.values())

    def is_subscribed(self, connection: Subscriber, topic: str) -> bool:
        with self._lock:
            return topic in self._subscriptions.get(connection, ())

    # -- what a client asks -----------------------------------------------------------------

    def request(self, connection: Subscriber, action: object, topic: object) -> None:
        """Answer a client's ``{"action": ..., "topic": ...}``."""
        if not self.answering:
            return
        if action not in ("subscribe", "unsubscribe") or not isinstance(topic, str) or not topic:
            shown = topic if isinstance(topic, str) else ""
            connection.push(result(shown, action, "Bad request"))
            return
        if topic not in TOPICS:
            connection.push(result(topic, action, "Unknown topic"))
            return
        if action == "unsubscribe":
            with self._lock:
                self._subscriptions.get(connection, set()).discard(topic)
                connection.push(result(topic, action))
            return
        with self._charger.lock:  # the charger's lock first, as for a change (module docstring)
            current = self._current(topic)
            with self._lock:
                self._subscriptions.setdefault(connection, set()).add(topic)
                connection.push(result(topic, action))
                if current is not None:
                    connection.push(event(topic, current))

    def _current(self, topic: str) -> Any:
        """What a new subscriber of ``topic`` is sent right after the acknowledgement, if any."""
        if topic == SESSION_TOPIC:
            return self._charger.session_status()
        if topic == FIRMWARE_TOPIC:
            return self.firmware_result
        return None

    # -- what the charger tells ---------------------------------------------------------------

    def publish(self, topic: str, data: Any) -> int:
        """Send an event of ``topic`` to its subscribers; how many there were."""
        message = event(topic, data)
        with self._lock:
            receivers = [c for c, topics in self._subscriptions.items() if topic in topics]
            for connection in receivers:
                connection.push(message)
        return len(receivers)

    def charger_changed(self) -> None:
        """The charger changed (its lock is held): a session status event if the state did, and
        a diagnostics event if the error or warning codes did."""
        status = self._charger.session_status()
        codes = self._diagnostics()
        with self._lock:
            session_changed = status["state"] != self._session_state
            codes_changed = codes != self._codes
            self._session_state, self._codes = status["state"], codes
        if session_changed:
            self.publish(SESSION_TOPIC, status)
        if codes_changed:
            # The real payload is unpublished; this one is the simulator's (docs/simulator.md).
            errors, warnings = codes
            self.publish(
                DIAGNOSTICS_TOPIC,
                {"ActiveErrorCodes": list(errors), "ActiveWarningCodes": list(warnings)},
            )

    def _diagnostics(self) -> tuple[tuple[int, ...], tuple[int, ...]]:
        return tuple(self._charger.error_codes), tuple(self._charger.warning_codes)

    def periodic(self, connection: Subscriber) -> dict[str, Any] | None:
        """The session status a subscriber gets every ``interval`` seconds while a car charges."""
        if not self.is_subscribed(connection, SESSION_TOPIC):
            return None
        with self._charger.lock:
            if not self._charger.charging():
                return None
            return event(SESSION_TOPIC, self._charger.session_status())

    def token_found(self, topic: str, token: str) -> bool:
        """A card (or vehicle) read while a token is being added: whether anyone was enrolling
        (a subscriber of ``topic``, as the web interface's "add a card" dialog is)."""
        return self.publish(topic, {"tokenId": token}) > 0

    def firmware_update(self, status: str, old: str, new: str, *, final: bool) -> None:
        """A firmware update's progress; a ``final`` one is also pushed to later subscribers."""
        data = {"status": status, "fwIdentOld": old, "fwIdentNew": new}
        if final:
            self.firmware_result = data
        self.publish(FIRMWARE_TOPIC, data)

    # -- faults -----------------------------------------------------------------------------

    def flush(self, timeout: float) -> None:
        """Wait (up to ``timeout`` s each) for every connection to send what it was handed."""
        for connection in self.connections():
            connection.flush(timeout)

    def drop_all(self) -> int:
        """Cut every websocket at once, as a network failure would; how many there were."""
        connections = self.connections()
        for connection in connections:
            connection.drop()
        return len(connections)

    def send_raw(self, frame: str | bytes) -> int:
        """Send ``frame`` as it is to every websocket; how many there were."""
        connections = self.connections()
        for connection in connections:
            connection.push_raw(frame)
        return len(connections)
