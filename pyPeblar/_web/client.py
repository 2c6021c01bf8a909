"""``PeblarWeb``: everything an owner changes in the charger's web interface, from a script.

Smart (solar) charging, LED and buzzer, the socket lock, RFID and vehicle tokens, meter and
energy history, charging schedules, versions and updates, identify, reboot, the local REST API and
Modbus switches and the API token. Every call goes through the generated ``pyPeblar.webui`` API
classes on the policy layer; the logic (session, modes, checks) is ``_web.flows``', which
``AsyncPeblarWeb`` runs too.
"""

from __future__ import annotations

import contextlib
import functools
import weakref
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from pyPeblar._errors import PeblarClosedError, PeblarError
from pyPeblar._shared.flow import Flow, GeneratedApis, drive
from pyPeblar._shared.lifecycle import Closing
from pyPeblar._shared.wiring import on_road
from pyPeblar._transport.policy import call_deadline
from pyPeblar._web.flows import WEB_API_CLASSES, SmartChargingMode, WebBase, mode_of

if TYPE_CHECKING:
    from pyPeblar._transport.sync_rest import RESTClientObject
    from pyPeblar._web.sync_events import EventStream
    from pyPeblar.webui.api import (
        ConnectorApi,
        DeviceApi,
        SchedulesApi,
        SessionApi,
        SettingsApi,
        StatisticsApi,
        TokensApi,
    )
    from pyPeblar.webui.api_client import ApiClient
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

__all__ = ["PeblarWeb"]

R = TypeVar("R")


class WebApis(GeneratedApis):
    """Each generated web-interface API class, made on first use."""

    package = "pyPeblar.webui.api"
    table = WEB_API_CLASSES

    session: SessionApi
    settings: SettingsApi
    device: DeviceApi
    connector: ConnectorApi
    tokens: TokensApi
    statistics: StatisticsApi
    schedules: SchedulesApi


