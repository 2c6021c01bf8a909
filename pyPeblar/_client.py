"""The ``Peblar`` client: what most users touch.

It wraps the generated models with what the generated layer lacks: default timeouts, retries that
know which calls are safe to repeat, a rate limiter shared by every client of a charger, one error
tree, checked current limits, relay-friendly pause/resume and verified single-phase switching.
Models are imported on first use, so ``from pyPeblar import Peblar`` does not import pydantic.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final, NoReturn, TypeVar

from pyPeblar._current import MIN_CHARGING_MILLIAMPS, milliamps_from
from pyPeblar._errors import (
    PeblarError,
    PeblarForbiddenError,
    PeblarInvalidResponseError,
    PeblarNotFoundError,
    PeblarReadOnlyError,
    PeblarResponseError,
    PeblarStateTimeoutError,
    PeblarUnsupportedError,
)
from pyPeblar._memory import ChargerMemory, RelayGuard, process_memory
from pyPeblar._ratelimit import TokenBucket
from pyPeblar._transport import Address, Response, RetryPolicy, Transport, parse_address

if TYPE_CHECKING:
    from pydantic import BaseModel

    from pyPeblar.api_client import ApiClient
    from pyPeblar.models import EVInterfaceResponse, HealthResponse, MeterResponse, SystemResponse

    ModelT = TypeVar("ModelT", bound=BaseModel)

__all__ = ["Peblar"]

logger = logging.getLogger("pyPeblar")

API: Final = "/api/wlac/v1"
EV_INTERFACE: Final = f"{API}/evinterface"

#: Client-side rate limit: a little under the charger's 5/s with bursts of 10, so that timing
#: jitter between client and charger never turns into a 429.
CLIENT_RATE: Final = 4.5
CLIENT_BURST: Final = 9

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

_limiters: dict[str, TokenBucket] = {}
_limiters_lock = threading.Lock()


def shared_limiter(key: str) -> TokenBucket:
    """The one rate limiter of a charger, shared by every client of it in this process."""
    with _limiters_lock:
        limiter = _limiters.get(key)
        if limiter is None:
            limiter = _limiters[key] = TokenBucket(CLIENT_RATE, CLIENT_BURST)
        return limiter


def as_timeout(value: object) -> tuple[float, float]:
    """``10`` (connect and read) or ``(connect, read)``, in seconds, checked."""
    pair = value if isinstance(value, tuple) else (value, value)
    if len(pair) != 2:
        raise ValueError(f"timeout must be seconds or (connect, read) seconds, not {value!r}")
    for part in pair:
        if isinstance(part, bool) or not isinstance(part, (int, float)) or not 0 < part < 3600:
            raise ValueError(f"timeout must be between 0 and 3600 seconds, not {value!r}")
    return float(pair[0]), float(pair[1])


def check_token(token: object) -> str:
    if not isinstance(token, str) or not token:
        raise ValueError(
            "the token must be a non-empty string (the charger's 64-character API token)"
        )
    if not (token.isascii() and token.isprintable()) or any(c.isspace() for c in token):
        raise ValueError("the token must be printable ASCII without spaces")
    return token


class Peblar:
    """A Peblar charger's local REST API, over one keep-alive connection.

    >>> with Peblar("192.168.1.50", token="...") as charger:   # doctest: +SKIP
    ...     charger.ev_interface().cp_state
    <CpState.STATE_C: 'State C'>

    ``host`` may carry a port (``"peblar.local:8080"``) and an ``http://`` prefix. Options:

    - ``timeout``: seconds for connecting and for the whole answer, or a ``(connect, read)``
      pair (default 5 and 10);
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
        if isinstance(retries, bool) or not isinstance(retries, int) or not 0 <= retries <= 10:
            raise ValueError(f"retries must be a whole number from 0 to 10, not {retries!r}")
        if isinstance(backoff, bool) or not isinstance(backoff, (int, float)) or backoff < 0:
            raise ValueError(f"backoff must be a number of seconds >= 0, not {backoff!r}")
        if not isinstance(phase_switch_timeout, (int, float)) or phase_switch_timeout < 0:
            raise ValueError(
                f"phase_switch_timeout must be seconds >= 0, not {phase_switch_timeout!r}"
            )
        self._timeout = as_timeout(timeout)
        self._phase_switch_timeout = float(phase_switch_timeout)
        self._proxy = proxy
        key = self._address.netloc
        self._transport = Transport(
            self._address,
            token=self._token,
            timeout=self._timeout,
            policy=RetryPolicy(retries=retries, backoff=float(backoff)),
            limiter=shared_limiter(key) if rate_limit else None,
            proxy=proxy,
        )
        self._memory = memory or process_memory()
        self._guard = RelayGuard(self._memory, key, enabled=protect_relays)
        self._lock = threading.Lock()
        self._system: SystemResponse | None = None
        self._api_client: ApiClient | None = None

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
        timeout = as_timeout(options.get("timeout", (5.0, 10.0)))
        token = fetch_token(address, password, access_mode=access_mode, timeout=timeout)
        return cls(host, token, **options)

    # -- lifecycle --------------------------------------------------------------------------

    def close(self) -> None:
        """Release the connections. Leaving a ``with`` block does this."""
        self._transport.close()
        with self._lock:
            if self._api_client is not None:
                self._api_client.rest_client.pool_manager.clear()

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
        state = " closed" if self._transport.closed else ""
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
    def api_client(self) -> ApiClient:
        """The generated ``ApiClient`` for this charger, for the raw layer (``pyPeblar.api``).

        >>> from pyPeblar.api import MeterApi                                # doctest: +SKIP
        >>> MeterApi(charger.api_client).get_meter()                         # doctest: +SKIP
        """
        with self._lock:
            if self._api_client is None:
                from pyPeblar.api_client import ApiClient
                from pyPeblar.configuration import Configuration

                configuration = Configuration(
                    host=f"http://{self._address.netloc}{API}",
                    api_key={"ApiToken": self._token},
                    proxy=self._proxy,
                    no_proxy=None if self._proxy else "*",
                )
                self._api_client = ApiClient(configuration)
            return self._api_client

    # -- reads ------------------------------------------------------------------------------

    def health(self) -> HealthResponse:
        """The API version and access mode; needs no token.

        >>> charger.health().access_mode          # doctest: +SKIP
        <AccessMode.READ_WRITE: 'ReadWrite'>
        """
        from pyPeblar.models.health_response import HealthResponse

        return self._get("/health", HealthResponse, auth=False)

    def system(self) -> SystemResponse:
        """Identity, firmware, phases and active error codes.

        >>> charger.system().firmware_version     # doctest: +SKIP
        '1.9.2+1+WL-1'
        """
        from pyPeblar.models.system_response import SystemResponse

        system = self._get("/system", SystemResponse)
        self._system = system
        return system

    def meter(self) -> MeterResponse:
        """Live currents (mA), voltages (V), powers (W) and energy counters (Wh).

        >>> charger.meter().power_total           # doctest: +SKIP
        11085
        """
        from pyPeblar.models.meter_response import MeterResponse

        return self._get("/meter", MeterResponse)

    def ev_interface(self) -> EVInterfaceResponse:
        """Control-pilot state, current limits and single-phase charging.

        >>> charger.ev_interface().charge_current_limit_actual   # doctest: +SKIP
        16000
        """
        from pyPeblar.models.ev_interface_response import EVInterfaceResponse

        return self._get("/evinterface", EVInterfaceResponse)

    def raw(
        self, method: str, path: str, body: bytes | None = None, *, retry: bool | None = None
    ) -> bytes:
        """The raw body of any call, for tools that must see exactly what the charger sends.

        ``path`` is relative to the API base (``"/meter"``). Errors raise like every other call;
        ``retry`` defaults to True except for POST (which may not be safe to repeat).

        >>> charger.raw("GET", "/evinterface")          # doctest: +SKIP
        b'{\n\t"ChargeCurrentLimit" : 16000,\n ...'
        """
        if not isinstance(path, str) or not path.startswith("/"):
            raise ValueError(f"path must start with '/', relative to {API}, not {path!r}")
        method = method.upper()
        repeat = method != "POST" if retry is None else retry
        response = self._transport.request(
            method, API + path, body=body, retry=repeat, auth=path != "/health"
        )
        return response.data

    # -- writes -----------------------------------------------------------------------------

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
        path = f"{API}/authorization/charge-session"
        try:
            self._transport.request("POST", path, body=body.to_json().encode(), retry=False)
        except PeblarNotFoundError as error:
            error.message += "; this firmware has no charge-session call"
            raise
        except PeblarForbiddenError as error:
            self._raise_read_only_or(error)

    # -- internals --------------------------------------------------------------------------

    def _get(self, path: str, model: type[ModelT], *, auth: bool = True) -> ModelT:
        response = self._transport.request("GET", API + path, auth=auth)
        return decode(model, response, "GET", API + path)

    def _write(
        self,
        method: str,
        fields: dict[str, Any],
        applied: Callable[[EVInterfaceResponse], bool],
        *,
        settle: float = 0.0,
    ) -> EVInterfaceResponse:
        """PATCH or PUT the EV interface; on an uncertain failure, read back whether it applied.

        Retried on connection errors, 5xx and 429 (both writes are idempotent: they set absolute
        values). A refusal (400, 403...) did not apply. Otherwise, if any attempt may have reached
        the charger, the state is read back: if it shows the change (within ``settle`` seconds),
        the write counts as done and that state is returned; if not, the error is raised with
        ``applied`` False (None when the state could not be read).
        """
        from pyPeblar.models.ev_interface_patch_request import EVInterfacePatchRequest
        from pyPeblar.models.ev_interface_put_request import EVInterfacePutRequest
        from pyPeblar.models.ev_interface_response import EVInterfaceResponse

        request = EVInterfacePutRequest if method == "PUT" else EVInterfacePatchRequest
        body = request(**fields).to_json().encode()
        try:
            response = self._transport.request(method, EV_INTERFACE, body=body)
            return decode(EVInterfaceResponse, response, method, EV_INTERFACE)
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
            state = self._read_back(applied, settle)
            if state is None:
                error.applied = None
                raise
            if applied(state):
                logger.warning(
                    "%s %s failed (%s) but the charger shows it applied",
                    method,
                    EV_INTERFACE,
                    error,
                )
                return state
            error.applied = False
            raise

    def _read_back(
        self, applied: Callable[[EVInterfaceResponse], bool], settle: float
    ) -> EVInterfaceResponse | None:
        """The state after a failed write (waiting ``settle`` s for it); None if unreadable."""
        deadline = time.monotonic() + settle
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

        result = self._write(method, fields, done, settle=self._phase_switch_timeout)
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


def decode(model: type[ModelT], response: Response, method: str, path: str) -> ModelT:
    """Parse and validate a body in one pass into a generated model; never a raw pydantic error."""
    from pydantic import ValidationError

    try:
        return model.model_validate_json(response.data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc']) or 'body'}: {error['msg']}"
            for error in exc.errors(include_url=False, include_input=False)[:3]
        )
        raise PeblarInvalidResponseError(
            f"{method} {path}: the charger's answer is not a valid {model.__name__}: {problems}",
            status=response.status,
            statusmsg="",
        ) from exc
