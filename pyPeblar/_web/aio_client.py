"""``AsyncPeblarWeb``: ``PeblarWeb`` for asyncio programs.

The same constructor, options, methods and guarantees as ``PeblarWeb``, awaited: calls go through
the asyncio generated classes (``pyPeblar.webui.aio``) over the same policy (aiohttp, the
``async`` extra), and the logic is ``_web.flows``', the ones ``PeblarWeb`` runs.
"""

from __future__ import annotations

import contextlib
import functools
import weakref
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from pyPeblar._errors import PeblarClosedError, PeblarError
from pyPeblar._shared.aio_flow import drive_async
from pyPeblar._shared.flow import Flow, GeneratedApis
from pyPeblar._shared.lifecycle import AsyncClosing
from pyPeblar._shared.wiring import on_road
from pyPeblar._transport.policy import call_deadline
from pyPeblar._web.flows import WEB_API_CLASSES, SmartChargingMode, WebBase, mode_of

if TYPE_CHECKING:
    from pyPeblar._transport.aio_rest import RESTClientObject
    from pyPeblar._web.aio_events import AsyncEventStream
    from pyPeblar.webui.aio.api import (
        ConnectorApi,
        DeviceApi,
        SchedulesApi,
        SessionApi,
        SettingsApi,
        StatisticsApi,
        TokensApi,
    )
    from pyPeblar.webui.aio.api_client import ApiClient
    from pyPeblar.webui.models import (
        AuthStatus,
        ChargingSchedules,
        EnergyHistory,
        MeterHistory,
        NtpSync,
        PlugState,
        RfidToken,
        SessionGraph,
        SystemInformation,
        UserConfiguration,
        VehicleToken,
        Versions,
        WebInterfaceMode,
    )

__all__ = ["AsyncPeblarWeb"]

R = TypeVar("R")


class AsyncWebApis(GeneratedApis):
    """Each asyncio generated web-interface API class, made on first use."""

    package = "pyPeblar.webui.aio.api"
    table = WEB_API_CLASSES

    session: SessionApi
    settings: SettingsApi
    device: DeviceApi
    connector: ConnectorApi
    tokens: TokensApi
    statistics: StatisticsApi
    schedules: SchedulesApi