class PeblarWeb(WebBase, Closing):
    """The charger's web-interface API, logged in with the owner's password.

    >>> with PeblarWeb("192.168.1.50", password="...") as web:   # doctest: +SKIP
    ...     web.set_smart_charging_mode("pure_solar")

    Logs in on the first call and again, once, when the charger has forgotten the session (it
    does on every reboot). Every write returns only once the charger shows it (read back): one
    that does not raises ``PeblarStateTimeoutError`` with ``applied`` False, and every failed
    write says whether it applied, as ``Peblar``'s do (docs/webui.md). Options: ``timeout``,
    ``deadline``, ``retries``, ``backoff``, ``rate_limit`` (shared with every client of the
    charger in this process, the local REST API's included) and ``proxy``, as for ``Peblar``.
    Thread-safe for reads; a client's calls are best made from one thread.
    """

    _api_client: ApiClient | None = None
    _rest_client: RESTClientObject | None = None

    # -- lifecycle --------------------------------------------------------------------------

    def close(self) -> None:
        """Log out (if logged in) and release the connections. Leaving a ``with`` block does."""
        if self._closed:
            return
        for stream in list(self._streams):
            stream.close()
        if self._cookie:
            # A failed log-out is no reason to keep the connections: the charger forgets the
            # session on its next reboot anyway.
            with contextlib.suppress(PeblarError):
                self._run(self._logout())
        self._closed = True
        if self._rest_client is not None:
            self._rest_client.close()

    @property
    def api_client(self) -> ApiClient:
        """The generated ``pyPeblar.webui.ApiClient`` this client calls through, with the session.

        >>> from pyPeblar.webui import DeviceApi                         # doctest: +SKIP
        >>> web.login(); DeviceApi(web.api_client).get_ntp_sync()        # doctest: +SKIP
        """
        if self._api_client is None:
            self._check_open()
            from pyPeblar._transport.sync_rest import RESTClientObject
            from pyPeblar.webui.api_client import ApiClient

            api_client = ApiClient(self._configuration())
            self._rest_client = RESTClientObject.for_url(
                self.api_base, policy=self._policy, proxy=self._proxy
            )
            self._api_client = on_road(api_client, self._rest_client)
        return self._api_client

    def _check_open(self) -> None:
        if self._closed:
            raise PeblarClosedError("this PeblarWeb client is closed")

    def _use_cookie(self, cookie: str) -> None:
        self.api_client.cookie = cookie or None

    @functools.cached_property
    def _streams(self) -> weakref.WeakSet[EventStream]:
        return weakref.WeakSet()

    @functools.cached_property
    def _apis(self) -> WebApis:
        return WebApis(self.api_client)

    def _run(self, flow: Flow[R]) -> R:
        self._check_open()
        with call_deadline(self._policy.deadline):
            return drive(flow, self._apis)

    # -- the session ------------------------------------------------------------------------

    def login(self) -> None:
        """Log in now (calls do it by themselves when needed). A wrong password raises
        ``PeblarAuthenticationError``."""
        self._run(self._login())

    def logout(self) -> None:
        """End the session (``close()`` does)."""
        self._run(self._logout())

    def auth_status(self) -> AuthStatus:
        """Whether the session is active, and the software's ``VersionHash``."""
        result: AuthStatus = self._run(self._call("session", "get_auth_status"))
        return result

    # -- live events ------------------------------------------------------------------------

    def events(
        self,
        *topics: str,
        reconnect_backoff: float = 1.0,
        max_reconnect_backoff: float = 300.0,
        until: Callable[[], bool] | None = None,
    ) -> EventStream:
        """The charger's live events from its websocket, as an iterator (docs/events.md).

        >>> for event in web.events():                # doctest: +SKIP
        ...     print(event.data.state)              # SessionState.CHARGING

        ``topics`` are the charger's topic strings (``EventTopic``'s); none follows the session
        status of connector 1. Each event has ``.topic`` and ``.data`` (a ``SessionStatus``,
        ``FirmwareUpdateStatus`` or ``TokenFound``; a ``dict`` for other topics). Opening it
        logs in if needed and waits for the charger to acknowledge every topic, within the
        client's deadline: a wrong password raises ``PeblarAuthenticationError``, a topic the
        charger refuses ``PeblarSubscriptionError``. Then a lost connection is reopened, for as
        long as the loop runs: after ``reconnect_backoff`` seconds (jittered), doubling up to
        ``max_reconnect_backoff``, logging in again if the charger forgot the session, and
        subscribing again; ``interruptions`` counts the losses, and each topic's first event
        after one is ``resumed``. Leaving the loop closes the websocket. ``until``: a function
        checked about ten times a second while the stream waits; once it returns True the
        iteration ends (to stop from a signal handler). Needs the ``events`` extra.
        """
        from pyPeblar._web.events import stream_arguments

        chosen, settings = stream_arguments(topics, reconnect_backoff, max_reconnect_backoff, until)
        self._check_open()
        from pyPeblar._web.sync_events import EventStream

        stream = EventStream(self, self._apis, chosen, settings, until)
        self._streams.add(stream)
        return stream

    # -- settings ---------------------------------------------------------------------------

    def user_configuration(self) -> UserConfiguration:
        """Every setting of the web interface (read-only ones included).

        >>> web.user_configuration().solar_charging_allowed   # doctest: +SKIP
        True
        """
        return self._run(self._user_configuration())

    def update_user_configuration(self, **changes: Any) -> UserConfiguration:
        """Change the settings named (snake_case, or the charger's own names); return them all,
        as read back once they show every change.

        Only writable settings are accepted, each named once, checked before anything is sent.

        >>> web.update_user_configuration(user_keep_socket_locked=True)   # doctest: +SKIP
        """
        return self._run(self._update_user_configuration(changes))

    def smart_charging_mode(self) -> SmartChargingMode | None:
        """The smart-charging mode; None for a combination the web interface does not offer."""
        return mode_of(self.user_configuration())

    def set_smart_charging_mode(
        self,
        mode: SmartChargingMode | str,
        *,
        always_charge: bool | None = None,
        power_target: int | None = None,
        power_threshold: int | None = None,
    ) -> UserConfiguration:
        """Switch to ``mode`` (``"default"``, ``"scheduled"``, ``"fast_solar"``, ``"smart_solar"``,
        ``"pure_solar"``, ``"custom_solar"``); custom solar also takes its three settings.

        Refused with ``PeblarUnsupportedError`` before anything is sent when the charger does not
        allow it (``SolarChargingAllowed``, ``ScheduledChargingAllowed``, firmware before 1.10
        for custom solar).

        >>> web.set_smart_charging_mode("pure_solar")   # doctest: +SKIP
        """
        flow = self._set_smart_charging_mode(mode, always_charge, power_target, power_threshold)
        return self._run(flow)

    def set_led(self, *, automatic: bool = False, percent: int | None = None) -> UserConfiguration:
        """LED brightness: ``automatic=True``, or a fixed ``percent`` (0 is off)."""
        return self._run(self._set_led(automatic, percent))

    def set_buzzer_volume(self, volume: int) -> UserConfiguration:
        """Buzzer volume: 0 off, 1 low, 2 low-medium, 3 medium, 4 high."""
        return self._run(self._set_buzzer_volume(volume))

    def set_socket_locked(self, locked: bool) -> UserConfiguration:
        """Keep the cable locked in the socket (``True``) or not."""
        return self._run(self._set_socket_locked(locked))

    def set_local_rest_api(
        self, enabled: bool, access_mode: str = "ReadWrite"
    ) -> UserConfiguration:
        """The local REST API on or off, ``"ReadWrite"`` or ``"ReadOnly"`` (where allowed)."""
        return self._run(
            self._set_switch("local_rest_api", "the local REST API", enabled, access_mode)
        )

    def set_modbus(self, enabled: bool, access_mode: str = "ReadWrite") -> UserConfiguration:
        """The Modbus server on or off, ``"ReadWrite"`` or ``"ReadOnly"`` (where allowed)."""
        return self._run(
            self._set_switch("modbus_server", "the Modbus server", enabled, access_mode)
        )

    def api_token(self) -> str:
        """The local REST API's token."""
        return self._run(self._api_token())

    def renew_api_token(self) -> str:
        """A new local REST API token (the old one stops working); returns it, once the charger
        shows a token that differs from the old one."""
        return self._run(self._renew_api_token())

    def local_api_token(self, access_mode: str = "ReadWrite") -> str:
        """Switch the local REST API on in ``access_mode`` if needed; return its token.

        What ``Peblar.from_password`` and ``pypeblar token`` do. ``PeblarSetupError`` when the
        installer does not allow the local REST API.
        """
        return self._run(self._local_api_token(access_mode))

    # -- device -----------------------------------------------------------------------------

    def system_information(self) -> SystemInformation:
        """Identity, hardware and firmware, as the web interface shows them."""
        result: SystemInformation = self._run(self._call("device", "get_system_information"))
        return result

    def versions(self) -> Versions:
        """The firmware and customisation the charger runs."""
        return self._run(self._versions())

    def available_versions(self, *, use_cache: bool = True) -> Versions:
        """The newest firmware and customisation Peblar offers (``use_cache=False`` asks again)."""
        return self._run(self._available_versions(use_cache))

    def start_update(self, package: str = "Firmware") -> None:
        """Install the available ``"Firmware"`` or ``"Customization"``; the charger reboots.

        Sent once, never repeated.
        """
        self._run(self._start_update(package))

    def identify(self) -> None:
        """Make the charger show itself (its LED blinks)."""
        self._run(self._identify())

    def reboot(self) -> None:
        """Reboot the charger (sent once, never repeated); the session ends with it."""
        self._run(self._reboot())

    def ntp_sync(self) -> NtpSync:
        """Whether the charger's clock is synchronised."""
        result: NtpSync = self._run(self._call("device", "get_ntp_sync"))
        return result

    def web_interface_mode(self) -> WebInterfaceMode:
        """The web interface's mode (``dashboard``)."""
        result: WebInterfaceMode = self._run(self._call("device", "get_web_interface_mode"))
        return result

    # -- connector --------------------------------------------------------------------------

    def plug_state(self) -> PlugState:
        """Whether a cable is in the charger and in the car (the firmware's path)."""
        return self._run(self._plug_state())

    def unlock_socket(self) -> None:
        """Release the cable from the socket now (the firmware's path)."""
        self._run(self._unlock_socket())

    # -- tokens -----------------------------------------------------------------------------

    def rfid_tokens(self) -> list[RfidToken]:
        """The RFID cards allowed to charge."""
        return self._run(self._rfid_tokens())

    def add_rfid_token(self, uid: str, description: str = "") -> None:
        """Allow the card ``uid`` (hex, 4 to 10 bytes) to charge, ``description`` (one line, at
        most 64 characters) naming it; sent once, confirmed by the list read back."""
        self._run(self._add_rfid_token(uid, description))

    def remove_rfid_token(self, uid: str) -> None:
        """Remove the card ``uid``."""
        self._run(self._remove_rfid_token(uid))

    def vehicle_tokens(self) -> list[VehicleToken]:
        """The vehicles allowed to charge by themselves (ISO 15118); empty when it is off."""
        return self._run(self._vehicle_tokens())

    def add_vehicle_token(self, evcc_id: str, alias: str = "", *, authorize: bool = True) -> None:
        """Allow the vehicle ``evcc_id`` to charge by itself (sent once)."""
        self._run(self._add_vehicle_token(evcc_id, alias, authorize))

    def remove_vehicle_token(self, evcc_id: str) -> None:
        """Remove the vehicle ``evcc_id``."""
        self._run(self._remove_vehicle_token(evcc_id))

    # -- statistics and schedules -----------------------------------------------------------

    def meter_history(
        self, start: datetime | None = None, stop: datetime | None = None
    ) -> MeterHistory:
        """Charging sessions recorded by the meter, those overlapping ``start`` to ``stop``.

        A naive ``datetime`` is the charger's local time.

        >>> web.meter_history(datetime(2026, 11, 1), datetime(2026, 12, 1))   # doctest: +SKIP
        """
        return self._run(self._meter_history(start, stop))

    def session_graph(self) -> SessionGraph:
        """Power per phase during the sessions, newest first."""
        result: SessionGraph = self._run(self._call("statistics", "get_session_graph"))
        return result

    def energy_history(self) -> EnergyHistory:
        """Energy charged per day of each month, and per month of each year."""
        result: EnergyHistory = self._run(self._call("statistics", "get_energy_history"))
        return result

    def charging_schedules(self) -> ChargingSchedules:
        """The charging schedules of each day of the week."""
        return self._run(self._charging_schedules())

    def set_charging_schedules(
        self, schedules: ChargingSchedules | dict[str, Any]
    ) -> ChargingSchedules:
        """Replace the schedules; all seven days are needed. Returns them as stored, once they
        show every slot."""
        return self._run(self._set_charging_schedules(schedules))
