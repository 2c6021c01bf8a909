"""Charging control over any of the charger's APIs: written once, for the REST and Modbus clients.

What ``Peblar`` adds to a bare write of the current limit or the phase flag does not depend on how
the values travel: the argument checks, pause memory (``resume()`` restores what ``pause()``
replaced), the relay guard (at most three pauses or phase switches in ten minutes, per charger,
whichever API switched), verified phase switching, and confirming every write by the state the
charger then reports. ``ChargerControl`` holds that logic as flows (``flow``) over an abstract EV
interface: a subclass says how to read the state (``_read_ev_interface``, ``_fetch_system``), how to
send a write (``_send_write``) and which failures are refusals (``_refused``).
``_local.flows.BaseClient`` does so with the REST API's generated classes,
``_modbus.flows.ModbusBase`` with registers; both drive the same flows, synchronously and with
asyncio.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from pyPeblar._errors import PeblarError, PeblarStateTimeoutError, PeblarUnsupportedError
from pyPeblar._shared.current import MIN_CHARGING_MILLIAMPS, milliamps_from
from pyPeblar._shared.flow import Flow, Sleep
from pyPeblar._shared.memory import ChargerMemory, RelayGuard, process_memory
from pyPeblar._shared.writes import may_have_applied, not_shown, settle_failure
from pyPeblar._transport.policy import current_deadline
from pyPeblar._transport.shown import check_bool, shown
from pyPeblar._transport.waits import CHANGE, CHANGED, report

if TYPE_CHECKING:
    from pyPeblar._transport.address import Address
    from pyPeblar._transport.policy import Policy
    from pyPeblar.models import EVInterfaceResponse, SystemResponse

__all__ = ["RELAYS_OPEN", "ChargerControl", "is_paused", "relays_may_be_closed", "wire_name"]


#: Maximum current by part number, for resume() when no earlier limit is known.
MAX_BY_PART_NUMBER: Final = {
    "6004-2300-8002": 16000,
    "6004-2300-8103": 32000,
    "6004-2303-8700": 32000,
    "6004-2504-6400": 32000,
}
SAFE_DEFAULT_MAX: Final = 16000


class ChargerControl:
    """Pause, resume, the current limit and phase switching as flows, over an abstract API.

    A subclass provides ``_address`` and ``_policy`` (``ChargerOptions``) and the hooks below,
    and calls ``_init_control`` from its constructor.
    """

    _address: Address
    _policy: Policy

    def _init_control(
        self,
        *,
        memory_key: str,
        protect_relays: bool,
        phase_switch_timeout: float,
        memory: ChargerMemory | None,
    ) -> None:
        """Check and keep the options; the charger's host keys the relay history, which every
        client of the charger shares whatever its API, and ``memory_key`` the pause memory, which
        is the API's own (the REST and Modbus limits are separate registers)."""
        if (
            isinstance(phase_switch_timeout, bool)
            or not isinstance(phase_switch_timeout, (int, float))
            or not 0 <= phase_switch_timeout <= 3600  # also refuses NaN
        ):
            raise ValueError(
                "phase_switch_timeout must be seconds from 0 to 3600, not "
                f"{shown(phase_switch_timeout)}"
            )
        check_bool("protect_relays", protect_relays)
        if memory is not None and not isinstance(memory, ChargerMemory):
            raise ValueError(f"memory must be a ChargerMemory or None, not {shown(memory)}")
        self._phase_switch_timeout = float(phase_switch_timeout)
        self._memory = memory or process_memory()
        self._memory_key = memory_key
        self._guard = RelayGuard(self._memory, self._address.host, enabled=protect_relays)
        self._system: SystemResponse | None = None

    def _call_seconds(self, *, switches_phases: bool = False) -> float:
        """The one deadline of a method's every request, wait and read-back (a phase switch gets
        ``phase_switch_timeout`` on top, for the charger's switch-over)."""
        seconds = self._policy.deadline
        return seconds + self._phase_switch_timeout if switches_phases else seconds

    # -- hooks: how this API reads and writes -------------------------------------------------

    def _fetch_system(self) -> Flow[SystemResponse]:
        """Read the charger's system information."""
        raise NotImplementedError

    def _read_ev_interface(self) -> Flow[EVInterfaceResponse]:
        """Read the EV interface's state."""
        raise NotImplementedError

    def _send_write(self, method: str, fields: dict[str, Any]) -> Flow[EVInterfaceResponse | None]:
        """Send a write of ``fields`` (model field names); the state it answered, if any."""
        raise NotImplementedError

    def _refused(self, error: PeblarError, method: str) -> Flow[None]:
        """If ``error`` refuses the write for good (none of its attempts applied), raise it (with
        ``applied`` False); otherwise return, and the state is read back."""
        raise NotImplementedError

    def _check_write_access(self, action: str) -> Flow[None]:
        """Raise before sending if this API is known to refuse writes (``action`` says which)."""
        return
        yield  # a flow that yields nothing

    def _write_target(self, method: str) -> str:
        """What a write is, for messages: ``PATCH /api/wlac/v1/evinterface``."""
        raise NotImplementedError

    # -- flows: reads -------------------------------------------------------------------------

    def _read_system(self) -> Flow[SystemResponse]:
        system = yield from self._fetch_system()
        self._system = system
        return system

    # -- flows: writes ------------------------------------------------------------------------

    def _set_charge_current_limit(
        self, amps: float | None, milliamps: int | None
    ) -> Flow[EVInterfaceResponse]:
        return (yield from self._write_limit(milliamps_from(amps, milliamps)))

    def _pause(self) -> Flow[EVInterfaceResponse]:
        current = yield from self._read_ev_interface()
        if is_paused(current):
            return current
        switches = relays_may_be_closed(current)
        if switches:
            self._guard.check("pause charging")
        if current.charge_current_limit is not None:
            self._memory.set_paused_limit(self._memory_key, current.charge_current_limit)
        result = yield from self._write("PATCH", {"charge_current_limit": 0}, is_paused)
        if switches:
            self._guard.record()
        return result

    def _resume(self, amps: float | None, milliamps: int | None) -> Flow[EVInterfaceResponse]:
        explicit = None if amps is None and milliamps is None else milliamps_from(amps, milliamps)
        current = yield from self._read_ev_interface()
        if explicit is None and not is_paused(current):
            return current
        limit = explicit or self._memory.paused_limit(self._memory_key)
        if not limit:
            limit = yield from self._default_maximum()
        return (yield from self._write_limit(limit))

    def _force_single_phase(self, enabled: bool) -> Flow[EVInterfaceResponse]:
        check_bool("enabled", enabled)
        yield from self._check_phase_switching()
        current = yield from self._read_ev_interface()
        if current.force1_phase is enabled:
            return current
        return (
            yield from self._switch_phases({"force1_phase": enabled}, enabled, "PATCH", current)
        )

    # -- flows: internals ---------------------------------------------------------------------

    def _write_limit(self, limit: int) -> Flow[EVInterfaceResponse]:
        """Set the limit to ``limit`` mA, confirmed; a pause's remembered limit is spent."""
        result = yield from self._write(
            "PATCH", {"charge_current_limit": limit}, lambda s: s.charge_current_limit == limit
        )
        self._memory.set_paused_limit(self._memory_key, None)
        return result

    def _write(
        self,
        method: str,
        fields: dict[str, Any],
        applied: Callable[[EVInterfaceResponse], bool],
        *,
        settle: float = 0.0,
        confirmed: Callable[[EVInterfaceResponse], bool] | None = None,
    ) -> Flow[EVInterfaceResponse]:
        """Write ``fields``; return only once the charger shows what was asked.

        Retried by the policy after connection errors and server failures (every write sets
        absolute values). A refusal (``_refused``) did not apply. Otherwise, if any attempt may
        have reached the charger, the state is read back: if it shows the change (within
        ``settle`` seconds), the write counts as done and that state is returned; if not, the
        error is raised with ``applied`` False (None when the state could not be read).

        The state after a success must show the change too (``confirmed``, by default
        ``applied``; a phase switch shows later, so its caller confirms only the rest and waits
        for the switch): the state the write answered, or, where the API answers none (Modbus),
        the state read after it. If neither that nor one read-back shows it,
        ``PeblarStateTimeoutError`` says what the charger reports, with ``applied`` False.
        """
        try:
            state = yield from self._send_write(method, fields)
        except PeblarError as error:
            yield from self._refused(error, method)
            if not may_have_applied(error):  # no attempt reached the charger
                raise
            # A busy charger, a lost or unusable answer: any attempt may have applied it.
            read_back = yield from self._read_back(applied, settle)
            return settle_failure(error, read_back, applied, self._write_target(method))
        if state is None:
            state = yield from self._read_ev_interface()
        return (yield from self._confirm(method, fields, state, confirmed or applied))

    def _confirm(
        self,
        method: str,
        fields: dict[str, Any],
        state: EVInterfaceResponse,
        confirmed: Callable[[EVInterfaceResponse], bool],
    ) -> Flow[EVInterfaceResponse]:
        """``state`` if it shows the write; else the state read back once, if that does."""
        if confirmed(state):
            return state
        later = yield from self._read_back(confirmed, 0.0)
        if later is not None and confirmed(later):
            return later
        seen = later or state
        wanted = ", ".join(f"{wire_name(name)}={value!r}" for name, value in fields.items())
        reported = ", ".join(f"{wire_name(name)}={getattr(seen, name, None)!r}" for name in fields)
        not_shown(self._write_target(method), wanted, reported)

    def _read_back(
        self, applied: Callable[[EVInterfaceResponse], bool], settle: float
    ) -> Flow[EVInterfaceResponse | None]:
        """The state after a failed write (waiting ``settle`` s for it); None if unreadable.

        Runs inside the write's call deadline, so it never outlives the call.
        """
        deadline = time.monotonic() + settle
        ambient = current_deadline()
        if ambient is not None:
            deadline = min(deadline, ambient)
        while True:
            try:
                state = yield from self._read_ev_interface()
            except PeblarError:
                return None
            if applied(state) or time.monotonic() >= deadline:
                return state
            yield Sleep(min(0.5, max(0.0, deadline - time.monotonic())))

    def _switch_phases(
        self, fields: dict[str, Any], enabled: bool, method: str, current: EVInterfaceResponse
    ) -> Flow[EVInterfaceResponse]:
        """Write a phase change, then wait (bounded) until the charger reports it.

        ``current`` is the state before: the relay guard counts the switch only if the relays
        may be closed in it (``relays_may_be_closed``)."""
        phases = "one phase" if enabled else "all phases"
        switches = relays_may_be_closed(current)
        if switches:
            self._guard.check(f"switch to {phases}")

        def done(state: EVInterfaceResponse) -> bool:
            return state.force1_phase is enabled

        others = {name: value for name, value in fields.items() if name != "force1_phase"}

        def others_shown(state: EVInterfaceResponse) -> bool:
            """The rest of the write (a PUT's limit) shows at once; the switch shows later."""
            return all(getattr(state, name) == value for name, value in others.items())

        result = yield from self._write(
            method, fields, done, settle=self._phase_switch_timeout, confirmed=others_shown
        )
        if switches:
            self._guard.record()
        if done(result):
            return result
        started = time.monotonic()
        deadline = started + self._phase_switch_timeout
        report(
            CHANGE,
            "waiting up to %g s for the charger to switch to %s",
            self._phase_switch_timeout,
            phases,
        )
        while not done(result):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise PeblarStateTimeoutError(
                    f"the charger accepted Force1Phase={enabled} but still reports "
                    f"Force1Phase={result.force1_phase} after {self._phase_switch_timeout:g} s"
                )
            yield Sleep(min(0.5, remaining))
            result = yield from self._read_ev_interface()
        report(CHANGED, "the charger switched to %s in %.1f s", phases, time.monotonic() - started)
        return result

    def _check_phase_switching(self) -> Flow[None]:
        """Refuse before sending anything when the charger cannot switch phases."""
        system = self._system or (yield from self._read_system())
        if system.force1_phase_allowed is False:
            raise PeblarUnsupportedError(
                "this charger cannot be switched to one phase (Force1PhaseAllowed is false, as on "
                "single-phase units and chargers with 4-pole relays)"
            )
        if system.phase_count is not None and system.phase_count < 2:
            raise PeblarUnsupportedError(
                f"this charger has {system.phase_count} phase connected, so it cannot switch phases"
            )
        yield from self._check_write_access("phases cannot be switched")

    def _default_maximum(self) -> Flow[int]:
        try:
            part = (self._system or (yield from self._read_system())).product_pn
        except PeblarError:
            part = None
        return MAX_BY_PART_NUMBER.get(part or "", SAFE_DEFAULT_MAX)


