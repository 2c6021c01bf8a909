"""``AsyncPeblar``: ``Peblar`` for asyncio programs (Home Assistant, any event loop).

The same constructor, options, methods, errors and guarantees as ``Peblar``, awaited. Its calls go
through the asyncio generated API classes (``pyPeblar.aio.api``) over the same policy, written once
in ``_transport.policy`` and run over aiohttp by ``_transport.aio_rest``; its logic is
``_local.flows``', the very ones ``Peblar`` runs, driven here with ``await`` and ``asyncio.sleep``.
A sync and an async client of one charger in one process share its rate limiter and its relay
history. Needs the ``async`` extra (aiohttp); importing ``pyPeblar`` or ``Peblar`` never imports it.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any, TypeVar

from pyPeblar._errors import PeblarClosedError
from pyPeblar._local.flows import API_CLASSES, BaseClient
from pyPeblar._shared.aio_flow import drive_async
from pyPeblar._shared.flow import Flow, GeneratedApis
from pyPeblar._shared.lifecycle import AsyncClosing
from pyPeblar._shared.wiring import on_road
from pyPeblar._transport.policy import call_deadline

if TYPE_CHECKING:
    from pyPeblar._transport.aio_rest import RESTClientObject
    from pyPeblar.aio.api.authorization_api import AuthorizationApi
    from pyPeblar.aio.api.ev_interface_api import EVInterfaceApi
    from pyPeblar.aio.api.health_api import HealthApi
    from pyPeblar.aio.api.meter_api import MeterApi
    from pyPeblar.aio.api.system_api import SystemApi
    from pyPeblar.aio.api_client import ApiClient
    from pyPeblar.models import EVInterfaceResponse, HealthResponse, MeterResponse, SystemResponse

__all__ = ["AsyncPeblar"]

R = TypeVar("R")


class AsyncApis(GeneratedApis):
    """Each asyncio generated API class ``AsyncPeblar`` calls, made on first use."""

    package = "pyPeblar.aio.api"
    table = API_CLASSES

    health: HealthApi
    system: SystemApi
    meter: MeterApi
    ev_interface: EVInterfaceApi
    authorization: AuthorizationApi


class AsyncPeblar(BaseClient, AsyncClosing):
    """A Peblar charger's local REST API, from asyncio. Use it with ``async with``.

    >>> async with AsyncPeblar("192.168.1.50", token="...") as charger:   # doctest: +SKIP
    ...     (await charger.ev_interface()).cp_state
    <CpState.STATE_C: 'State C'>

    Options as for ``Peblar`` (``timeout``, ``deadline``, ``retries``, ``backoff``, ``rate_limit``,
    ``protect_relays``, ``phase_switch_timeout``, ``proxy``, ``memory``), and every method of
    ``Peblar`` with the same arguments and results, as a coroutine. Its connections belong to the
    event loop of its first call; use one client per event loop.
    """

    _api_client: ApiClient | None = None
    _rest_client: RESTClientObject | None = None

    # -- construction -----------------------------------------------------------------------

    @classmethod
    async def from_password(
        cls, host: str, password: str, *, access_mode: str = "ReadWrite", **options: Any
    ) -> AsyncPeblar:
        """``Peblar.from_password``, awaited: log in to the web interface and fetch the token.

        >>> charger = await AsyncPeblar.from_password("192.168.1.50", "pw")   # doctest: +SKIP
        """
        from pyPeblar._shared.options import web_options
        from pyPeblar._web.aio_client import AsyncPeblarWeb

        client = cls._awaiting_token(host, options)  # every option checked before logging in
        async with AsyncPeblarWeb(host, password, **web_options(options)) as web:
            return client._given_token(await web.local_api_token(access_mode))

    # -- lifecycle --------------------------------------------------------------------------

    async def close(self) -> None:
        """Release the connections. Leaving an ``async with`` block does this."""
        self._closed = True
        if self._rest_client is not None:
            await self._rest_client.close()

    @property
    def api_client(self) -> ApiClient:
        """The asyncio generated ``ApiClient`` this client calls through (``pyPeblar.aio``).

        Calls made with it follow this client's policy and share its connections.

        >>> from pyPeblar.aio import MeterApi                                # doctest: +SKIP
        >>> await MeterApi(charger.api_client).get_meter()                   # doctest: +SKIP
        """
        if self._api_client is None:
            from pyPeblar.aio.api_client import ApiClient

            self._api_client = on_road(ApiClient(self._configuration()), self._rest())
        return self._api_client

    @functools.cached_property
    def _apis(self) -> AsyncApis:
        """The asyncio generated API classes on this client's ``ApiClient``, made on first use."""
        return AsyncApis(self.api_client)

    def _rest(self) -> RESTClientObject:
        """The policy layer's aiohttp REST client for this charger, made on first use."""
        if self._closed:
            raise PeblarClosedError("this AsyncPeblar client is closed")
        if self._rest_client is None:
            from pyPeblar._transport.aio_rest import RESTClientObject

            self._rest_client = RESTClientObject.for_url(
                self.api_base, policy=self._policy, proxy=self._proxy
            )
        return self._rest_client

    async def _run(self, flow: Flow[R], *, switches_phases: bool = False) -> R:
        """Run a flow of ``_local.flows`` with the asyncio generated API classes, in one
        deadline."""
        with call_deadline(self._call_seconds(switches_phases=switches_phases)):
            return await drive_async(flow, self._apis)

    # -- reads ------------------------------------------------------------------------------

    async def health(self) -> HealthResponse:
        """``Peblar.health``: the API version and access mode; needs no token."""
        return await self._apis.health.get_health()

    async def system(self) -> SystemResponse:
        """``Peblar.system``: identity, firmware, phases and active error codes."""
        return await self._run(self._read_system())

    async def meter(self) -> MeterResponse:
        """``Peblar.meter``: live currents, voltages, powers and energy counters."""
        return await self._apis.meter.get_meter()

    async def ev_interface(self) -> EVInterfaceResponse:
        """``Peblar.ev_interface``: control-pilot state, current limits, single-phase charging."""
        return await self._apis.ev_interface.get_ev_interface()

    async def raw(
        self, method: str, path: str, body: bytes | None = None, *, retry: bool | None = None
    ) -> bytes:
        """``Peblar.raw``: the raw body of any call, relative to the API base."""
        method, url, headers = self._raw_request(method, path, body, retry)
        response = await self._rest().request(method, url, headers=headers, body=body, retry=retry)
        return response.data

    # -- writes -----------------------------------------------------------------------------

    async def set_charge_current_limit(
        self, *, amps: float | None = None, milliamps: int | None = None
    ) -> EVInterfaceResponse:
        """``Peblar.set_charge_current_limit``: 6 to 32 A, confirmed by the charger's state."""
        return await self._run(self._set_charge_current_limit(amps, milliamps))

    async def pause(self) -> EVInterfaceResponse:
        """``Peblar.pause``: limit 0, remembering the limit it replaced."""
        return await self._run(self._pause())

    async def resume(
        self, *, amps: float | None = None, milliamps: int | None = None
    ) -> EVInterfaceResponse:
        """``Peblar.resume``: back to the limit ``pause()`` replaced (or the one given)."""
        return await self._run(self._resume(amps, milliamps))

    async def force_single_phase(self, enabled: bool) -> EVInterfaceResponse:
        """``Peblar.force_single_phase``: checked, then awaited until the charger shows it."""
        return await self._run(self._force_single_phase(enabled), switches_phases=True)

    async def replace_ev_interface(
        self,
        *,
        force_single_phase: bool,
        amps: float | None = None,
        milliamps: int | None = None,
    ) -> EVInterfaceResponse:
        """``Peblar.replace_ev_interface``: the limit and single-phase charging in one PUT."""
        flow = self._replace_ev_interface(force_single_phase, amps, milliamps)
        return await self._run(flow, switches_phases=True)

    async def authorize_charge_session(
        self, *, token: str | None = None, name: str | None = None
    ) -> None:
        """``Peblar.authorize_charge_session``: act as an RFID card; sent once, never retried."""
        await self._run(self._authorize_charge_session(token, name))
