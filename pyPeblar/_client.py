"""The ``Peblar`` client: what most users touch.

Every call goes through the generated API classes (``MeterApi``, ``EVInterfaceApi``,
``AuthorizationApi``...) on one generated ``ApiClient``, whose REST client is pyPeblar's policy
layer (``_rest``): timeouts, the call deadline, safe retries, the shared rate limiter and the error
tree live there, for this client and for anyone using the generated classes directly. What stays
here is what a spec cannot say: argument checks, pause memory, the relay guard, verified phase
switching, read-back after an uncertain write, and the web-interface token setup.
The generated layers are imported on first use, so ``from pyPeblar import Peblar`` stays light.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import (
    TYPE_CHECKING,
    Any,
    Concatenate,
    Final,
    NamedTuple,
    NoReturn,
    ParamSpec,
    TypeVar,
)

from pyPeblar._address import Address, parse_address
from pyPeblar._current import MIN_CHARGING_MILLIAMPS, milliamps_from
from pyPeblar._errors import (
    PeblarClosedError,
    PeblarError,
    PeblarForbiddenError,
    PeblarNotFoundError,
    PeblarReadOnlyError,
    PeblarResponseError,
    PeblarStateTimeoutError,
    PeblarUnsupportedError,
)
from pyPeblar._memory import ChargerMemory, RelayGuard, process_memory
from pyPeblar._policy import Policy, call_deadline, current_deadline, timeout_pair
from pyPeblar._version import __version__

if TYPE_CHECKING:
    from pyPeblar._rest import RESTClientObject
    from pyPeblar.api.authorization_api import AuthorizationApi
    from pyPeblar.api.ev_interface_api import EVInterfaceApi
    from pyPeblar.api.health_api import HealthApi
    from pyPeblar.api.meter_api import MeterApi
    from pyPeblar.api.system_api import SystemApi
    from pyPeblar.api_client import ApiClient
    from pyPeblar.models import EVInterfaceResponse, HealthResponse, MeterResponse, SystemResponse

__all__ = ["Peblar"]

P = ParamSpec("P")
R = TypeVar("R")

logger = logging.getLogger("pyPeblar")

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
#: Statuses that refuse a write for good: the same request gets the same answer every time, so
#: none of the attempts applied it. (A 429 or 5xx after a retry proves nothing of the sort.)
REFUSALS: Final = frozenset({400, 401, 403, 404, 405, 409, 413, 422})


def check_token(token: object) -> str:
    if not isinstance(token, str) or not token:
        raise ValueError(
            "the token must be a non-empty string (the charger's 64-character API token)"
        )
    if not (token.isascii() and token.isprintable()) or any(c.isspace() for c in token):
        raise ValueError("the token must be printable ASCII without spaces")
    return token


class Apis(NamedTuple):
    """One instance of each generated API class ``Peblar`` calls."""

    health: HealthApi
    system: SystemApi
    meter: MeterApi
    ev_interface: EVInterfaceApi
    authorization: AuthorizationApi


def one_call(
    *, switches_phases: bool = False
) -> Callable[[Callable[Concatenate[Peblar, P], R]], Callable[Concatenate[Peblar, P], R]]:
    """Bound a method's every request, wait and read-back by the client's one call deadline.

    A phase switch gets ``phase_switch_timeout`` on top, for the charger's switch-over.
    """

    def decorate(
        method: Callable[Concatenate[Peblar, P], R],
    ) -> Callable[Concatenate[Peblar, P], R]:
        @functools.wraps(method)
        def bounded(self: Peblar, /, *args: P.args, **kwargs: P.kwargs) -> R:
            seconds = self.policy.deadline
            if switches_phases:
                seconds += self._phase_switch_timeout
            with call_deadline(seconds):
                return method(self, *args, **kwargs)

        return bounded

    return decorate


class Peblar:
    """A Peblar charger's local REST API, over one keep-alive connection pool.

    >>> with Peblar("192.168.1.50", token="...") as charger:   # doctest: +SKIP
    ...     charger.ev_interface().cp_state
    <CpState.STATE_C: 'State C'>

    ``host`` may carry a port (``"peblar.local:8080"``) and an ``http://`` prefix. Options:

    - ``timeout``: seconds for connecting and for the whole answer of one attempt, or a
      ``(connect, read)`` pair (default 5 and 10);
    - ``deadline``: seconds for a whole call, every attempt, wait and read-back included
      (default 30; a phase switch also gets ``phase_switch_timeout`` on top);
    - ``retries``: extra attempts after a failure that is safe to repeat (default 2);
    - ``backoff``: the first retry delay in seconds, doubling, jittered (default 0.5);
    - ``rate_limit``: stay under the charger's 5 requests/s, shared by every client of the
      charger in this process (default True);
    - ``protect_relays``: refuse a fourth pause or phase switch within ten minutes (default True);
    - ``phase_switch_timeout``: seconds to wait for a phase switch to show (default 30);
    - ``proxy``: an ``http://`` proxy URL (none by default; proxy variables in the environment
      are ignored);
    - ``memory``: where pause/resume and relay history are kept (default: this process).

    Thread-safe: threads may share one client.
    """

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
        self._address: Address = parse_address(host)
        self._token = check_token(token)
        connect, read = timeout_pair("timeout", timeout)
        self._policy = Policy(
            connect_timeout=connect,
            read_timeout=read,
            deadline=deadline,
            retries=retries,
            backoff=backoff,
            rate_limit=rate_limit,
        )
        if (
            isinstance(phase_switch_timeout, bool)
            or not isinstance(phase_switch_timeout, (int, float))
            or not 0 <= phase_switch_timeout <= 3600  # also refuses NaN
        ):
            raise ValueError(
                f"phase_switch_timeout must be seconds from 0 to 3600, not {phase_switch_timeout!r}"
            )
        if not isinstance(protect_relays, bool):
            raise ValueError(f"protect_relays must be True or False, not {protect_relays!r}")
        if memory is not None and not isinstance(memory, ChargerMemory):
            raise ValueError(f"memory must be a ChargerMemory or None, not {memory!r}")
        if proxy is not None:
            from pyPeblar._rest import check_proxy

            check_proxy(proxy)
        self._phase_switch_timeout = float(phase_switch_timeout)
        self._proxy = proxy
        self._memory = memory or process_memory()
        self._guard = RelayGuard(self._memory, self._address.netloc, enabled=protect_relays)
        self._lock = threading.Lock()
        self._closed = False
        self._system: SystemResponse | None = None
        self._api_client: ApiClient | None = None
        self._rest_client: RESTClientObject | None = None

    # -- construction -----------------------------------------------------------------------

    @classmethod
    def from_env(cls, **options: Any) -> Peblar:
        """A client for ``PEBLAR_HOST`` with ``PEBLAR_TOKEN``; ``options`` as for ``Peblar()``.

        >>> charger = Peblar.from_env(timeout=3)   # doctest: +SKIP
        """
        host = os.environ.get("PEBLAR_HOST", "").strip()
        token = os.environ.get("PEBLAR_TOKEN", "").strip()
        missing = [
            name for name, value in (("PEBLAR_HOST", host), ("PEBLAR_TOKEN", token)) if not value
        ]
        if missing:
            raise ValueError(f"set {' and '.join(missing)} (the charger's address and API token)")
        return cls(host, token, **options)

    @classmethod
    def from_password(
        cls, host: str, password: str, *, access_mode: str = "ReadWrite", **options: Any
    ) -> Peblar:
        """Log in to the charger's web interface, enable the local REST API, and fetch its token.

        ``access_mode`` is ``"ReadWrite"`` (default) or ``"ReadOnly"``. Raises
        ``PeblarAuthenticationError`` for a wrong password and ``PeblarSetupError`` when the
        charger does not allow the local API or gives no token.

        >>> charger = Peblar.from_password("192.168.1.50", "web-password")   # doctest: +SKIP
        >>> charger.token   # for PEBLAR_TOKEN                              # doctest: +SKIP
        """
        from pyPeblar._webui import fetch_token

        address = parse_address(host)
        connect, read = timeout_pair("timeout", options.get("timeout", (5.0, 10.0)))
        policy = Policy(connect_timeout=connect, read_timeout=read, rate_limit=False)
        token = fetch_token(address, password, access_mode=access_mode, policy=policy)
        return cls(host, token, **options)

    # -- lifecycle --------------------------------------------------------------------------

    def close(self) -> None:
        """Release the connections. Leaving a ``with`` block does this."""
        with self._lock:
            self._closed = True
            if self._rest_client is not None:
                self._rest_client.close()

    def __enter__(self) -> Peblar:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        state = " closed" if self._closed else ""
        return f"<Peblar {self._address.netloc}{state}>"

    @property
    def host(self) -> str:
        """The charger's address as ``host`` or ``host:port``."""
        return self._address.netloc

    @property
    def token(self) -> str:
        """The API token (for ``PEBLAR_TOKEN``). It is never shown in a repr, a log or an error."""
        return self._token

    @property
    def policy(self) -> Policy:
        """Timeouts, deadline, retries and rate limiting in force for every call of this client."""
        return self._policy

    @property
    def api_client(self) -> ApiClient:
        """The generated ``ApiClient`` this client calls through, for the generated API classes.

        Calls made with it follow this client's policy (timeouts, deadline, retries, the rate
        limiter) and share its connections.

        >>> from pyPeblar.api import MeterApi                                # doctest: +SKIP
        >>> MeterApi(charger.api_client).get_meter()                         # doctest: +SKIP
        """
        api_client = self._api_client
        if api_client is not None:
            return api_client
        rest = self._rest()
        with self._lock:
            if self._api_client is None:
                self._api_client = self._new_api_client(rest)
            return self._api_client

    def _new_api_client(self, rest: RESTClientObject) -> ApiClient:
        from pyPeblar.api_client import ApiClient
        from pyPeblar.configuration import Configuration

        configuration = Configuration(
            host=f"http://{self._address.netloc}{API}",
            api_key={"ApiToken": self._token},
            proxy=self._proxy,
            # Proxy variables in the environment are ignored: a charger is on the local network.
            no_proxy="" if self._proxy else "*",
        )
        api_client = ApiClient(configuration)
        api_client.rest_client = rest  # one pool, one policy, for both
        api_client.user_agent = f"pyPeblar/{__version__}"
        return api_client

    @functools.cached_property
    def _apis(self) -> Apis:
        """The generated API classes on this client's ``ApiClient``, made once."""
        from pyPeblar.api.authorization_api import AuthorizationApi
        from pyPeblar.api.ev_interface_api import EVInterfaceApi
        from pyPeblar.api.health_api import HealthApi
        from pyPeblar.api.meter_api import MeterApi
        from pyPeblar.api.system_api import SystemApi

        api_client = self.api_client
        return Apis(
            health=HealthApi(api_client),
            system=SystemApi(api_client),
            meter=MeterApi(api_client),
            ev_interface=EVInterfaceApi(api_client),
            authorization=AuthorizationApi(api_client),
        )

    def _rest(self) -> RESTClientObject:
        """The policy layer's REST client for this charger, made on first use.

        ``raw()`` uses it directly, so a command-line ``--json`` read never imports the generated
        layers (pydantic among them); the generated ``ApiClient`` is handed the same one.
        """
        rest = self._rest_client
        if rest is not None:
            return rest
        from pyPeblar._rest import RESTClientObject

        with self._lock:
            if self._closed:
                raise PeblarClosedError("this Peblar client is closed")
            if self._rest_client is None:
                self._rest_client = RESTClientObject.for_url(
                    f"http://{self._address.netloc}{API}", policy=self._policy, proxy=self._proxy
                )
            return self._rest_client

    # -- reads ------------------------------------------------------------------------------

    def health(self) -> HealthResponse:
        """The API version and access mode; needs no token.

        >>> charger.health().access_mode          # doctest: +SKIP
        <AccessMode.READ_WRITE: 'ReadWrite'>
        """
        return self._apis.health.get_health()

    def system(self) -> SystemResponse:
        """Identity, firmware, phases and active error codes.

        >>> charger.system().firmware_version     # doctest: +SKIP
        '1.9.2+1+WL-1'
        """
        system = self._apis.system.get_system()
        self._system = system
        return system

    def meter(self) -> MeterResponse:
        """Live currents (mA), voltages (V), powers (W) and energy counters (Wh).

        >>> charger.meter().power_total           # doctest: +SKIP
        11085
        """
        return self._apis.meter.get_meter()

    def ev_interface(self) -> EVInterfaceResponse:
        """Control-pilot state, current limits and single-phase charging.

        >>> charger.ev_interface().charge_current_limit_actual   # doctest: +SKIP
        16000
        """
        return self._apis.ev_interface.get_ev_interface()

    def raw(
        self, method: str, path: str, body: bytes | None = None, *, retry: bool | None = None
    ) -> bytes:
        """The raw body of any call, for tools that must see exactly what the charger sends.

        ``path`` is relative to the API base (``"/meter"``). Errors raise like every other call;
        ``retry`` defaults to True except for POST (which may not be safe to repeat).

        >>> charger.raw("GET", "/evinterface")          # doctest: +SKIP
        b'{\n\t"ChargeCurrentLimit" : 16000,\n ...'
        """
        if not isinstance(method, str) or not METHOD.fullmatch(method):
            raise ValueError(f"method must be an HTTP method such as 'GET', not {method!r}")
        if not isinstance(path, str) or not PATH.fullmatch(path):
            raise ValueError(
                f"path must start with '/' and hold only URL characters, relative to {API}, "
                f"not {path!r}"
            )
        if body is not None and not isinstance(body, bytes):
            raise ValueError(f"body must be bytes or None, not {type(body).__name__}")
        if retry is not None and not isinstance(retry, bool):
            raise ValueError(f"retry must be True, False or None, not {retry!r}")
        # The spec's ApiToken scheme, written out: raw() must not need the generated layers.
        headers = {"Accept": "application/json", "User-Agent": f"pyPeblar/{__version__}"}
        if path != "/health":
            headers["Authorization"] = self._token
        if body is not None:
            headers["Content-Type"] = "application/json"
        url = f"http://{self._address.netloc}{API}{path}"
        response = self._rest().request(
            method.upper(), url, headers=headers, body=body, retry=retry
        )
        return response.data

    # -- writes -----------------------------------------------------------------------------

    @one_call()
    def set_charge_current_limit(
        self, *, amps: float | None = None, milliamps: int | None = None
    ) -> EVInterfaceResponse:
        """Set the charge current limit to 6 to 32 A; give exactly one of ``amps`` or ``milliamps``.

        Returns the charger's resulting state. Below 6 A use ``pause()``; a charger refuses more
        than its own maximum (16 A on 11 kW units) with ``PeblarBadRequestError``.

        >>> charger.set_charge_current_limit(amps=10).charge_current_limit   # doctest: +SKIP
        10000
        """
        limit = milliamps_from(amps, milliamps)
        result = self._write(
            "PATCH", {"charge_current_limit": limit}, lambda s: s.charge_current_limit == limit
        )
        self._memory.set_paused_limit(self.host, None)
        return result

    @one_call()
    def pause(self) -> EVInterfaceResponse:
        """Pause charging (limit 0); ``resume()`` restores the limit it replaced.

        Does nothing if already paused. Counts towards the relay protection (three pauses or
        phase switches per ten minutes).

        >>> charger.pause().charge_current_limit   # doctest: +SKIP
        0
        """
        current = self.ev_interface()
        if is_paused(current):
            return current
        self._guard.check("pause charging")
        if current.charge_current_limit is not None:
            self._memory.set_paused_limit(self.host, current.charge_current_limit)
        result = self._write("PATCH", {"charge_current_limit": 0}, is_paused)
        self._guard.record()
        return result

    @one_call()
    def resume(
        self, *, amps: float | None = None, milliamps: int | None = None
    ) -> EVInterfaceResponse:
        """Resume charging at the limit ``pause()`` replaced (or at ``amps``/``milliamps``).

        With no earlier limit known (a pause from another program), resumes at the charger's
        maximum for its part number, or 16 A. Does nothing if not paused and no current is given.

        >>> charger.resume().charge_current_limit   # doctest: +SKIP
        16000
        """
        explicit = None if amps is None and milliamps is None else milliamps_from(amps, milliamps)
        current = self.ev_interface()
        if explicit is None and not is_paused(current):
            return current
        limit = explicit or self._memory.paused_limit(self.host) or self._default_maximum()
        result = self._write(
            "PATCH", {"charge_current_limit": limit}, lambda s: s.charge_current_limit == limit
        )
        self._memory.set_paused_limit(self.host, None)
        return result

    @one_call(switches_phases=True)
    def force_single_phase(self, enabled: bool) -> EVInterfaceResponse:
        """Charge on one phase (``True``) or all phases (``False``), and wait until it shows.

        Checks first that the charger can (``Force1PhaseAllowed``, more than one phase, ReadWrite
        mode) and raises ``PeblarUnsupportedError`` or ``PeblarReadOnlyError`` if not. Sends nothing
        if the charger is already in that state. Raises ``PeblarStateTimeoutError`` if the charger
        does not report the new state within ``phase_switch_timeout``.

        >>> charger.force_single_phase(True).force1_phase   # doctest: +SKIP
        True
        """
        if not isinstance(enabled, bool):
            raise ValueError(f"force_single_phase takes True or False, not {enabled!r}")
        self._check_phase_switching()
        current = self.ev_interface()
        if current.force1_phase is enabled:
            return current
        return self._switch_phases({"force1_phase": enabled}, enabled, "PATCH")

    @one_call(switches_phases=True)
    def replace_ev_interface(
        self,
        *,
        force_single_phase: bool,
        amps: float | None = None,
        milliamps: int | None = None,
    ) -> EVInterfaceResponse:
        """Set the limit and single-phase charging together in one PUT (newer firmware only).

        The same checks apply as for ``set_charge_current_limit`` and ``force_single_phase``.
        Firmware without PUT raises ``PeblarNotFoundError``.

        >>> charger.replace_ev_interface(amps=16, force_single_phase=False)   # doctest: +SKIP
        """
        if not isinstance(force_single_phase, bool):
            raise ValueError(f"force_single_phase takes True or False, not {force_single_phase!r}")
        limit = milliamps_from(amps, milliamps)
        body = {"charge_current_limit": limit, "force1_phase": force_single_phase}
        current = self.ev_interface()
        if current.force1_phase is force_single_phase:
            result = self._write(
                "PUT",
                body,
                lambda s: s.charge_current_limit == limit and s.force1_phase is force_single_phase,
            )
        else:
            self._check_phase_switching()
            result = self._switch_phases(body, force_single_phase, "PUT")
        self._memory.set_paused_limit(self.host, None)
        return result

    @one_call()
    def authorize_charge_session(
        self, *, token: str | None = None, name: str | None = None
    ) -> None:
        """Act as an RFID card (``token`` UID or ``name``): start a waiting session, or stop one.

        The call toggles, so it is sent exactly once and never retried: on a connection failure
        the error's ``request_sent`` says whether it may have reached the charger. The charger
        acts a moment after answering.

        >>> charger.authorize_charge_session(token="04A1B2C3")   # doctest: +SKIP
        """
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
            self._apis.authorization.authorize_charge_session(body)
        except PeblarNotFoundError as error:
            error.message += "; this firmware has no charge-session call"
            raise
        except PeblarForbiddenError as error:
            self._raise_read_only_or(error)

    # -- internals --------------------------------------------------------------------------

    def _write(
        self,
        method: str,
        fields: dict[str, Any],
        applied: Callable[[EVInterfaceResponse], bool],
        *,
        settle: float = 0.0,
        confirmed: Callable[[EVInterfaceResponse], bool] | None = None,
    ) -> EVInterfaceResponse:
        """PATCH or PUT the EV interface; return only once the charger shows what was asked.

        Retried on connection errors, 5xx and 429 (both writes are idempotent: they set absolute
        values). A refusal (400, 403...) did not apply. Otherwise, if any attempt may have reached
        the charger, the state is read back: if it shows the change (within ``settle`` seconds),
        the write counts as done and that state is returned; if not, the error is raised with
        ``applied`` False (None when the state could not be read).

        A success answer must show the change too (``confirmed``, by default ``applied``; a phase
        switch shows later, so its caller confirms only the rest and waits for the switch). If
        neither the answer nor one read-back shows it, ``PeblarStateTimeoutError`` says what the
        charger reports, with ``applied`` False.
        """
        api = self._apis.ev_interface
        try:
            if method == "PUT":
                from pyPeblar.models.ev_interface_put_request import EVInterfacePutRequest

                state = api.put_ev_interface(EVInterfacePutRequest(**fields))
            else:
                from pyPeblar.models.ev_interface_patch_request import EVInterfacePatchRequest

                state = api.patch_ev_interface(EVInterfacePatchRequest(**fields))
        except PeblarError as error:
            if isinstance(error, PeblarResponseError) and error.status in REFUSALS:
                error.applied = False
                if isinstance(error, PeblarForbiddenError):
                    self._raise_read_only_or(error)
                if isinstance(error, PeblarNotFoundError) and method == "PUT":
                    error.message += (
                        "; this firmware has no PUT: set the limit and phases separately"
                    )
                raise
            if error.request_sent is False:  # no attempt reached the charger
                error.applied = False
                raise
            # A 429, a 5xx, a lost or unusable answer: any attempt may have applied it.
            read_back = self._read_back(applied, settle)
            if read_back is None:
                error.applied = None
                raise
            if applied(read_back):
                logger.warning(
                    "%s %s failed (%s) but the charger shows it applied",
                    method,
                    EV_INTERFACE,
                    error,
                )
                return read_back
            error.applied = False
            raise
        return self._confirm(method, fields, state, confirmed or applied)

    def _confirm(
        self,
        method: str,
        fields: dict[str, Any],
        state: EVInterfaceResponse,
        confirmed: Callable[[EVInterfaceResponse], bool],
    ) -> EVInterfaceResponse:
        """``state`` if it shows the write; else the state read back once, if that does."""
        if confirmed(state):
            return state
        later = self._read_back(confirmed, 0.0)
        if later is not None and confirmed(later):
            return later
        shown = later or state
        wanted = ", ".join(f"{wire_name(name)}={value!r}" for name, value in fields.items())
        reported = ", ".join(f"{wire_name(name)}={getattr(shown, name, None)!r}" for name in fields)
        raise PeblarStateTimeoutError(
            f"{method} {EV_INTERFACE}: the charger answered the write of {wanted} but reports "
            f"{reported}",
            applied=False,
        )

    def _read_back(
        self, applied: Callable[[EVInterfaceResponse], bool], settle: float
    ) -> EVInterfaceResponse | None:
        """The state after a failed write (waiting ``settle`` s for it); None if unreadable.

        Runs inside the write's call deadline, so it never outlives the call.
        """
        deadline = time.monotonic() + settle
        ambient = current_deadline()
        if ambient is not None:
            deadline = min(deadline, ambient)
        while True:
            try:
                state = self.ev_interface()
            except PeblarError:
                return None
            if applied(state) or time.monotonic() >= deadline:
                return state
            time.sleep(min(0.5, max(0.0, deadline - time.monotonic())))

    def _switch_phases(
        self, fields: dict[str, Any], enabled: bool, method: str
    ) -> EVInterfaceResponse:
        """Write a phase change, then wait (bounded) until the charger reports it."""
        self._guard.check(f"switch to {'one phase' if enabled else 'all phases'}")

        def done(state: EVInterfaceResponse) -> bool:
            return state.force1_phase is enabled

        others = {name: value for name, value in fields.items() if name != "force1_phase"}

        def others_shown(state: EVInterfaceResponse) -> bool:
            """The rest of the write (a PUT's limit) shows at once; the switch shows later."""
            return all(getattr(state, name) == value for name, value in others.items())

        result = self._write(
            method, fields, done, settle=self._phase_switch_timeout, confirmed=others_shown
        )
        self._guard.record()
        deadline = time.monotonic() + self._phase_switch_timeout
        while not done(result):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise PeblarStateTimeoutError(
                    f"the charger accepted Force1Phase={enabled} but still reports "
                    f"Force1Phase={result.force1_phase} after {self._phase_switch_timeout:g} s"
                )
            time.sleep(min(0.5, remaining))
            result = self.ev_interface()
        return result

    def _check_phase_switching(self) -> None:
        """Refuse before sending anything when the charger cannot switch phases."""
        system = self._system or self.system()
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

        if self.health().access_mode == AccessMode.READ_ONLY:
            raise PeblarReadOnlyError(
                "the local REST API is in ReadOnly mode, so phases cannot be switched",
                status=403,
                statusmsg="ReadOnly mode (reported by GET /health)",
                applied=False,
            )

    def _raise_read_only_or(self, error: PeblarForbiddenError) -> NoReturn:
        """A 403 on a write: if the API is in ReadOnly mode, say so, whatever the charger said."""
        if not isinstance(error, PeblarReadOnlyError):
            from pyPeblar.models.access_mode import AccessMode

            try:
                read_only = self.health().access_mode == AccessMode.READ_ONLY
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

    def _default_maximum(self) -> int:
        try:
            part = (self._system or self.system()).product_pn
        except PeblarError:
            part = None
        return MAX_BY_PART_NUMBER.get(part or "", SAFE_DEFAULT_MAX)


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