#: Control-pilot states in which the charger's relays are open (IEC 61851-1): no vehicle (A); a
#: vehicle connected that does not ask for energy (B: the EVSE closes its relays only once the
#: vehicle signals C or D); an error or fault (E, F), on which the charger opens them. A pause or a
#: phase switch in these states moves no relay, so the relay guard neither counts nor refuses
#: it. Every other state counts: C and D (charging), and any state that does not say the relays
#: are open (``State Invalid``, ``unknown state``, a value newer firmware sends, none at all).
RELAYS_OPEN: Final = frozenset({"State A", "State B", "State E", "State F"})


def relays_may_be_closed(state: EVInterfaceResponse) -> bool:
    """Whether a pause or a phase switch in ``state`` may move the charger's relays."""
    cp_state = state.cp_state
    return cp_state is None or str(cp_state) not in RELAYS_OPEN


def is_paused(state: EVInterfaceResponse) -> bool:
    """Whether the limit set through the API pauses charging (below 6 A)."""
    return (
        state.charge_current_limit is not None
        and state.charge_current_limit < MIN_CHARGING_MILLIAMPS
    )


def wire_name(field: str) -> str:
    """The charger's name of a field: ``charge_current_limit`` is ChargeCurrentLimit."""
    from pyPeblar.models.ev_interface_response import EVInterfaceResponse

    info = EVInterfaceResponse.model_fields.get(field)
    return info.alias if info is not None and info.alias else field
