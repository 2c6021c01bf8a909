"""What ``Peblar`` and ``AsyncPeblar`` share: options, checks, and every call's logic as steps.

A spec cannot say what the hand-written clients add: argument checks, pause memory, the relay
guard, verified phase switching, read-back after an uncertain write. That logic is written once
here, as *flows*: generator functions that yield the I/O they need (``Call`` a generated API
method, ``Sleep``) and receive its result, or have its ``PeblarError`` thrown in. ``Peblar`` runs
a flow with the synchronous generated API classes and ``time.sleep``; ``AsyncPeblar`` with the
asyncio ones and ``asyncio.sleep``. Both clients therefore behave identically by construction,
and neither holds a copy of the other's logic. (This is the "sans-I/O" design of libraries such
as h11: the protocol decides, the caller does the I/O.)
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Generator
from importlib import import_module
from typing import TYPE_CHECKING, Any, Final, NamedTuple, NoReturn, TypeVar

from pyPeblar._current import MIN_CHARGING_MILLIAMPS, milliamps_from
from pyPeblar._errors import (
    PeblarError,
    PeblarForbiddenError,
    PeblarNotFoundError,
    PeblarReadOnlyError,
    PeblarStateTimeoutError,
    PeblarUnsupportedError,
)
from pyPeblar._memory import ChargerMemory, RelayGuard, process_memory
from pyPeblar._options import ChargerOptions, from_environment
from pyPeblar._policy import current_deadline
from pyPeblar._shown import shown
from pyPeblar._version import __version__
from pyPeblar._waits import CHANGE, CHANGED, report
from pyPeblar._writes import may_have_applied, not_shown, settle_failure

if TYPE_CHECKING:
    from typing_extensions import Self

    from pyPeblar.configuration import Configuration
    from pyPeblar.models import EVInterfaceResponse, SystemResponse

__all__ = [
    "API",
    "BaseClient",
    "Call",
    "Flow",
    "Sleep",
    "check_token",
    "drive",
    "generated_apis",
    "is_paused",
    "relays_may_be_closed",
]

R = TypeVar("R")

API: Final = "/api/wlac/v1"
EV_INTERFACE: Final = f"{API}/evinterface"

#: What ``raw()`` accepts: an HTTP method token, and a path of URL characters (no space, CR, LF).
METHOD: Final = re.compile(r"[A-Za-z]{1,16}")
PATH: Final = re.compile(r"/[A-Za-z0-9\-._~!$&'()*+,;=:@/%?]*")

#: Maximum current by part number, for resume() when no earlier limit is known.
MAX_BY_PART_NUMBER: Final = {
    "6004-2300-8002": 16000,
    "6004-2300-8103": 32000,
    "6004-2303-8700": 32000,
    "6004-2504-6400": 32000,
}
SAFE_DEFAULT_MAX: Final = 16000


def check_token(token: object) -> str:
    if not isinstance(token, str) or not token:
        raise ValueError(
            "the token must be a non-empty string (the charger's 64-character API token)"
        )
    if not (token.isascii() and token.isprintable()) or any(c.isspace() for c in token):
        raise ValueError("the token must be printable ASCII without spaces")
    return token


class Call(NamedTuple):
    """A flow's request: call ``operation`` of the client's generated ``api`` with ``args``."""

    api: str  # a field of Apis: "ev_interface"
    operation: str  # a method of that generated class: "patch_ev_interface"
    args: tuple[Any, ...] = ()


class Sleep(NamedTuple):
    """A flow's pause, in seconds."""

    seconds: float


#: A flow: yields steps, receives their results, returns ``R``.
Flow = Generator["Call | Sleep", Any, R]


def drive(flow: Flow[R], apis: Any) -> R:
    """Run ``flow`` synchronously: each ``Call`` on ``apis`` (the generated API instances, by
    name), each ``Sleep`` with ``time.sleep``; an error of a call is thrown into the flow, which
    handles it or lets it out. (``_aio_client.drive_async`` is the asyncio twin.)"""
    value: Any = None
    error: Exception | None = None
    while True:
        try:
            step = flow.send(value) if error is None else flow.throw(error)
        except StopIteration as done:
            result: R = done.value
            return result
        value = error = None
        if isinstance(step, Sleep):
            time.sleep(step.seconds)
            continue
        try:
            value = getattr(getattr(apis, step.api), step.operation)(*step.args)
        except Exception as exc:  # handed to the flow, which decides
            error = exc


