"""What ``Peblar`` and ``AsyncPeblar`` share: options, checks, and every call's logic as steps.

A spec cannot say what the hand-written clients add: argument checks, pause memory, the relay guard,
verified phase switching, read-back after an uncertain write. That logic is written once, as *flows*
(``_shared.flow``): generator functions that yield the I/O they need (``Call`` a generated API
method, ``Sleep``) and receive its result, or have its ``PeblarError`` thrown in. What does not
depend on the API (pause, resume, phase switching, confirmed writes) is ``_shared.control``'s,
shared with the Modbus clients; this module says how the REST API reads and writes, and adds what
only it has (``replace_ev_interface``'s PUT, the charge-session call, the ReadOnly check,
``raw()``). ``Peblar`` runs a flow with the synchronous generated API classes and ``time.sleep``;
``AsyncPeblar`` with the asyncio ones and ``asyncio.sleep``. Both clients therefore behave
identically by construction, and neither holds a copy of the other's logic.
"""

from __future__ import annotations

import re
import threading
from typing import TYPE_CHECKING, Any, Final, NoReturn

from pyPeblar._errors import (
    PeblarError,
    PeblarForbiddenError,
    PeblarNotFoundError,
    PeblarReadOnlyError,
    PeblarResponseError,
)
from pyPeblar._shared.control import ChargerControl
from pyPeblar._shared.current import milliamps_from
from pyPeblar._shared.flow import Call, Flow
from pyPeblar._shared.memory import ChargerMemory
from pyPeblar._shared.options import ChargerOptions, check_token, from_environment
from pyPeblar._shared.wiring import USER_AGENT
from pyPeblar._shared.writes import may_have_applied
from pyPeblar._transport.shown import shown

if TYPE_CHECKING:
    from typing_extensions import Self

    from pyPeblar.configuration import Configuration
    from pyPeblar.models import EVInterfaceResponse, SystemResponse

__all__ = ["API", "API_CLASSES", "BaseClient"]

API: Final = "/api/wlac/v1"
EV_INTERFACE: Final = f"{API}/evinterface"

#: What ``raw()`` accepts: an HTTP method token, and a path of URL characters (no space, CR, LF).
METHOD: Final = re.compile(r"[A-Za-z]{1,16}")
PATH: Final = re.compile(r"/[A-Za-z0-9\-._~!$&'()*+,;=:@/%?]*")


#: The generated API classes a client calls, by the name a ``Call`` gives (module, class).
API_CLASSES: Final = {
    "health": ("health_api", "HealthApi"),
    "system": ("system_api", "SystemApi"),
    "meter": ("meter_api", "MeterApi"),
    "ev_interface": ("ev_interface_api", "EVInterfaceApi"),
    "authorization": ("authorization_api", "AuthorizationApi"),
}


class BaseClient(ChargerOptions, ChargerControl):
    """Options, checks and flows of a REST client of a charger; the I/O is the subclass's."""

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
        self._init_control(
            memory_key=self._address.netloc,
            protect_relays=protect_relays,
            phase_switch_timeout=phase_switch_timeout,
            memory=memory,
        )
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
        headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
        if path != "/health":
            headers["Authorization"] = self._token
        if body is not None:
            headers["Content-Type"] = "application/json"
        return method.upper(), f"{self.api_base}{path}", headers

    # -- flows: reads -------------------------------------------------------------------------

    def _fetch_system(self) -> Flow[SystemResponse]:
        system: SystemResponse = yield Call("system", "get_system")
        return system

    def _read_ev_interface(self) -> Flow[EVInterfaceResponse]:
        state: EVInterfaceResponse = yield Call("ev_interface", "get_ev_interface")
        return state

    # -- flows: writes ------------------------------------------------------------------------

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
        self._memory.set_paused_limit(self._memory_key, None)
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

    # -- how the REST API writes (the hooks of _control) -------------------------------------

    def _send_write(self, method: str, fields: dict[str, Any]) -> Flow[EVInterfaceResponse | None]:
        """PATCH or PUT the EV interface; its answer is the resulting state.

        Retried by the policy on connection errors, 5xx and 429: both set absolute values.
        """
        request: Any
        if method == "PUT":
            from pyPeblar.models.ev_interface_put_request import EVInterfacePutRequest

            request = EVInterfacePutRequest(**fields)
        else:
            from pyPeblar.models.ev_interface_patch_request import EVInterfacePatchRequest

            request = EVInterfacePatchRequest(**fields)
        state: EVInterfaceResponse = yield Call(
            "ev_interface", f"{method.lower()}_ev_interface", (request,)
        )
        return state

    def _refused(self, error: PeblarError, method: str) -> Flow[None]:
        """A 400, 401, 403, 404... of the call's one attempt refuses for good: the same request gets
        the same answer (``_shared.writes.may_have_applied`` decides, as for the web interface)."""
        if isinstance(error, PeblarResponseError) and not may_have_applied(error):
            if isinstance(error, PeblarForbiddenError):
                yield from self._raise_read_only_or(error)
            if isinstance(error, PeblarNotFoundError) and method == "PUT":
                error.message += "; this firmware has no PUT: set the limit and phases separately"
            raise error

    def _write_target(self, method: str) -> str:
        return f"{method} {EV_INTERFACE}"

    def _check_write_access(self, action: str) -> Flow[None]:
        """The API in ReadOnly mode (GET /health says) refuses every write."""
        from pyPeblar.models.access_mode import AccessMode

        health = yield Call("health", "get_health")
        if health.access_mode == AccessMode.READ_ONLY:
            raise PeblarReadOnlyError(
                f"the local REST API is in ReadOnly mode, so {action}",
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
