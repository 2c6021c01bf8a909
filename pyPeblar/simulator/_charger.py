"""The simulated charger itself: its state, its physics, and what the REST API does to it.

No HTTP here: the server turns requests into calls on ``Charger``, and the ``RefusedError`` a
call raises into an error answer. Physics runs on a clock (``time.monotonic()`` plus whatever
``advance()`` added), so tests can let an hour of charging pass in no time. Every public method
takes the lock: the HTTP server is threaded and tests drive the state from their own thread.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, Final

from pyPeblar.simulator._history import History
from pyPeblar.simulator._profiles import ABSENT, Profile
from pyPeblar.simulator._reply import RefusedError, json_object
from pyPeblar.simulator._settings import SOLAR_LIMIT_MA, check_changes, default_settings

__all__ = ["MIN_CHARGING_MA", "Charger"]

#: Below this limit a charger pauses charging (IEC 61851: 6 A is the least a car takes).
MIN_CHARGING_MA: Final = 6000
#: What a car draws below the current offered, in mA (real meters read 15980 at a 16000 limit).
DRAW_SHORTFALL_MA: Final = 20
#: Per-phase voltages: deterministic, a little apart, as on a real grid.
VOLTAGES: Final = (231, 230, 232)
WRITABLE: Final = ("ChargeCurrentLimit", "Force1Phase")
READ_ONLY: Final = ("CpState", "LockState", "ChargeCurrentLimitSource", "ChargeCurrentLimitActual")
#: Limit sources in the order ties are settled (the first of equal limits is reported).
TIE_ORDER: Final = (
    "Local REST API",
    "Local Modbus API",
    "Installation limit",
    "Hardware limitation",
)
FUTURE_SOURCE: Final = ("Grid operator limit", 13000)
#: ``config/user`` keys that are the charger's own state, never stored twice: key -> attribute.
MIRRORED_SETTINGS: Final = {
    "LocalRestApiAccessMode": "access_mode",
    "LocalRestApiAllowed": "local_api_allowed",
    "LocalRestApiEnable": "api_enabled",
    "SeccOcppActive": "ocpp_managed",
}


class Charger:
    """One simulated Peblar: state, physics and the REST API's rules."""

    def __init__(
        self,
        profile: Profile,
        *,
        access_mode: str = "ReadWrite",
        phase_switch_delay: float = 1.0,
        require_authorization: bool = False,
        rfid_tokens: dict[str, str] | None = None,
    ) -> None:
        if access_mode not in ("ReadOnly", "ReadWrite"):
            raise ValueError(f"access_mode must be 'ReadOnly' or 'ReadWrite', not {access_mode!r}")
        if phase_switch_delay < 0:
            raise ValueError("phase_switch_delay must be >= 0 seconds")
        self.lock = threading.RLock()
        self.profile: Profile = profile
        self.access_mode = access_mode
        self.phase_switch_delay = phase_switch_delay
        self.require_authorization = require_authorization
        self.rfid_tokens = dict(
            rfid_tokens if rfid_tokens is not None else {"04A1B2C3": "Garage card"}
        )
        self.api_enabled = True
        self.local_api_allowed = True
        self.ocpp_managed = False
        self._offset = 0.0
        self._started = self.now()
        self._stamp = self._started
        self.charge_current_limit = profile.max_current_ma
        #: The limit set over Modbus (holding registers 40000-40001): a source of its own.
        self.modbus_limit = profile.max_current_ma
        self.limiters: dict[str, int] = {
            "Installation limit": profile.max_current_ma,
            "Hardware limitation": profile.max_current_ma,
        }
        if profile.future:
            self.limiters[FUTURE_SOURCE[0]] = FUTURE_SOURCE[1]
        self.plugged = False
        self.car_max_ma = 32000
        self.car_full = False
        self.session_active = False
        self.force_1phase = False  # the applied state, what GET reports
        self._switch: tuple[bool, float] | None = None  # (target, when it completes)
        self.cp_state_override: str | None = None
        self.error_codes: list[int] = []
        self.warning_codes: list[int] = []
        self._energy_total = 4_834_517.0 if not profile.future else 12_000.0
        self._energy_session = 0.0
        #: Unix time of the simulated clock's zero: wall time moves with ``advance()`` too.
        self._epoch = time.time() - time.monotonic()
        #: The web interface's ``config/user`` keys that are not mirrored from the state above.
        self.settings = default_settings(profile.max_current_ma // 1000, profile.firmware)
        self.history = History()
        self.socket_released = False  # a web socket-unlock, until the next plug-in
        #: Whether the car's session ended while it stays plugged in (``finishing``).
        self.session_ended = False
        #: Called, under the lock, after every change of state (the websocket's events): each
        #: must only take note and return (``_events.EventHub``), never wait on a client.
        self.listeners: list[Callable[[], None]] = []

    # -- the clock and physics ----------------------------------------------------------------

    def now(self) -> float:
        return time.monotonic() + self._offset

    def wall_time(self) -> float:
        """Unix time on the simulated clock."""
        return self._epoch + self.now()

    def _energy_mwh(self) -> int:
        return int(self._energy_total * 1000)

    def meter_reading(self) -> tuple[float, int]:
        """(Unix time, the meter's lifetime counter in mWh) read together, as the statistics use."""
        with self.lock:
            self._settle()
            return self.wall_time(), self._energy_mwh()

    def time_zone(self) -> str:
        """The zone the web interface's statistics count local days in."""
        return str(self.settings.get("TimeZone", "UTC"))

    def _session_started(self, auth_token: str | None) -> None:
        self.history.start(self.wall_time(), self._energy_mwh(), auth_token, self.active_phases())

    def _session_ended(self) -> None:
        self.history.end(self.wall_time(), self._energy_mwh())

    def advance(self, seconds: float) -> None:
        """Let ``seconds`` of simulated time pass: energy accrues, switch-overs complete."""
        if seconds < 0:
            raise ValueError("time only moves forward")
        with self.lock:
            self._settle()
            self._offset += seconds
            self._settle()

    def reboot(self) -> None:
        """What a restart resets: uptime and any switch in progress."""
        with self.lock:
            self._settle()
            self._started = self.now()
            if self._switch is not None:
                self.force_1phase = self._switch[0]
                self._switch = None

    def _settle(self) -> None:
        """Bring energy and pending switch-overs up to now (power is constant in between)."""
        now = self.now()
        if self._switch is not None and self._switch[1] <= now:
            self._accrue(self._switch[1])
            self.force_1phase = self._switch[0]
            self._switch = None
        self._accrue(now)

    def _accrue(self, until: float) -> None:
        elapsed = until - self._stamp
        if elapsed > 0:
            watt_hours = self._power_total() * elapsed / 3600
            self._energy_total += watt_hours
            self._energy_session += watt_hours
        self._stamp = max(self._stamp, until)

    # -- derived state ------------------------------------------------------------------------

    def _paused_by(self) -> str | None:
        """The API whose limit pauses charging (below 6 A), if any."""
        if self.charge_current_limit < MIN_CHARGING_MA:
            return "Local REST API"
        if self.modbus_limit < MIN_CHARGING_MA:
            return "Local Modbus API"
        return None

    def _paused(self) -> bool:
        return self._paused_by() is not None

    def _lowest_limit(self) -> tuple[str, int]:
        candidates = [
            ("Local REST API", self.charge_current_limit),
            ("Local Modbus API", self.modbus_limit),
            *self.limiters.items(),
        ]
        if self.plugged:
            candidates.append(("Charging cable", self.car_max_ma))
        ranked = sorted(
            candidates,
            key=lambda item: (item[1], TIE_ORDER.index(item[0]) if item[0] in TIE_ORDER else 9),
        )
        return ranked[0]

    def _offered(self) -> tuple[str, int]:
        """(source, mA): what the charger offers and which limiter sets it."""
        paused_by = self._paused_by()
        if paused_by is not None:
            return paused_by, 0
        return self._lowest_limit()

    def charging(self) -> bool:
        return (
            self.plugged
            and self.session_active
            and not self.car_full
            and not self._paused()
            and self._offered()[1] >= MIN_CHARGING_MA
        )

    def active_phases(self) -> int:
        return 1 if self.profile.phase_count == 1 or self.force_1phase else 3

    def cp_state(self) -> str:
        if self.cp_state_override is not None:
            return self.cp_state_override
        if not self.plugged:
            return "State A"
        if self.charging():
            return "State C2" if self.profile.future else "State C"
        return "State B"

    def _phase_currents(self) -> list[int]:
        """mA drawn on each phase (0 while idle, paused, or switching over)."""
        if not self.charging() or self._switch is not None:
            return [0, 0, 0]
        draw = max(0, self._offered()[1] - DRAW_SHORTFALL_MA)
        return [draw if phase < self.active_phases() else 0 for phase in range(3)]

    def _phase_voltages(self) -> list[int | None]:
        currents = self._phase_currents()
        single = self.active_phases() == 1 and self.profile.phase_count == 3 and currents[0] > 0
        # Real chargers report no valid voltage on idle phases while drawing on phase 1 only.
        return [None if single and phase > 0 else VOLTAGES[phase] for phase in range(3)]

    def _phase_powers(self) -> list[int]:
        return [
            round((voltage or 0) * current / 1000)
            for voltage, current in zip(self._phase_voltages(), self._phase_currents(), strict=True)
        ]

    def _power_total(self) -> int:
        return sum(self._phase_powers())

    # -- what GET answers -----------------------------------------------------------------------

    def health(self) -> dict[str, Any]:
        with self.lock:
            return {"AccessMode": self.access_mode, "ApiVersion": "1.0"}

    def system(self) -> dict[str, Any]:
        with self.lock:
            self._settle()
            body: dict[str, Any] = {
                "ActiveErrorCodes": list(self.error_codes),
                "ActiveWarningCodes": list(self.warning_codes),
                "FirmwareVersion": self.profile.firmware,
                "Force1PhaseAllowed": self.profile.force_1phase_allowed,
                "PhaseCount": self.profile.phase_count,
                "ProductPn": self.profile.product_pn,
                "ProductSn": self.profile.product_sn,
                "Uptime": int(self.now() - self._started),
            }
            for key, value in (
                ("WlanSignalStrength", self.profile.wlan_signal),
                ("CellularSignalStrength", self.profile.cellular_signal),
            ):
                if value is not ABSENT:
                    body[key] = value
            return body

    def meter(self) -> dict[str, Any]:
        with self.lock:
            self._settle()
            currents, voltages, powers = (
                self._phase_currents(),
                self._phase_voltages(),
                self._phase_powers(),
            )
            phases = 1 if self.profile.meter_omits_phases_2_3 else 3
            body: dict[str, Any] = {
                "EnergySession": int(self._energy_session),
                "EnergyTotal": int(self._energy_total),
                "PowerTotal": sum(powers[:phases]),
            }
            for phase in range(phases):
                body[f"CurrentPhase{phase + 1}"] = currents[phase]
                body[f"VoltagePhase{phase + 1}"] = voltages[phase]
                body[f"PowerPhase{phase + 1}"] = powers[phase]
            if self.profile.future:
                del body["EnergySession"]
            return body

    def ev_interface(self) -> dict[str, Any]:
        with self.lock:
            self._settle()
            source, offered = self._offered()
            body: dict[str, Any] = {
                "ChargeCurrentLimit": self.charge_current_limit,
                "ChargeCurrentLimitActual": offered,
                "ChargeCurrentLimitSource": source,
                "CpState": self.cp_state(),
                "Force1Phase": self.force_1phase,
            }
            if self.profile.has_lock_state:
                locked = self.plugged or self.settings["UserKeepSocketLocked"] is True
                body["LockState"] = locked and not self.socket_released
            if self.profile.future:
                body["SessionId"] = "7f3a9c2e" if self.plugged else ""
            return body

    # -- what writes do -------------------------------------------------------------------------

    def require_write_access(self) -> None:
        if self.access_mode != "ReadWrite":
            raise RefusedError(403, "Forbidden: the local REST API is in ReadOnly mode")

    def write_ev_interface(self, body: object, *, replace: bool) -> dict[str, Any]:
        """PATCH (``replace=False``) or PUT the EV interface; the resulting state."""
        with self.lock:
            self.require_write_access()
            body = json_object(body)
            for key in body:
                if key in READ_ONLY:
                    raise RefusedError(403, f"Forbidden: {key} is read-only")
                if key not in WRITABLE:
                    raise RefusedError(400, f"Bad request: unknown key {key}")
            if replace and len(body) < len(WRITABLE):
                missing = ", ".join(key for key in WRITABLE if key not in body)
                raise RefusedError(
                    400, f"Bad request: PUT needs every writable key; missing {missing}"
                )
            if not body:
                raise RefusedError(400, "Bad request: nothing to change")
            limit = body.get("ChargeCurrentLimit", self.charge_current_limit)
            single = body.get("Force1Phase", None)
            self._check_limit(limit)
            if single is not None:
                self._check_force_1phase(single)
            self._settle()
            self.charge_current_limit = int(limit)
            if single is not None:
                self._request_phases(bool(single))
            self._changed()
        return self.ev_interface()

    def write_modbus(self, *, limit: int | None = None, single: bool | None = None) -> None:
        """A write of the Modbus holding registers: the Modbus limit (mA) or the phase flag.

        Checked as the REST API checks its own (``RefusedError`` with 400 for a value refused).
        """
        with self.lock:
            if limit is not None:
                self._check_limit(limit)
            if single is not None:
                self._check_force_1phase(single)
            self._settle()
            if limit is not None:
                self.modbus_limit = limit
            if single is not None:
                self._request_phases(single)

    def _check_limit(self, limit: object) -> None:
        if isinstance(limit, bool) or not isinstance(limit, int):
            raise RefusedError(400, "Bad request: ChargeCurrentLimit must be an integer in mA")
        if limit < 0:
            raise RefusedError(400, "Bad request: ChargeCurrentLimit cannot be negative")
        if limit > self.profile.max_current_ma:
            raise RefusedError(
                400,
                f"Bad request: ChargeCurrentLimit {limit} is above this charger's maximum of "
                f"{self.profile.max_current_ma} mA",
            )

    def _check_force_1phase(self, single: object) -> None:
        if not isinstance(single, bool):
            raise RefusedError(400, "Bad request: Force1Phase must be true or false")
        if single and (not self.profile.force_1phase_allowed or self.profile.phase_count < 2):
            raise RefusedError(
                400,
                "Bad request: Force1Phase is not allowed on this charger "
                "(Force1PhaseAllowed is false)",
            )

    def _request_phases(self, single: bool) -> None:
        target = self._switch[0] if self._switch is not None else self.force_1phase
        if single == target:
            return
        if single == self.force_1phase:
            self._switch = None  # asked back before the switch-over finished
        elif self.charging() and self.phase_switch_delay > 0:
            self._switch = (single, self.now() + self.phase_switch_delay)
        else:
            self.force_1phase = single

    def check_charge_session(self, body: object) -> str:
        """Refuse a bad charge-session request; the card's UID (the caller schedules ``toggle``)."""
        with self.lock:
            self.require_write_access()
            body = json_object(body)
            unknown = [key for key in body if key not in ("Method", "Token", "Name")]
            if unknown:
                raise RefusedError(400, f"Bad request: unknown key {unknown[0]}")
            if body.get("Method") != "Rfid":
                raise RefusedError(400, "Bad request: Method must be Rfid")
            given = [key for key in ("Token", "Name") if key in body]
            if len(given) != 1 or not isinstance(body[given[0]], str) or not body[given[0]]:
                raise RefusedError(400, "Bad request: give exactly one of Token and Name")
            if self.ocpp_managed:
                raise RefusedError(403, "Forbidden: the charger is managed by an OCPP back office")
            value = body[given[0]]
            known = (
                value in self.rfid_tokens
                if given[0] == "Token"
                else value in self.rfid_tokens.values()
            )
            if not known:
                raise RefusedError(403, "Forbidden: this RFID card is not in the local list")
            if given[0] == "Token":
                return str(value)
            return next(uid for uid, name in self.rfid_tokens.items() if name == value)

    def toggle_session(self, auth_token: str | None = None) -> None:
        """What an accepted RFID does a moment later: start a waiting session, or stop one."""
        with self.lock:
            self._settle()
            if self.plugged:
                self.session_active = not self.session_active
                if self.session_active:
                    self._session_started(auth_token)
                else:
                    self._session_ended()
                    self.session_ended = True
            self._changed()

    # -- driving it from Python -------------------------------------------------------------------

    def plug_in(self, car_max_current_ma: int) -> None:
        with self.lock:
            self._settle()
            self.plugged = True
            self.car_max_ma = car_max_current_ma
            self.car_full = False
            self.session_active = not self.require_authorization
            self._energy_session = 0.0
            self.socket_released = False
            self.session_ended = False
            if self.session_active:
                self._session_started(None)
            self._changed()

    def unplug(self) -> None:
        with self.lock:
            self._settle()
            self.plugged = False
            if self.session_active:
                self._session_ended()
            self.session_active = False
            self.session_ended = False
            if self._switch is not None:  # nothing is charging: the switch-over completes at once
                self.force_1phase = self._switch[0]
                self._switch = None
            self._changed()

    def _changed(self) -> None:
        for listener in self.listeners:
            listener()

    # -- what the websocket tells -------------------------------------------------------------

    def session_state(self) -> str:
        """The session's state as the web interface names it (``SessionState`` in webui.yaml).

        ``preparingAuthorized`` (authorised before a car arrives) and ``unavailable`` are not
        played: the simulator has no way to reach them.
        """
        with self.lock:
            if self.error_codes:
                return "faulted"
            if not self.plugged:
                return "available"
            if self.session_active:
                return "charging"
            return "finishing" if self.session_ended else "preparingPluggedIn"

    def session_status(self) -> dict[str, Any]:
        """A ``SessionStatus`` event's data: the state, and the meter while a car is plugged in."""
        with self.lock:
            self._settle()
            status: dict[str, Any] = {"state": self.session_state()}
            if self.plugged:
                status["meterData"] = {
                    "instantaneousPower": self._phase_powers(),
                    "sessionEnergy": int(self._energy_session),
                    "totalEnergy": int(self._energy_total),
                }
            return status

    def energy(self) -> tuple[int, int]:
        """(session, total) in Wh."""
        with self.lock:
            self._settle()
            return int(self._energy_session), int(self._energy_total)

    def change(self, **attributes: Any) -> None:
        """Set state attributes under the lock, energy settled first (the Simulator's setters)."""
        with self.lock:
            self._settle()
            for name, value in attributes.items():
                setattr(self, name, value)
            self._changed()

    # -- the web interface's settings -------------------------------------------------------------

    def user_configuration(self) -> dict[str, Any]:
        """What ``GET config/user`` answers: the stored keys and those mirrored from the state."""
        with self.lock:
            return {
                **self.settings,
                **{key: getattr(self, name) for key, name in MIRRORED_SETTINGS.items()},
                "ConnectedPhases": self.profile.phase_count,
                "SessionManagerChargeWithoutAuth": not self.require_authorization,
            }

    def write_settings(self, body: object) -> None:
        """A ``PATCH config/user``: every key checked, then all applied (or none)."""
        with self.lock:
            self.apply_settings(check_changes(body, self.user_configuration(), self.profile))

    def apply_settings(self, changes: dict[str, Any]) -> None:
        """Set ``config/user`` keys, unchecked (the installer's way); the mirrored ones act."""
        with self.lock:
            self._settle()
            for key, value in changes.items():
                if key in MIRRORED_SETTINGS:
                    setattr(self, MIRRORED_SETTINGS[key], value)
                elif key == "SessionManagerChargeWithoutAuth":
                    self.require_authorization = not value
                elif key != "ConnectedPhases":
                    self.settings[key] = value
            if changes.get("SolarChargingEnable") is True:
                self.limiters.setdefault("Solar charging", SOLAR_LIMIT_MA)
            elif changes.get("SolarChargingEnable") is False:
                self.limiters.pop("Solar charging", None)
            self._changed()
