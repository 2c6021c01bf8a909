"""The ``Peblar`` client: what most users touch.

Every call goes through the generated API classes (``MeterApi``, ``EVInterfaceApi``,
``AuthorizationApi``...) on one generated ``ApiClient``, whose REST client is pyPeblar's policy
layer (``_transport.sync_rest``): timeouts, the call deadline, safe retries, the shared rate limiter
and the error tree live there, for this client and for anyone using the generated classes directly.
What a spec cannot say (argument checks, pause memory, the relay guard, verified phase switching,
read-back after an uncertain write) is written once, as flows, in ``_local.flows``, which
``AsyncPeblar`` runs too; this module runs them with the synchronous generated classes and
``time.sleep``. The generated layers are imported on first use, so ``from pyPeblar import Peblar``
stays light.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any, TypeVar

from pyPeblar._errors import PeblarClosedError
from pyPeblar._local.flows import API_CLASSES, BaseClient
from pyPeblar._shared.flow import Flow, GeneratedApis, drive
from pyPeblar._shared.lifecycle import Closing
from pyPeblar._shared.wiring import on_road
from pyPeblar._transport.policy import call_deadline

if TYPE_CHECKING:
    from pyPeblar._transport.sync_rest import RESTClientObject
    from pyPeblar.api.authorization_api import AuthorizationApi
    from pyPeblar.api.ev_interface_api import EVInterfaceApi
    from pyPeblar.api.health_api import HealthApi
    from pyPeblar.api.meter_api import MeterApi
    from pyPeblar.api.system_api import SystemApi
    from pyPeblar.api_client import ApiClient
    from pyPeblar.models import EVInterfaceResponse, HealthResponse, MeterResponse, SystemResponse

__all__ = ["Peblar"]

R = TypeVar("R")


class Apis(GeneratedApis):
    """Each generated API class ``Peblar`` calls, made on first use."""

    package = "pyPeblar.api"
    table = API_CLASSES

    health: HealthApi
    system: SystemApi
    meter: MeterApi
    ev_interface: EVInterfaceApi
    authorization: AuthorizationApi


class Peblar(BaseClient, Closing):
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

    _api_client: ApiClient | None = None
    _rest_client: RESTClientObject | None = None
    # -- construction -----------------------------------------------------------------------

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
        from pyPeblar._shared.options import web_options
        from pyPeblar._web.client import PeblarWeb

        client = cls._awaiting_token(host, options)  # every option checked before logging in
        with PeblarWeb(host, password, **web_options(options)) as web:
            return client._given_token(web.local_api_token(access_mode))

    # -- lifecycle --------------------------------------------------------------------------

    def close(self) -> None:
        """Release the connections. Leaving a ``with`` block does this."""
        with self._lock:
            self._closed = True
            if self._rest_client is not None:
                self._rest_client.close()

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
                from pyPeblar.api_client import ApiClient

                self._api_client = on_road(ApiClient(self._configuration()), rest)
            return self._api_client

    @functools.cached_property
    def _apis(self) -> Apis:
        """The generated API classes on this client's ``ApiClient``, each made on first use."""
        return Apis(self.api_client)

    def _rest(self) -> RESTClientObject:
        """The policy layer's REST client for this charger, made on first use.

        ``raw()`` uses it directly, so a command-line ``--json`` read never imports the generated
        layers (pydantic among them); the generated ``ApiClient`` is handed the same one.
        """
        rest = self._rest_client
        if rest is not None:
            return rest
        from pyPeblar._transport.sync_rest import RESTClientObject

        with self._lock:
            if self._closed:
                raise PeblarClosedError("this Peblar client is closed")
            if self._rest_client is None:
                self._rest_client = RESTClientObject.for_url(
                    self.api_base, policy=self._policy, proxy=self._proxy
                )
            return self._rest_client

    def _run(self, flow: Flow[R], *, switches_phases: bool = False) -> R:
        """Run a flow of ``_local.flows`` with the synchronous generated API classes, in one
        deadline."""
        with call_deadline(self._call_seconds(switches_phases=switches_phases)):
            return drive(flow, self._apis)

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
        return self._run(self._read_system())  # the flow remembers it for phase-switch checks

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
        method, url, headers = self._raw_request(method, path, body, retry)
        return self._rest().request(method, url, headers=headers, body=body, retry=retry).data

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
        return self._run(self._set_charge_current_limit(amps, milliamps))

    def pause(self) -> EVInterfaceResponse:
        """Pause charging (limit 0); ``resume()`` restores the limit it replaced.

        Does nothing if already paused. Counts towards the relay protection (three pauses or
        phase switches per ten minutes).

        >>> charger.pause().charge_current_limit   # doctest: +SKIP
        0
        """
        return self._run(self._pause())

    def resume(
        self, *, amps: float | None = None, milliamps: int | None = None
    ) -> EVInterfaceResponse:
        """Resume charging at the limit ``pause()`` replaced (or at ``amps``/``milliamps``).

        With no earlier limit known (a pause from another program), resumes at the charger's
        maximum for its part number, or 16 A. Does nothing if not paused and no current is given.

        >>> charger.resume().charge_current_limit   # doctest: +SKIP
        16000
        """
        return self._run(self._resume(amps, milliamps))

    def force_single_phase(self, enabled: bool) -> EVInterfaceResponse:
        """Charge on one phase (``True``) or all phases (``False``), and wait until it shows.

        Checks first that the charger can (``Force1PhaseAllowed``, more than one phase, ReadWrite
        mode) and raises ``PeblarUnsupportedError`` or ``PeblarReadOnlyError`` if not. Sends nothing
        if the charger is already in that state. Raises ``PeblarStateTimeoutError`` if the charger
        does not report the new state within ``phase_switch_timeout``.

        >>> charger.force_single_phase(True).force1_phase   # doctest: +SKIP
        True
        """
        return self._run(self._force_single_phase(enabled), switches_phases=True)

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
        flow = self._replace_ev_interface(force_single_phase, amps, milliamps)
        return self._run(flow, switches_phases=True)

    def authorize_charge_session(
        self, *, token: str | None = None, name: str | None = None
    ) -> None:
        """Act as an RFID card (``token`` UID or ``name``): start a waiting session, or stop one.

        The call toggles, so it is sent exactly once and never retried: on a connection failure
        the error's ``request_sent`` says whether it may have reached the charger. The charger
        acts a moment after answering.

        >>> charger.authorize_charge_session(token="04A1B2C3")   # doctest: +SKIP
        """
        self._run(self._authorize_charge_session(token, name))