class AsyncPeblarWeb(WebBase, AsyncClosing):
    """The charger's web-interface API from asyncio; use it with ``async with``.

    >>> async with AsyncPeblarWeb("192.168.1.50", password="...") as web:   # doctest: +SKIP
    ...     await web.set_smart_charging_mode("pure_solar")

    Every method of ``PeblarWeb``, with the same arguments and results, as a coroutine. Its
    connections belong to the event loop of its first call.
    """

    _api_client: ApiClient | None = None
    _rest_client: RESTClientObject | None = None

    # -- lifecycle --------------------------------------------------------------------------

    async def close(self) -> None:
        """Log out (if logged in) and release the connections; ``async with`` does this."""
        if self._closed:
            return
        for stream in list(self._streams):
            await stream.aclose()
        if self._cookie:
            # As PeblarWeb.close: a failed log-out does not keep the connections.
            with contextlib.suppress(PeblarError):
                await self._run(self._logout())
        self._closed = True
        if self._rest_client is not None:
            await self._rest_client.close()

    @property
    def api_client(self) -> ApiClient:
        """The asyncio generated ``pyPeblar.webui.aio.ApiClient`` this client calls through."""
        if self._api_client is None:
            self._check_open()
            from pyPeblar._transport.aio_rest import RESTClientObject
            from pyPeblar.webui.aio.api_client import ApiClient

            api_client = ApiClient(self._configuration())
            self._rest_client = RESTClientObject.for_url(
                self.api_base, policy=self._policy, proxy=self._proxy
            )
            self._api_client = on_road(api_client, self._rest_client)
        return self._api_client

    def _check_open(self) -> None:
        if self._closed:
            raise PeblarClosedError("this AsyncPeblarWeb client is closed")

    def _use_cookie(self, cookie: str) -> None:
        self.api_client.cookie = cookie or None

    def _rest(self) -> RESTClientObject:
        """The REST client under ``api_client``: its aiohttp session opens the websocket."""
        self.api_client  # noqa: B018 - made on first use
        assert self._rest_client is not None
        return self._rest_client

    @functools.cached_property
    def _streams(self) -> weakref.WeakSet[AsyncEventStream]:
        return weakref.WeakSet()

    @functools.cached_property
    def _apis(self) -> AsyncWebApis:
        return AsyncWebApis(self.api_client)

    async def _run(self, flow: Flow[R]) -> R:
        self._check_open()
        with call_deadline(self._policy.deadline):
            return await drive_async(flow, self._apis)

    # -- the session ------------------------------------------------------------------------

    async def login(self) -> None:
        """``PeblarWeb.login``, awaited."""
        await self._run(self._login())

    async def logout(self) -> None:
        """``PeblarWeb.logout``, awaited."""
        await self._run(self._logout())

    async def auth_status(self) -> AuthStatus:
        """``PeblarWeb.auth_status``, awaited."""
        result: AuthStatus = await self._run(self._call("session", "get_auth_status"))
        return result

    # -- live events ------------------------------------------------------------------------

    def events(
        self,
        *topics: str,
        reconnect_backoff: float = 1.0,
        max_reconnect_backoff: float = 300.0,
    ) -> AsyncEventStream:
        """The charger's live events, as an async iterator (docs/events.md).

        >>> async for event in web.events():          # doctest: +SKIP
        ...     print(event.data.state)              # SessionState.CHARGING

        ``PeblarWeb.events``' arguments and guarantees; the websocket opens when the iteration
        starts. Leaving the loop closes it (``async with web.events() as events:`` at once).
        """
        from pyPeblar._web.events import stream_arguments

        chosen, settings = stream_arguments(topics, reconnect_backoff, max_reconnect_backoff)
        self._check_open()
        from pyPeblar._web.aio_events import AsyncEventStream

        stream = AsyncEventStream(self, self._apis, self._rest(), chosen, settings)
        self._streams.add(stream)
        return stream

    # -- settings ---------------------------------------------------------------------------

    async def user_configuration(self) -> UserConfiguration:
        """``PeblarWeb.user_configuration``, awaited."""
        return await self._run(self._user_configuration())

    async def update_user_configuration(self, **changes: Any) -> UserConfiguration:
        """``PeblarWeb.update_user_configuration``, awaited."""
        return await self._run(self._update_user_configuration(changes))

    async def smart_charging_mode(self) -> SmartChargingMode | None:
        """``PeblarWeb.smart_charging_mode``, awaited."""
        return mode_of(await self.user_configuration())

    async def set_smart_charging_mode(
        self,
        mode: SmartChargingMode | str,
        *,
        always_charge: bool | None = None,
        power_target: int | None = None,
        power_threshold: int | None = None,
    ) -> UserConfiguration:
        """``PeblarWeb.set_smart_charging_mode``, awaited."""
        flow = self._set_smart_charging_mode(mode, always_charge, power_target, power_threshold)
        return await self._run(flow)

    async def set_led(
        self, *, automatic: bool = False, percent: int | None = None
    ) -> UserConfiguration:
        """``PeblarWeb.set_led``, awaited."""
        return await self._run(self._set_led(automatic, percent))

    async def set_buzzer_volume(self, volume: int) -> UserConfiguration:
        """``PeblarWeb.set_buzzer_volume``, awaited."""
        return await self._run(self._set_buzzer_volume(volume))

    async def set_socket_locked(self, locked: bool) -> UserConfiguration:
        """``PeblarWeb.set_socket_locked``, awaited."""
        return await self._run(self._set_socket_locked(locked))

    async def set_local_rest_api(
        self, enabled: bool, access_mode: str = "ReadWrite"
    ) -> UserConfiguration:
        """``PeblarWeb.set_local_rest_api``, awaited."""
        return await self._run(
            self._set_switch("local_rest_api", "the local REST API", enabled, access_mode)
        )

    async def set_modbus(self, enabled: bool, access_mode: str = "ReadWrite") -> UserConfiguration:
        """``PeblarWeb.set_modbus``, awaited."""
        return await self._run(
            self._set_switch("modbus_server", "the Modbus server", enabled, access_mode)
        )

    async def api_token(self) -> str:
        """``PeblarWeb.api_token``, awaited."""
        return await self._run(self._api_token())

    async def renew_api_token(self) -> str:
        """``PeblarWeb.renew_api_token``, awaited."""
        return await self._run(self._renew_api_token())

    async def local_api_token(self, access_mode: str = "ReadWrite") -> str:
        """``PeblarWeb.local_api_token``, awaited."""
        return await self._run(self._local_api_token(access_mode))

    # -- device -----------------------------------------------------------------------------

    async def system_information(self) -> SystemInformation:
        """``PeblarWeb.system_information``, awaited."""
        result: SystemInformation = await self._run(self._call("device", "get_system_information"))
        return result

    async def versions(self) -> Versions:
        """``PeblarWeb.versions``, awaited."""
        return await self._run(self._versions())

    async def available_versions(self, *, use_cache: bool = True) -> Versions:
        """``PeblarWeb.available_versions``, awaited."""
        return await self._run(self._available_versions(use_cache))

    async def start_update(self, package: str = "Firmware") -> None:
        """``PeblarWeb.start_update``, awaited."""
        await self._run(self._start_update(package))

    async def identify(self) -> None:
        """``PeblarWeb.identify``, awaited."""
        await self._run(self._identify())

    async def reboot(self) -> None:
        """``PeblarWeb.reboot``, awaited."""
        await self._run(self._reboot())

    async def ntp_sync(self) -> NtpSync:
        """``PeblarWeb.ntp_sync``, awaited."""
        result: NtpSync = await self._run(self._call("device", "get_ntp_sync"))
        return result

    async def web_interface_mode(self) -> WebInterfaceMode:
        """``PeblarWeb.web_interface_mode``, awaited."""
        result: WebInterfaceMode = await self._run(self._call("device", "get_web_interface_mode"))
        return result

    # -- connector --------------------------------------------------------------------------

    async def plug_state(self) -> PlugState:
        """``PeblarWeb.plug_state``, awaited."""
        return await self._run(self._plug_state())

    async def unlock_socket(self) -> None:
        """``PeblarWeb.unlock_socket``, awaited."""
        await self._run(self._unlock_socket())

    # -- tokens -----------------------------------------------------------------------------

    async def rfid_tokens(self) -> list[RfidToken]:
        """``PeblarWeb.rfid_tokens``, awaited."""
        return await self._run(self._rfid_tokens())

    async def add_rfid_token(self, uid: str, description: str = "") -> None:
        """``PeblarWeb.add_rfid_token``, awaited."""
        await self._run(self._add_rfid_token(uid, description))

    async def remove_rfid_token(self, uid: str) -> None:
        """``PeblarWeb.remove_rfid_token``, awaited."""
        await self._run(self._remove_rfid_token(uid))

    async def vehicle_tokens(self) -> list[VehicleToken]:
        """``PeblarWeb.vehicle_tokens``, awaited."""
        return await self._run(self._vehicle_tokens())

    async def add_vehicle_token(
        self, evcc_id: str, alias: str = "", *, authorize: bool = True
    ) -> None:
        """``PeblarWeb.add_vehicle_token``, awaited."""
        await self._run(self._add_vehicle_token(evcc_id, alias, authorize))

    async def remove_vehicle_token(self, evcc_id: str) -> None:
        """``PeblarWeb.remove_vehicle_token``, awaited."""
        await self._run(self._remove_vehicle_token(evcc_id))

    # -- statistics and schedules -----------------------------------------------------------

    async def meter_history(
        self, start: datetime | None = None, stop: datetime | None = None
    ) -> MeterHistory:
        """``PeblarWeb.meter_history``, awaited."""
        return await self._run(self._meter_history(start, stop))

    async def session_graph(self) -> SessionGraph:
        """``PeblarWeb.session_graph``, awaited."""
        result: SessionGraph = await self._run(self._call("statistics", "get_session_graph"))
        return result

    async def energy_history(self) -> EnergyHistory:
        """``PeblarWeb.energy_history``, awaited."""
        result: EnergyHistory = await self._run(self._call("statistics", "get_energy_history"))
        return result

    async def charging_schedules(self) -> ChargingSchedules:
        """``PeblarWeb.charging_schedules``, awaited."""
        return await self._run(self._charging_schedules())

    async def set_charging_schedules(
        self, schedules: ChargingSchedules | dict[str, Any]
    ) -> ChargingSchedules:
        """``PeblarWeb.set_charging_schedules``, awaited."""
        return await self._run(self._set_charging_schedules(schedules))
