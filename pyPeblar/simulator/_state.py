"""What the simulator's request handlers share: the charger and everything kept beside it.

One ``State`` per server: the ``Charger`` (what both APIs see), the token and password, the rate
limiter, the faults to inject, the counters behind ``stats()``, the web interface's sessions and
its own state (``WebState``), the websocket's hub. Its own module, so that the local REST API's
routes (``_server``) and the web interface's (``_webui``, ``_webui_routes``) all take it from
here, and none of them imports another for it.
"""

from __future__ import annotations

import secrets
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

from pyPeblar._transport.ratelimit import TokenBucket
from pyPeblar.simulator._charger import Charger
from pyPeblar.simulator._events import EventHub
from pyPeblar.simulator._faults import FaultList
from pyPeblar.simulator._settings import firmware_version

__all__ = [
    "DAYS",
    "Counters",
    "ExtraRoute",
    "SimulatorStats",
    "State",
    "WebSessions",
    "WebState",
    "customization_for",
    "next_firmware",
]

DAYS: Final = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class SimulatorStats:
    """What the simulator has seen since it started (or since ``reset_stats()``)."""

    connections_opened: int = 0
    requests_total: int = 0
    by_route: dict[str, int] = field(default_factory=dict)
    by_status: dict[int, int] = field(default_factory=dict)
    rate_limited: int = 0
    charge_session_posts: int = 0


class Counters:
    """The mutable counters behind ``SimulatorStats``."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.connections = 0
        self.requests = 0
        self.routes: dict[str, int] = {}
        self.statuses: dict[int, int] = {}

    def request(self, route: str) -> None:
        with self.lock:
            self.requests += 1
            self.routes[route] = self.routes.get(route, 0) + 1

    def status(self, status: int) -> None:
        with self.lock:
            self.statuses[status] = self.statuses.get(status, 0) + 1

    def connection(self) -> None:
        with self.lock:
            self.connections += 1

    def snapshot(self) -> SimulatorStats:
        with self.lock:
            return SimulatorStats(
                connections_opened=self.connections,
                requests_total=self.requests,
                by_route=dict(self.routes),
                by_status=dict(self.statuses),
                rate_limited=self.statuses.get(429, 0),
                charge_session_posts=self.routes.get("POST /authorization/charge-session", 0),
            )


#: An added operation: the request's JSON body (None if empty) -> (status, JSON payload or None).
ExtraRoute = Callable[[Any], tuple[int, Any]]


class State:
    """Everything the request handlers share: the charger, token, limiter, faults, counters."""

    def __init__(
        self,
        charger: Charger,
        *,
        token: str,
        password: str,
        rate_limit: bool,
        retry_after: int | None,
        connection_timeout: float,
    ) -> None:
        self.charger = charger
        self.token = token
        self.password = password
        self.rate_limit = rate_limit
        self.retry_after = retry_after
        self.connection_timeout = connection_timeout
        self.limiter = TokenBucket(5, 10)
        self.faults = FaultList()
        self.counters = Counters()
        self.sessions = WebSessions()
        #: The websocket's subscriptions and events (``_events``).
        self.events = EventHub(charger)
        #: What the web interface keeps besides the charger (versions, identify count, lists).
        self.web = WebState.for_firmware(charger.profile.firmware)
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        self.stopping = threading.Event()
        #: Operations a test or user added (``Simulator.add_route``): (method, path) -> handler.
        self.extra_routes: dict[tuple[str, str], ExtraRoute] = {}


class WebSessions:
    """Logged-in web sessions, by cookie value."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._active: set[str] = set()

    def open(self) -> str:
        session = secrets.token_hex(16)
        with self._lock:
            self._active.add(session)
        return session

    def close(self, session: str | None) -> None:
        with self._lock:
            self._active.discard(session or "")

    def valid(self, session: str | None) -> bool:
        with self._lock:
            return session in self._active

    def forget_all(self) -> None:
        with self._lock:
            self._active.clear()


def customization_for(firmware: str) -> str:
    """``Peblar-1.9`` for firmware ``1.9.2+1+WL-1``."""
    major, _, rest = firmware.split("+", 1)[0].partition(".")
    return f"Peblar-{major}.{rest.split('.')[0] or 0}"


def next_firmware(firmware: str) -> str:
    """The next minor release: ``1.10.0+1+WL-1`` after ``1.9.2+1+WL-1``."""
    version = firmware_version(firmware)
    if version is None:
        return firmware
    _, plus, build = firmware.partition("+")
    return f"{version[0]}.{version[1] + 1}.0{plus}{build}"


@dataclass
class WebState:
    """The web interface's own state."""

    customization: str
    available_firmware: str | None
    identify_count: int = 0
    vehicle_tokens: dict[str, str] = field(default_factory=dict)
    schedules: dict[str, list[dict[str, int]]] = field(default_factory=dict)
    #: Takes the charger down, runs the given install step (if any) while it is down, and brings it
    #: back (set by the ``Simulator``).
    restart: Callable[[Callable[[], None] | None], None] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def available_customization(self) -> str | None:
        """The customisation that comes with ``available_firmware`` (``Peblar-1.10``)."""
        firmware = self.available_firmware
        return None if firmware is None else customization_for(firmware)

    @classmethod
    def for_firmware(cls, firmware: str) -> WebState:
        return cls(
            customization=customization_for(firmware),
            available_firmware=next_firmware(firmware),
            schedules={day: [] for day in DAYS},
        )
