"""The ``Simulator`` facade: start, stop, reboot, and drive the simulated charger from Python."""

from __future__ import annotations

import secrets
import socket
import threading
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any

from pyPeblar.simulator._charger import Charger
from pyPeblar.simulator._events import RFID_TOPIC, VEHICLE_TOPIC
from pyPeblar.simulator._faults import Fault
from pyPeblar.simulator._profiles import Profile, profile_named
from pyPeblar.simulator._server import BASE, Server, drop_connections, hold_port
from pyPeblar.simulator._state import SimulatorStats, State

if TYPE_CHECKING:
    from pyPeblar.simulator._modbus import ModbusServer

__all__ = ["ModbusPortError", "Simulator"]


class ModbusPortError(OSError):
    """The Modbus server could not listen on its port (``errno`` says why, as for the HTTP
    port's ``OSError``); the simulator did not start."""


class Simulator:
    """A simulated Peblar charger serving its local REST API on ``host:port``.

    ``profile`` names a kind of charger (see ``PROFILES``) or is a ``Profile``; ``token`` is
    generated (64 hex characters) when not given; ``access_mode`` is ``"ReadWrite"`` or
    ``"ReadOnly"``; ``rate_limit`` plays the charger's 5 requests/s (bursts of 10), answering 429
    beyond, with ``retry_after`` seconds in a Retry-After header if set; ``phase_switch_delay`` is
    how long a switch between one and three phases takes while charging; with
    ``require_authorization`` a plugged-in car waits for an RFID (``rfid_tokens``: UID -> name);
    ``password`` is the web interface's; ``connection_timeout`` drops idle or slow connections.

    ``modbus_port`` (0: a free one; None, the default: none) serves the Modbus TCP API too, from
    the same charger (``sim.modbus_port``; needs the ``modbus`` extra), with the web interface's
    Modbus switch on and ``modbus_access_mode`` (default ``"ReadWrite"``).
    """

    def __init__(
        self,
        *,
        token: str | None = None,
        profile: str | Profile = "three-phase-socket",
        access_mode: str = "ReadWrite",
        rate_limit: bool = True,
        host: str = "127.0.0.1",
        port: int = 0,
        password: str = "peblar",
        phase_switch_delay: float = 1.0,
        require_authorization: bool = False,
        rfid_tokens: dict[str, str] | None = None,
        local_api_allowed: bool = True,
        retry_after: int | None = None,
        connection_timeout: float = 10.0,
        modbus_port: int | None = None,
        modbus_access_mode: str = "ReadWrite",
    ) -> None:
        charger = Charger(
            profile_named(profile),
            access_mode=access_mode,
            phase_switch_delay=phase_switch_delay,
            require_authorization=require_authorization,
            rfid_tokens=rfid_tokens,
        )
        charger.local_api_allowed = local_api_allowed
        self._state = State(
            charger,
            token=token or secrets.token_hex(32),
            password=password,
            rate_limit=rate_limit,
            retry_after=retry_after,
            connection_timeout=connection_timeout,
        )
        self._charger = charger
        self._bind = (host, port)
        self._server: Server | None = None
        self._thread: threading.Thread | None = None
        #: The port, bound but not listening, while a reboot keeps the charger down.
        self._held: socket.socket | None = None
        self._reboots = 0  # a reboot during another's downtime comes back after its own
        self._lock = threading.Lock()
        self._port = port
        #: Seconds a reboot or an update asked for through the web interface keeps it down.
        self.reboot_duration = 2.0
        self._state.web.restart = self._web_restart
        self._modbus: ModbusServer | None = None
        if modbus_port is not None:
            if modbus_access_mode not in ("ReadOnly", "ReadWrite"):
                raise ValueError(
                    f"modbus_access_mode must be 'ReadOnly' or 'ReadWrite', not "
                    f"{modbus_access_mode!r}"
                )
            from pyPeblar.simulator._modbus import ModbusServer  # pymodbus only when asked for

            charger.apply_settings(
                {"ModbusServerEnable": True, "ModbusServerAccessMode": modbus_access_mode}
            )
            self._modbus = ModbusServer(
                charger, self._state.faults, self._state.counters, host, modbus_port
            )

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> Simulator:
        """Start serving in a background thread (on a free port if none was given)."""
        with self._lock:
            if self._server is None:
                self._serve(self._bind[1])
            if self._modbus is not None and not self._modbus.running:
                try:
                    self._modbus.start()
                except OSError as error:
                    self._shutdown()  # not half started: the HTTP server goes too
                    raise ModbusPortError(error.errno, error.strerror or str(error)) from error
        return self

    def _serve(self, port: int, held: socket.socket | None = None) -> None:
        self._state.stopping.clear()
        self._server = Server((self._bind[0], port), self._state, held)
        self._port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"peblar-simulator-{self._port}",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop serving: close the listener and every open connection (and end a reboot)."""
        with self._lock:
            self._shutdown()
            if self._held is not None:
                self._held.close()
                self._held = None
            if self._modbus is not None:
                self._modbus.stop()

    def _shutdown(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is None:
            return
        self._state.stopping.set()
        server.shutdown()
        server.server_close()
        drop_connections(self._state)
        if thread is not None:
            thread.join(timeout=5)

    def reboot(self, downtime: float = 2.0, new_token: bool = False) -> None:
        """Go away for ``downtime`` seconds (connections refused), then come back on the same port.

        A reboot forgets web sessions and restarts the uptime; ``new_token`` gives the local API a
        new token, so the old one gets 401.
        """
        self._reboot(downtime, new_token, None)

    def _reboot(
        self, downtime: float, new_token: bool, while_down: Callable[[], None] | None
    ) -> None:
        with self._lock:
            port = self._port
            self._shutdown()
            held = self._held = self._held or hold_port(self._bind[0], port)
            self._reboots += 1
            reboot = self._reboots
            if self._modbus is not None:
                self._modbus.go_down()
            self._state.sessions.forget_all()
            self._charger.reboot()
            if new_token:
                self._state.token = secrets.token_hex(32)
            if while_down is not None:
                while_down()

        def come_back() -> None:
            with self._lock:
                if self._reboots == reboot and self._held is held:
                    self._held = None
                    self._serve(port, held)
                    if self._modbus is not None:
                        self._modbus.come_back()

        timer = threading.Timer(downtime, come_back)
        timer.daemon = True
        timer.start()

    def _web_restart(self, while_down: Callable[[], None] | None) -> None:
        """A reboot (or an update's) asked for over the web interface.

        An update's install step runs while the charger is down, so no answer shows the new
        package before the reboot (a client polling for it would otherwise see it, then lose the
        charger to the reboot).
        """
        if self._server is not None:
            self._reboot(self.reboot_duration, False, while_down)

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<Simulator {self._charger.profile.name} on {self.host}>"

    # -- where it is --------------------------------------------------------------------------

    @property
    def port(self) -> int:
        return self._port

    @property
    def host(self) -> str:
        """``127.0.0.1:PORT``, what ``Peblar()`` takes."""
        return f"{self._bind[0]}:{self._port}"

    @property
    def modbus_port(self) -> int:
        """The Modbus TCP port (``Simulator(modbus_port=0)`` picks a free one)."""
        if self._modbus is None:
            raise ValueError("this simulator serves no Modbus: give Simulator(modbus_port=...)")
        return self._modbus.port

    @property
    def modbus_host(self) -> str:
        """``127.0.0.1:PORT`` of the Modbus server, what ``PeblarModbus()`` takes."""
        return f"{self._bind[0]}:{self.modbus_port}"

    @property
    def modbus_limit(self) -> int:
        """The limit set over Modbus (holding registers 40000-40001), in mA."""
        return self._charger.modbus_limit

    @property
    def url(self) -> str:
        return f"http://{self.host}"

    @property
    def api_url(self) -> str:
        """The REST API's base URL, what the generated ``Configuration(host=...)`` takes."""
        return self.url + BASE

    @property
    def token(self) -> str:
        return self._state.token

    @token.setter
    def token(self, value: str) -> None:
        self._state.token = value

    @property
    def profile(self) -> Profile:
        return self._charger.profile

    # -- state ----------------------------------------------------------------------------------

    @property
    def charge_current_limit(self) -> int:
        """The limit set through the API, in mA."""
        return self._charger.charge_current_limit

    @property
    def force_1phase(self) -> bool:
        """Whether charging is on one phase (the applied state, as GET reports it)."""
        with self._charger.lock:
            self._charger.ev_interface()  # completes a switch-over that is due
            return self._charger.force_1phase

    @property
    def active_phases(self) -> int:
        with self._charger.lock:
            self._charger.ev_interface()
            return self._charger.active_phases()

    @property
    def cp_state(self) -> str:
        return str(self._charger.ev_interface()["CpState"])

    @property
    def energy_session_wh(self) -> int:
        return self._charger.energy()[0]

    @property
    def energy_total_wh(self) -> int:
        return self._charger.energy()[1]

    @property
    def authorized(self) -> bool:
        """Whether the plugged-in car's session is authorised (running or allowed to run)."""
        return self._charger.session_active

    @property
    def access_mode(self) -> str:
        return self._charger.access_mode

    @access_mode.setter
    def access_mode(self, value: str) -> None:
        if value not in ("ReadOnly", "ReadWrite"):
            raise ValueError(f"access_mode must be 'ReadOnly' or 'ReadWrite', not {value!r}")
        self._charger.change(access_mode=value)

    @property
    def api_enabled(self) -> bool:
        return self._charger.api_enabled

    @api_enabled.setter
    def api_enabled(self, value: bool) -> None:
        self._charger.change(api_enabled=bool(value))

    @property
    def local_api_allowed(self) -> bool:
        return self._charger.local_api_allowed

    @local_api_allowed.setter
    def local_api_allowed(self, value: bool) -> None:
        self._charger.change(local_api_allowed=bool(value))

    @property
    def rate_limit(self) -> bool:
        """Whether the charger's rate limit (5/s, bursts of 10, then 429) is played."""
        return self._state.rate_limit

    @rate_limit.setter
    def rate_limit(self, value: bool) -> None:
        self._state.rate_limit = bool(value)

    @property
    def ocpp_managed(self) -> bool:
        return self._charger.ocpp_managed

    @ocpp_managed.setter
    def ocpp_managed(self, value: bool) -> None:
        self._charger.change(ocpp_managed=bool(value))

    def plug_in(self, car_max_current_ma: int = 32000) -> None:
        """A car is plugged in; it charges at once unless ``require_authorization``."""
        self._charger.plug_in(car_max_current_ma)

    def unplug(self) -> None:
        """The car leaves; the session's energy stays readable until the next one."""
        self._charger.unplug()

    def set_car_full(self, full: bool = True) -> None:
        """The car stops (or starts again) drawing current by itself: State B."""
        self._charger.change(car_full=bool(full))

    def authorize(self, uid: str | None = None) -> None:
        """Present an RFID card: start a waiting session, or stop a running one.

        ``uid`` is the card's, recorded as the session's ``AuthToken`` in the meter history
        (None: null, as with charging without authorisation). It need not be in the list.
        """
        self._charger.toggle_session(uid)

    def present_card(self, uid: str) -> bool:
        """Hold the RFID card ``uid`` to the charger's reader; whether it was reported.

        While a card is being added (a websocket follows ``/rfid/tokenfound``, as the web
        interface's "add a card" dialog does), the charger reports the card there and does nothing
        else: True. Otherwise it is a badge-in: a card on the local list starts a waiting session
        or stops a running one (as ``authorize(uid)``), another is refused; False.
        """
        if self._state.events.token_found(RFID_TOPIC, uid):
            return True
        if uid in self.rfid_tokens:
            self._charger.toggle_session(uid)
        return False

    def present_vehicle(self, evcc_id: str) -> bool:
        """A car identifies itself (ISO 15118) with ``evcc_id``: reported, as ``present_card``,
        while a vehicle is being added (a websocket follows ``/vehicle/tokenfound``); whether it
        was. Charging by vehicle identity is not simulated."""
        return self._state.events.token_found(VEHICLE_TOPIC, evcc_id)

    def set_limiter(self, source: str, milliamps: int | None) -> None:
        """Let another limiter (``"Solar charging"``, ``"Installation limit"``) cap the current."""
        with self._charger.lock:
            limiters = dict(self._charger.limiters)
            if milliamps is None:
                limiters.pop(source, None)
            else:
                limiters[source] = int(milliamps)
            self._charger.change(limiters=limiters)

    def set_error_codes(self, codes: list[int]) -> None:
        self._charger.change(error_codes=list(codes))

    def set_warning_codes(self, codes: list[int]) -> None:
        self._charger.change(warning_codes=list(codes))

    def set_cp_state_override(self, state: str | None) -> None:
        """Report this control-pilot state whatever happens (``"State E"``, ``"State Invalid"``)."""
        self._charger.change(cp_state_override=state)

    # -- the web interface ---------------------------------------------------------------------

    @property
    def user_configuration(self) -> dict[str, Any]:
        """What ``GET /api/v1/config/user`` answers now."""
        return self._charger.user_configuration()

    def configure(self, **settings: Any) -> None:
        """Set ``config/user`` keys as the installer would: any key, read-only ones too, unchecked.

        ``sim.configure(SolarChargingAllowed=False)``; keys shared with the local REST API act on it
        (``LocalRestApiEnable``, ``LocalRestApiAccessMode``, ``LocalRestApiAllowed``,
        ``SeccOcppActive``, ``SessionManagerChargeWithoutAuth``, ``SolarChargingEnable``).
        """
        self._charger.apply_settings(settings)

    @property
    def rfid_tokens(self) -> dict[str, str]:
        """The local RFID list (UID to description), shared by both APIs; a copy."""
        with self._charger.lock:
            return dict(self._charger.rfid_tokens)

    @property
    def identify_count(self) -> int:
        """How many times ``PUT /api/v1/system/identify`` was called."""
        return self._state.web.identify_count

    @property
    def customization(self) -> str:
        """The installed customisation package (``Peblar-1.9``)."""
        return self._state.web.customization

    @property
    def available_firmware(self) -> str | None:
        """The firmware ``available-versions`` offers (None: none newer than the installed one).

        By default the next minor release (``1.10.0+1+WL-1`` for ``1.9.2+1+WL-1``); setting it
        also offers the matching customisation (``Peblar-1.10``).
        """
        return self._state.web.available_firmware

    @available_firmware.setter
    def available_firmware(self, value: str | None) -> None:
        self._state.web.available_firmware = value

    def advance(self, seconds: float) -> None:
        """Let simulated time pass: energy accrues and pending phase switch-overs complete."""
        self._charger.advance(seconds)

    def snapshot(self) -> dict[str, dict[str, Any]]:
        """What each GET would answer now."""
        charger = self._charger
        return {
            "health": charger.health(),
            "system": charger.system(),
            "meter": charger.meter(),
            "evinterface": charger.ev_interface(),
        }

    # -- the websocket ---------------------------------------------------------------------------

    @property
    def event_interval(self) -> float:
        """Seconds between session status events on the websocket while a car charges."""
        return self._state.events.interval

    @event_interval.setter
    def event_interval(self, seconds: float) -> None:
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not seconds > 0:
            raise ValueError(f"event_interval must be seconds above 0, not {seconds!r}")
        self._state.events.interval = float(seconds)

    @property
    def websockets(self) -> int:
        """How many websockets are open."""
        return len(self._state.events.connections())

    def subscribers(self, topic: str) -> int:
        """How many open websockets follow ``topic``."""
        return self._state.events.subscribers(topic)

    @property
    def answer_subscriptions(self) -> bool:
        """False: the websocket takes subscription requests and never answers them (a fault
        for tests: a client waiting for the acknowledgement must give up in time)."""
        return self._state.events.answering

    @answer_subscriptions.setter
    def answer_subscriptions(self, value: bool) -> None:
        self._state.events.answering = bool(value)

    def drop_websockets(self) -> int:
        """Cut every open websocket at once, without a closing handshake, as a network failure
        would (a fault for tests); how many there were."""
        return self._state.events.drop_all()

    def send_websocket_frame(self, frame: str | bytes) -> int:
        """Send ``frame`` as it is to every open websocket: a text frame for ``str``, a binary
        one for ``bytes`` (a fault for tests: ``"not JSON"``, ``'{"type": "event"}'``...); how
        many websockets there were."""
        if not isinstance(frame, (str, bytes)):
            raise ValueError(f"frame must be str (text) or bytes (binary), not {frame!r}")
        return self._state.events.send_raw(frame)

    # -- faults and counters --------------------------------------------------------------------

    def inject(
        self,
        kind: str,
        *,
        path: str | None = None,
        method: str | None = None,
        times: int | None = 1,
        apply: bool | None = None,
        **options: Any,
    ) -> Fault:
        """Make the next ``times`` matching requests fail as ``kind`` says (see ``FAULT_KINDS``)."""
        return self._state.faults.add(
            kind, path=path, method=method, times=times, apply=apply, options=options
        )

    def inject_modbus(
        self,
        kind: str,
        *,
        writes: bool | None = None,
        times: int | None = 1,
        apply: bool | None = None,
        **options: Any,
    ) -> Fault:
        """Make the next ``times`` Modbus requests (``writes``: only writes, or only reads) fail.

        ``kind`` is ``"hang"`` (no answer for ``seconds``, default 30), ``"drop"`` (the
        connection closed without an answer), ``"exception"`` (the exception ``code``, default
        4: server device failure) or ``"ignore"`` (a write answered as done, not carried out).
        ``apply`` says whether a write acts first (default: no). These carry the request out and
        garble its answer: ``"short"`` (one register fewer), ``"garbage"`` (an unknown function
        code), ``"other-unit"`` (another unit id), ``"drip"`` (one byte every ``seconds``,
        default 0.2).
        """
        from pyPeblar.simulator._modbus import MODBUS_FAULT_KINDS, MODBUS_PATH

        method = None if writes is None else "WRITE" if writes else "READ"
        return self._state.faults.add(
            kind,
            path=MODBUS_PATH,
            method=method,
            times=times,
            apply=apply,
            options=options,
            kinds=MODBUS_FAULT_KINDS,
        )

    def add_route(self, method: str, path: str, handler: Callable[[Any], tuple[int, Any]]) -> None:
        """Answer an operation this simulator does not know (``path`` under ``/api/wlac/v1``).

        ``handler`` gets the request's JSON body (None if empty) and returns ``(status, payload)``;
        the payload is sent as JSON the charger's way. The token, the rate limit and injected
        faults apply as for every other operation. For trying a new operation from an edited spec
        before a charger has it:

        >>> sim.add_route("GET", "/sessions", lambda _: (200, {"Sessions": []}))  # doctest: +SKIP
        """
        if not path.startswith("/"):
            raise ValueError(f"path must start with '/', relative to /api/wlac/v1, not {path!r}")
        self._state.extra_routes[(method.upper(), path)] = handler

    def clear_faults(self) -> None:
        self._state.faults.clear()

    def stats(self) -> SimulatorStats:
        return self._state.counters.snapshot()

    def reset_stats(self) -> None:
        with self._state.counters.lock:
            self._state.counters.reset()