def generated_apis(
    package: str, table: dict[str, tuple[str, str]], api_client: Any
) -> dict[str, Any]:
    """One instance of each generated API class in ``table`` (name -> (module, class)) from
    ``package`` (``pyPeblar.api``, ``pyPeblar.aio.api``...), on ``api_client``."""
    return {
        name: getattr(import_module(f"{package}.{module}"), cls)(api_client)
        for name, (module, cls) in table.items()
    }


#: The generated API classes a client calls, by the name a ``Call`` gives (module, class).
API_CLASSES: Final = {
    "health": ("health_api", "HealthApi"),
    "system": ("system_api", "SystemApi"),
    "meter": ("meter_api", "MeterApi"),
    "ev_interface": ("ev_interface_api", "EVInterfaceApi"),
    "authorization": ("authorization_api", "AuthorizationApi"),
}


class BaseClient(ChargerOptions):
    """Options, checks and flows of a charger client; the I/O is the subclass's."""

    def __init__(
        self,
        host: str,
        token: str,
        *,
        timeout: float | tuple[float, float] = (5.0, 10.0),
        deadline: float = 30.0,
        retries: int = 2,
        backoff: float = 0.5,
        rate_limit: bool = True,
        protect_relays: bool = True,
        phase_switch_timeout: float = 30.0,
        proxy: str | None = None,
        memory: ChargerMemory | None = None,
    ) -> None:
        super().__init__(
            host,
            timeout=timeout,
            deadline=deadline,
            retries=retries,
            backoff=backoff,
            rate_limit=rate_limit,
            proxy=proxy,
        )
        self._token = check_token(token)
        if (
            isinstance(phase_switch_timeout, bool)
            or not isinstance(phase_switch_timeout, (int, float))
            or not 0 <= phase_switch_timeout <= 3600  # also refuses NaN
        ):
            raise ValueError(
                "phase_switch_timeout must be seconds from 0 to 3600, not "
                f"{shown(phase_switch_timeout)}"
            )
        if not isinstance(protect_relays, bool):
            raise ValueError(f"protect_relays must be True or False, not {shown(protect_relays)}")
        if memory is not None and not isinstance(memory, ChargerMemory):
            raise ValueError(f"memory must be a ChargerMemory or None, not {shown(memory)}")
        self._phase_switch_timeout = float(phase_switch_timeout)
        self._memory = memory or process_memory()
        self._guard = RelayGuard(self._memory, self._address.netloc, enabled=protect_relays)
        self._system: SystemResponse | None = None
        self._lock = threading.Lock()  # guards the lazy creation of connections

    @classmethod
    def from_env(cls, **options: Any) -> Self:
        """A client for ``PEBLAR_HOST`` with ``PEBLAR_TOKEN``; ``options`` as for the constructor.

        >>> charger = Peblar.from_env(timeout=3)   # doctest: +SKIP
        """
        return from_environment(cls, "PEBLAR_TOKEN", "API token", options)

    @classmethod
    def _awaiting_token(cls, host: str, options: dict[str, Any]) -> Self:
        """A client of ``host`` with ``options`` checked, whose token is still to be fetched
        (``from_password``): a bad option is refused before the web interface is asked."""
        return cls(host, "0" * 64, **options)

    def _given_token(self, token: str) -> Self:
        """This client, with the token fetched for it (before any call has used one)."""
        self._token = check_token(token)
        return self

    @property
    def token(self) -> str:
        """The API token (for ``PEBLAR_TOKEN``). It is never shown in a repr, a log or an error."""
        return self._token

    @property
    def api_base(self) -> str:
        """The URL of the charger's local REST API."""
        return f"http://{self._address.netloc}{API}"

    def _call_seconds(self, *, switches_phases: bool = False) -> float:
        """The one deadline of a method's every request, wait and read-back (a phase switch gets
        ``phase_switch_timeout`` on top, for the charger's switch-over)."""
        seconds = self._policy.deadline
        return seconds + self._phase_switch_timeout if switches_phases else seconds

    def _configuration(self) -> Configuration:
        """The generated ``Configuration`` for this charger, for either generated ``ApiClient``."""
        from pyPeblar.configuration import Configuration

        return Configuration(
            host=self.api_base,
            api_key={"ApiToken": self._token},
            proxy=self._proxy,
            # Proxy variables in the environment are ignored: a charger is on the local network.
            no_proxy="" if self._proxy else "*",
        )

    def _raw_request(
        self, method: str, path: str, body: bytes | None, retry: bool | None
    ) -> tuple[str, str, dict[str, str]]:
        """``raw()``'s arguments checked: the method, the URL and the headers to send."""
        if not isinstance(method, str) or not METHOD.fullmatch(method):
            raise ValueError(f"method must be an HTTP method such as 'GET', not {shown(method)}")
        if not isinstance(path, str) or not PATH.fullmatch(path):
            raise ValueError(
                f"path must start with '/' and hold only URL characters, relative to {API}, "
                f"not {shown(path)}"
            )
        if body is not None and not isinstance(body, bytes):
            raise ValueError(f"body must be bytes or None, not {type(body).__name__}")
        if retry is not None and not isinstance(retry, bool):
            raise ValueError(f"retry must be True, False or None, not {shown(retry)}")
        # The spec's ApiToken scheme, written out: raw() must not need the generated layers.
        headers = {"Accept": "application/json", "User-Agent": f"pyPeblar/{__version__}"}
        if path != "/health":
            headers["Authorization"] = self._token
        if body is not None:
            headers["Content-Type"] = "application/json"
        return method.upper(), f"{self.api_base}{path}", headers

    # -- flows: reads -------------------------------------------------------------------------

    def _read_system(self) -> Flow[SystemResponse]:
        system: SystemResponse = yield Call("system", "get_system")
        self._system = system
        return system

    def _read_ev_interface(self) -> Flow[EVInterfaceResponse]:
        state: EVInterfaceResponse = yield Call("ev_interface", "get_ev_interface")
        return state

    # -- flows: writes ------------------------------------------------------------------------

    def _set_charge_current_limit(
        self, amps: float | None, milliamps: int | None
    ) -> Flow[EVInterfaceResponse]:
        limit = milliamps_from(amps, milliamps)
        result = yield from self._write(
            "PATCH", {"charge_current_limit": limit}, lambda s: s.charge_current_limit == limit
        )
        self._memory.set_paused_limit(self.host, None)
        return result

    def _pause(self) -> Flow[EVInterfaceResponse]:
        current = yield from self._read_ev_interface()
        if is_paused(current):
            return current
        switches = relays_may_be_closed(current)
        if switches:
            self._guard.check("pause charging")
        if current.charge_current_limit is not None:
            self._memory.set_paused_limit(self.host, current.charge_current_limit)
        result = yield from self._write("PATCH", {"charge_current_limit": 0}, is_paused)
        if switches:
            self._guard.record()
        return result

    def _resume(self, amps: float | None, milliamps: int | None) -> Flow[EVInterfaceResponse]:
        explicit = None if amps is None and milliamps is None else milliamps_from(amps, milliamps)
        current = yield from self._read_ev_interface()
        if explicit is None and not is_paused(current):
            return current
        limit = explicit or self._memory.paused_limit(self.host)
        if not limit:
            limit = yield from self._default_maximum()
        result = yield from self._write(
            "PATCH", {"charge_current_limit": limit}, lambda s: s.charge_current_limit == limit
        )
        self._memory.set_paused_limit(self.host, None)
        return result

    def _force_single_phase(self, enabled: bool) -> Flow[EVInterfaceResponse]:
        if not isinstance(enabled, bool):
            raise ValueError(f"enabled must be True or False, not {shown(enabled)}")
        yield from self._check_phase_switching()
        current = yield from self._read_ev_interface()
        if current.force1_phase is enabled:
            return current
        return (
            yield from self._switch_phases({"force1_phase": enabled}, enabled, "PATCH", current)
        )

    def _replace_ev_interface(
        self, force_single_phase: bool, amps: float | None, milliamps: int | None
    ) -> Flow[EVInterfaceResponse]:
        if not isinstance(force_single_phase, bool):
            raise ValueError(
                f"force_single_phase takes True or False, not {shown(force_single_phase)}"
            )
        limit = milliamps_from(amps, milliamps)
        body = {"charge_current_limit": limit, "force1_phase": force_single_phase}
        current = yield from self._read_ev_interface()
        if current.force1_phase is force_single_phase:
            result = yield from self._write(
                "PUT",
                body,
                lambda s: s.charge_current_limit == limit and s.force1_phase is force_single_phase,
            )
        else:
            yield from self._check_phase_switching()
            result = yield from self._switch_phases(body, force_single_phase, "PUT", current)
        self._memory.set_paused_limit(self.host, None)
        return result

    def _authorize_charge_session(self, token: str | None, name: str | None) -> Flow[None]:
        if (token is None) == (name is None):
            raise ValueError("give exactly one of token= (the RFID UID) or name= (its description)")
        value = token if token is not None else name
        if not isinstance(value, str) or not value.strip():
            raise ValueError(
                f"the RFID {'token' if token is not None else 'name'} must be a non-empty string"
            )
        from pyPeblar.models.authorization_method import AuthorizationMethod
        from pyPeblar.models.charge_session_request import ChargeSessionRequest

        card = {"token": token} if token is not None else {"name": name}
        body = ChargeSessionRequest(method=AuthorizationMethod.RFID, **card)
        try:
            # A POST: the policy layer never sends it twice.
            yield Call("authorization", "authorize_charge_session", (body,))
        except PeblarNotFoundError as error:
            error.message += "; this firmware has no charge-session call"
            raise
        except PeblarForbiddenError as error:
            yield from self._raise_read_only_or(error)

    # -- flows: internals ---------------------------------------------------------------------

    def _write(
        self,
        method: str,
        fields: dict[str, Any],
        applied: Callable[[EVInterfaceResponse], bool],
        *,
        settle: float = 0.0,
        confirmed: Callable[[EVInterfaceResponse], bool] | None = None,
    ) -> Flow[EVInterfaceResponse]:
        """PATCH or PUT the EV interface; return only once the charger shows what was asked.

        Retried on connection errors, 5xx and 429 (both writes are idempotent: they set absolute
        values). A refusal (400, 403...) did not apply. Otherwise, if any attempt may have reached
        the charger, the state is read back: if it shows the change (within ``settle`` seconds),
        the write counts as done and that state is returned; if not, the error is raised with
        ``applied`` False (None when the state could not be read). ``_writes`` decides, as it
        does for the web interface's writes.

        A success answer must show the change too (``confirmed``, by default ``applied``; a phase
        switch shows later, so its caller confirms only the rest and waits for the switch). If
        neither the answer nor one read-back shows it, ``PeblarStateTimeoutError`` says what the
        charger reports, with ``applied`` False.
        """
        request: Any
        if method == "PUT":
            from pyPeblar.models.ev_interface_put_request import EVInterfacePutRequest

            request = EVInterfacePutRequest(**fields)
        else:
            from pyPeblar.models.ev_interface_patch_request import EVInterfacePatchRequest

            request = EVInterfacePatchRequest(**fields)
        try:
            state = yield Call("ev_interface", f"{method.lower()}_ev_interface", (request,))
        except PeblarError as error:
            if not may_have_applied(error):  # refused, or never reached the charger
                if isinstance(error, PeblarForbiddenError):
                    yield from self._raise_read_only_or(error)
                if isinstance(error, PeblarNotFoundError) and method == "PUT":
                    error.message += (
                        "; this firmware has no PUT: set the limit and phases separately"
                    )
                raise
            # A 429, a 5xx, a lost or unusable answer: any attempt may have applied it.
            read_back = yield from self._read_back(applied, settle)
            return settle_failure(error, read_back, applied, f"{method} {EV_INTERFACE}")
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
        not_shown(f"{method} {EV_INTERFACE}", wanted, reported)

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
        from pyPeblar.models.access_mode import AccessMode

        health = yield Call("health", "get_health")
        if health.access_mode == AccessMode.READ_ONLY:
            raise PeblarReadOnlyError(
                "the local REST API is in ReadOnly mode, so phases cannot be switched",
                status=403,
                statusmsg="ReadOnly mode (reported by GET /health)",
                applied=False,
            )

    def _raise_read_only_or(self, error: PeblarForbiddenError) -> Flow[NoReturn]:
        """A 403 on a write: if the API is in ReadOnly mode, say so, whatever the charger said."""
        if not isinstance(error, PeblarReadOnlyError):
            from pyPeblar.models.access_mode import AccessMode

            try:
                health = yield Call("health", "get_health")
                read_only = health.access_mode == AccessMode.READ_ONLY
            except PeblarError:
                read_only = False
            if read_only:
                raise PeblarReadOnlyError(
                    f"{error.message} (the local REST API is in ReadOnly mode)",
                    status=error.status,
                    statusmsg=error.statusmsg,
                    applied=error.applied,
                ) from error
        raise error

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
