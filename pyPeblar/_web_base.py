"""What ``PeblarWeb`` and ``AsyncPeblarWeb`` share: the session, the checks, and every call's logic.

The web interface's API (``openapi/webui.yaml``, generated into ``pyPeblar.webui``) has no token:
a password login gives a session cookie, which the charger forgets on a reboot. A spec cannot say
what the clients add: logging in on first use and once more on a 401, the smart-charging modes
and their wire keys, refusing a setting the charger does not allow before sending it, choosing
the firmware's path for the plug state and the socket unlock, the token setup. As for ``Peblar``,
that logic is written once as flows (``_base``): each yields ``Call`` steps that the synchronous
client runs with ``pyPeblar.webui``'s API classes and the async one with ``pyPeblar.webui.aio``'s.

Every request rides the same policy layer as the local REST API (one rate limiter per charger,
both APIs together); a POST (log-in, reboot, update, adding a card, renewing the token) is never
repeated. The password is never shown in a repr, a log or an error.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Any, Final

from pyPeblar._base import Call, Flow
from pyPeblar._errors import PeblarAuthenticationError, PeblarSetupError, PeblarUnsupportedError
from pyPeblar._options import ChargerOptions, from_environment

if TYPE_CHECKING:
    from typing_extensions import Self

    from pyPeblar.webui.configuration import Configuration
    from pyPeblar.webui.models import (
        ChargingSchedules,
        MeterHistory,
        PlugState,
        RfidToken,
        UserConfiguration,
        VehicleToken,
        Versions,
    )

__all__ = ["WEB", "WEB_API_CLASSES", "SmartChargingMode", "WebBase"]

WEB: Final = "/api/v1"

#: The web interface's generated API classes, by the name a ``Call`` gives (module, class).
WEB_API_CLASSES: Final = {
    "session": ("session_api", "SessionApi"),
    "settings": ("settings_api", "SettingsApi"),
    "device": ("device_api", "DeviceApi"),
    "connector": ("connector_api", "ConnectorApi"),
    "tokens": ("tokens_api", "TokensApi"),
    "statistics": ("statistics_api", "StatisticsApi"),
    "schedules": ("schedules_api", "SchedulesApi"),
}

#: Firmware from which the plug state and the socket unlock have their new paths.
NEW_CONNECTOR_PATHS: Final = (1, 10)
ACCESS_MODES: Final = ("ReadOnly", "ReadWrite")


class SmartChargingMode(str, Enum):
    """How the charger chooses its current, as the web interface's smart-charging page offers it.

    The charger stores a mode as three settings (``ScheduledChargingEnable``,
    ``SolarChargingEnable``, ``SolarChargingMode``); this is the one name for each combination.
    """

    DEFAULT = "default"
    """Charge at the configured limit whenever a car is plugged in."""
    SCHEDULED = "scheduled"
    """Charge at the times and currents of the charging schedules."""
    FAST_SOLAR = "fast_solar"
    """Solar charging, full speed: the grid tops up (``MaxSolar``)."""
    SMART_SOLAR = "smart_solar"
    """Solar charging that balances sun and grid (``OptimizedSolar``)."""
    PURE_SOLAR = "pure_solar"
    """Only surplus solar power; pauses when there is not enough (``PureSolar``)."""
    CUSTOM_SOLAR = "custom_solar"
    """Solar charging with the owner's grid target and start threshold (``CustomSolar``, 1.10+)."""


#: Each mode's wire settings (``SolarChargingMode`` only where solar charging is on).
MODE_SETTINGS: Final[dict[SmartChargingMode, dict[str, Any]]] = {
    SmartChargingMode.DEFAULT: {"scheduled_charging_enable": False, "solar_charging_enable": False},
    SmartChargingMode.SCHEDULED: {
        "scheduled_charging_enable": True,
        "solar_charging_enable": False,
    },
    SmartChargingMode.FAST_SOLAR: {"solar_charging_mode": "MaxSolar"},
    SmartChargingMode.SMART_SOLAR: {"solar_charging_mode": "OptimizedSolar"},
    SmartChargingMode.PURE_SOLAR: {"solar_charging_mode": "PureSolar"},
    SmartChargingMode.CUSTOM_SOLAR: {"solar_charging_mode": "CustomSolar"},
}


def mode_of(configuration: UserConfiguration) -> SmartChargingMode | None:
    """The mode a user configuration shows; None for a combination the web interface lacks."""
    scheduled = configuration.scheduled_charging_enable
    solar = configuration.solar_charging_enable
    if scheduled and solar:
        return None
    if scheduled:
        return SmartChargingMode.SCHEDULED
    if not solar:
        return SmartChargingMode.DEFAULT
    wire = configuration.solar_charging_mode
    wire_value = getattr(wire, "value", wire)
    for mode, settings in MODE_SETTINGS.items():
        if settings.get("solar_charging_mode") == wire_value:
            return mode
    return None


def firmware_tuple(firmware: str | None) -> tuple[int, ...] | None:
    """``"1.10.2+1+WL-1"`` as ``(1, 10, 2)``: the text before the first ``+``; None if unknown."""
    if not firmware:
        return None
    parts = firmware.split("+", 1)[0].split(".")
    try:
        return tuple(int(part) for part in parts)
    except ValueError:
        return None


def check_password(password: object) -> str:
    if not isinstance(password, str) or not password:
        raise ValueError("the web interface password must be a non-empty string")
    return password


def check_bool(name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be True or False, not {value!r}")
    return value


def check_text(name: str, value: object, *, empty: bool = False) -> str:
    if not isinstance(value, str) or (not empty and not value.strip()):
        raise ValueError(f"{name} must be a non-empty string, not {value!r}")
    return value


def check_allowed(configuration: UserConfiguration, prefix: str, label: str) -> None:
    """Refuse, before sending anything, a switch the installer has not allowed."""
    if getattr(configuration, f"{prefix}_allowed") is False:
        raise PeblarSetupError(
            f"this charger does not allow {label} ({prefix.title().replace('_', '')}Allowed "
            "is off); the installer has to allow it"
        )


class WebBase(ChargerOptions):
    """Options, session and flows of a web-interface client; the I/O is the subclass's."""

    def __init__(
        self,
        host: str,
        password: str,
        *,
        timeout: float | tuple[float, float] = (5.0, 10.0),
        deadline: float = 30.0,
        retries: int = 2,
        backoff: float = 0.5,
        rate_limit: bool = True,
        proxy: str | None = None,
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
        self._password = check_password(password)
        self._cookie = ""
        self._firmware: str | None = None

    @classmethod
    def from_env(cls, **options: Any) -> Self:
        """A client for ``PEBLAR_HOST`` with ``PEBLAR_PASSWORD``; ``options`` as in the constructor.

        >>> web = PeblarWeb.from_env()   # doctest: +SKIP
        """
        return from_environment(cls, "PEBLAR_PASSWORD", "web interface password", options)

    @property
    def api_base(self) -> str:
        """The URL of the charger's web-interface API."""
        return f"http://{self._address.netloc}{WEB}"

    def _configuration(self) -> Configuration:
        """The web API's generated ``Configuration``, for either generated ``ApiClient``."""
        from pyPeblar.webui.configuration import Configuration

        return Configuration(
            host=self.api_base,
            proxy=self._proxy,
            # Proxy variables in the environment are ignored: a charger is on the local network.
            no_proxy="" if self._proxy else "*",
        )

    def _use_cookie(self, cookie: str) -> None:
        """Send ``cookie`` with every later request (the subclass's ``ApiClient``)."""
        raise NotImplementedError

    # -- the session ------------------------------------------------------------------------

    def _login(self) -> Flow[None]:
        """Log in; keep the cookie the charger sets. A wrong password is said as such."""
        from pyPeblar.webui.models.login_request import LoginRequest

        request = LoginRequest(password=self._password, persistent_session=False)
        try:
            # The raw answer: its Set-Cookie headers are the session (there is no body).
            answer = yield Call("session", "login_without_preload_content", (request,))
        except PeblarAuthenticationError as error:
            raise PeblarAuthenticationError(
                "the charger's web interface refused the password",
                status=error.status,
                statusmsg=error.statusmsg,
            ) from None
        cookies = _all_values(answer.headers, "Set-Cookie")
        cookie = "; ".join(c.split(";", 1)[0].strip() for c in cookies if "=" in c)
        if not cookie:
            raise PeblarSetupError("the web interface accepted the password but gave no session")
        self._cookie = cookie
        self._use_cookie(cookie)

    def _call(self, api: str, operation: str, *args: Any) -> Flow[Any]:
        """A call in the session: logs in first if needed, and once more on a 401 (the charger
        forgets sessions when it reboots)."""
        if not self._cookie:
            yield from self._login()
        try:
            return (yield Call(api, operation, args))
        except PeblarAuthenticationError:
            yield from self._login()
            return (yield Call(api, operation, args))

    def _logout(self) -> Flow[None]:
        if self._cookie:
            try:
                yield Call("session", "logout")
            finally:
                self._cookie = ""
                self._use_cookie("")

    # -- settings ---------------------------------------------------------------------------

    def _user_configuration(self) -> Flow[UserConfiguration]:
        configuration: UserConfiguration = yield from self._call(
            "settings", "get_user_configuration"
        )
        return configuration

    def _update_user_configuration(self, changes: dict[str, Any]) -> Flow[UserConfiguration]:
        """PATCH the settings named by ``changes`` (snake_case or wire names); read them back."""
        from pydantic import ValidationError

        from pyPeblar.webui.models.user_configuration_update import UserConfigurationUpdate

        if not changes:
            raise ValueError("name at least one setting to change")
        fields = UserConfigurationUpdate.model_fields
        wire = {info.alias: name for name, info in fields.items() if info.alias}
        unknown = [key for key in changes if key not in fields and key not in wire]
        if unknown:
            raise ValueError(
                f"not a setting the web interface can change: {', '.join(map(repr, unknown))} "
                f"(writable: {', '.join(sorted(fields))})"
            )
        named = {wire.get(key, key): value for key, value in changes.items()}
        try:
            update = UserConfigurationUpdate(**named)
        except ValidationError as error:
            problems = "; ".join(
                f"{'.'.join(str(part) for part in item['loc'])}: {item['msg']}"
                for item in error.errors(include_url=False)[:3]
            )
            raise ValueError(f"settings refused before sending: {problems}") from None
        yield from self._call("settings", "update_user_configuration", update)
        return (yield from self._user_configuration())

    def _set_smart_charging_mode(
        self,
        mode: SmartChargingMode | str,
        always_charge: bool | None,
        power_target: int | None,
        power_threshold: int | None,
    ) -> Flow[UserConfiguration]:
        try:
            chosen = SmartChargingMode(mode)
        except ValueError:
            names = ", ".join(m.value for m in SmartChargingMode)
            raise ValueError(f"mode must be one of {names}, not {mode!r}") from None
        custom = {
            "solar_charging_custom_always_charge": always_charge,
            "solar_charging_custom_power_target": power_target,
            "solar_charging_custom_power_threshold": power_threshold,
        }
        given = {name: value for name, value in custom.items() if value is not None}
        if given and chosen is not SmartChargingMode.CUSTOM_SOLAR:
            raise ValueError("always_charge, power_target and power_threshold are custom_solar's")
        current = yield from self._user_configuration()
        changes: dict[str, Any] = dict(MODE_SETTINGS[chosen])
        if "solar_charging_mode" in changes:
            if current.solar_charging_allowed is False:
                raise PeblarUnsupportedError(
                    f"this charger does not allow solar charging (SolarChargingAllowed is off), "
                    f"so it cannot use {chosen.value}"
                )
            changes.update(scheduled_charging_enable=False, solar_charging_enable=True, **given)
        if chosen is SmartChargingMode.SCHEDULED and current.scheduled_charging_allowed is False:
            raise PeblarUnsupportedError(
                "this charger does not allow scheduled charging (ScheduledChargingAllowed is off)"
            )
        if chosen is SmartChargingMode.CUSTOM_SOLAR:
            firmware = yield from self._firmware_version()
            if firmware is not None and firmware < NEW_CONNECTOR_PATHS:
                raise PeblarUnsupportedError(
                    f"custom_solar needs firmware 1.10 or later; this charger runs {self._firmware}"
                )
        return (yield from self._update_user_configuration(changes))

    def _set_led(self, automatic: bool, percent: int | None) -> Flow[UserConfiguration]:
        check_bool("automatic", automatic)
        if automatic == (percent is not None):
            raise ValueError("give automatic=True, or percent= (0 to 100) for a fixed brightness")
        if automatic:
            return (yield from self._update_user_configuration({"hmi_led_intensity_mode": "Auto"}))
        if isinstance(percent, bool) or not isinstance(percent, int) or not 0 <= percent <= 100:
            raise ValueError(f"percent must be a whole number from 0 to 100, not {percent!r}")
        changes = {"hmi_led_intensity_mode": "Fixed", "hmi_led_intensity_manual": percent}
        return (yield from self._update_user_configuration(changes))

    def _set_buzzer_volume(self, volume: int) -> Flow[UserConfiguration]:
        if isinstance(volume, bool) or not isinstance(volume, int) or not 0 <= volume <= 4:
            raise ValueError(f"volume must be 0 (off) to 4 (high), not {volume!r}")
        return (yield from self._update_user_configuration({"hmi_buzzer_volume": int(volume)}))

    def _set_switch(
        self, prefix: str, label: str, enabled: bool, access_mode: str
    ) -> Flow[UserConfiguration]:
        """The local REST API's or Modbus's switch and access mode, where the charger allows it."""
        check_bool("enabled", enabled)
        if access_mode not in ACCESS_MODES:
            raise ValueError(f"access_mode must be 'ReadOnly' or 'ReadWrite', not {access_mode!r}")
        current = yield from self._user_configuration()
        check_allowed(current, prefix, label)
        enable = "local_rest_api_enable" if prefix == "local_rest_api" else "modbus_server_enable"
        mode = (
            "local_rest_api_access_mode"
            if prefix == "local_rest_api"
            else "modbus_server_access_mode"
        )
        changes = {enable: enabled, mode: access_mode}
        return (yield from self._update_user_configuration(changes))

    def _local_api_token(self, access_mode: str) -> Flow[str]:
        """The token setup: the local REST API on in ``access_mode`` (if allowed), its token."""
        if access_mode not in ACCESS_MODES:
            raise ValueError(f"access_mode must be 'ReadOnly' or 'ReadWrite', not {access_mode!r}")
        current = yield from self._user_configuration()
        check_allowed(current, "local_rest_api", "the local REST API")
        wire_mode = getattr(current.local_rest_api_access_mode, "value", None) or str(
            current.local_rest_api_access_mode
        )
        if current.local_rest_api_enable is not True or wire_mode != access_mode:
            yield from self._set_switch("local_rest_api", "the local REST API", True, access_mode)
        return (yield from self._api_token())

    def _api_token(self) -> Flow[str]:
        answer = yield from self._call("settings", "get_api_token")
        token = getattr(answer, "api_token", None)
        if not isinstance(token, str) or not token.strip():
            raise PeblarSetupError("the charger gave no API token")
        return token.strip()

    def _renew_api_token(self) -> Flow[str]:
        yield from self._call("settings", "renew_api_token")  # a POST: never sent twice
        return (yield from self._api_token())

    # -- device -----------------------------------------------------------------------------

    def _versions(self) -> Flow[Versions]:
        versions: Versions = yield from self._call("device", "get_current_versions")
        self._firmware = versions.firmware
        return versions

    def _available_versions(self, use_cache: bool) -> Flow[Versions]:
        check_bool("use_cache", use_cache)
        versions: Versions = yield from self._call("device", "get_available_versions", use_cache)
        return versions

    def _firmware_version(self) -> Flow[tuple[int, ...] | None]:
        if self._firmware is None:
            yield from self._versions()
        return firmware_tuple(self._firmware)

    def _connector_operation(self, operation: str) -> Flow[Any]:
        """The plug state or socket unlock on the firmware's path (the new one if unknown)."""
        firmware = yield from self._firmware_version()
        legacy = firmware is not None and firmware < NEW_CONNECTOR_PATHS
        return (yield from self._call("connector", f"{operation}_legacy" if legacy else operation))

    def _plug_state(self) -> Flow[PlugState]:
        state: PlugState = yield from self._connector_operation("get_plug_state")
        return state

    def _reboot(self) -> Flow[None]:
        from pyPeblar.webui.models.reboot_request import RebootRequest
        from pyPeblar.webui.models.reboot_type import RebootType

        yield from self._call("device", "reboot", RebootRequest(reboot_type=RebootType.HARD_REBOOT))
        self._cookie = ""  # the charger forgets every session
        self._firmware = None

    def _start_update(self, package: str) -> Flow[None]:
        from pyPeblar.webui.models.package_type import PackageType
        from pyPeblar.webui.models.update_request import UpdateRequest

        if package not in ("Firmware", "Customization"):
            raise ValueError(f"package must be 'Firmware' or 'Customization', not {package!r}")
        request = UpdateRequest(package_type=PackageType(package))
        yield from self._call("device", "start_update", request)
        self._cookie = ""  # the update reboots the charger
        self._firmware = None

    # -- tokens -----------------------------------------------------------------------------

    def _rfid_tokens(self) -> Flow[list[RfidToken]]:
        answer = yield from self._call("tokens", "list_rfid_tokens")
        return list(answer.tokens or []) if answer is not None else []

    def _add_rfid_token(self, uid: str, description: str) -> Flow[None]:
        from pyPeblar.webui.models.rfid_token import RfidToken

        token = RfidToken(
            rfid_token_uid=check_text("uid", uid),
            rfid_token_description=check_text("description", description, empty=True),
        )
        yield from self._call("tokens", "add_rfid_token", token)

    def _remove_rfid_token(self, uid: str) -> Flow[None]:
        yield from self._call("tokens", "delete_rfid_token", check_text("uid", uid))

    def _vehicle_tokens(self) -> Flow[list[VehicleToken]]:
        answer = yield from self._call("tokens", "list_vehicle_tokens")
        return list(answer.vehicle_tokens or []) if answer is not None else []

    def _add_vehicle_token(self, evcc_id: str, alias: str, authorize: bool) -> Flow[None]:
        from pyPeblar.webui.models.vehicle_token_request import VehicleTokenRequest

        request = VehicleTokenRequest(
            evcc_id=check_text("evcc_id", evcc_id),
            alias=check_text("alias", alias, empty=True),
            authorize=check_bool("authorize", authorize),
        )
        yield from self._call("tokens", "add_vehicle_token", request)

    def _remove_vehicle_token(self, evcc_id: str) -> Flow[None]:
        yield from self._call("tokens", "delete_vehicle_token", check_text("evcc_id", evcc_id))

    # -- statistics and schedules -----------------------------------------------------------

    def _meter_history(self, start: datetime | None, stop: datetime | None) -> Flow[MeterHistory]:
        for name, value in (("start", start), ("stop", stop)):
            if value is not None and not isinstance(value, datetime):
                raise ValueError(f"{name} must be a datetime or None, not {value!r}")
        if (
            start is not None
            and stop is not None
            and (start.tzinfo is None) == (stop.tzinfo is None)
            and start > stop
        ):
            raise ValueError("start must not be after stop")
        history: MeterHistory = yield from self._call(
            "statistics", "get_meter_history", start, stop
        )
        return history

    def _set_charging_schedules(
        self, schedules: ChargingSchedules | dict[str, Any]
    ) -> Flow[ChargingSchedules]:
        from pydantic import ValidationError

        from pyPeblar.webui.models.charging_schedules import ChargingSchedules

        if isinstance(schedules, dict):
            try:
                schedules = ChargingSchedules.model_validate(schedules)
            except ValidationError as error:
                first = error.errors(include_url=False)[0]
                where = ".".join(str(part) for part in first["loc"])
                raise ValueError(
                    f"schedules refused before sending: {where}: {first['msg']}"
                ) from None
        if not isinstance(schedules, ChargingSchedules):
            raise ValueError("schedules must be a ChargingSchedules or a dict of the 7 days")
        days = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        missing = [day for day in days if getattr(schedules, day) is None]
        if missing:
            raise ValueError(f"the charger needs all 7 days; missing: {', '.join(missing)}")
        yield from self._call("schedules", "set_charging_schedules", schedules)
        answer: ChargingSchedules = yield from self._call("schedules", "get_charging_schedules")
        return answer


def _all_values(headers: Any, name: str) -> list[str]:
    """Every value of the header ``name``: each road's header mapping says it its own way
    (urllib3's ``HTTPHeaderDict.getlist``, aiohttp's ``CIMultiDictProxy.getall``)."""
    if hasattr(headers, "getall"):
        return list(headers.getall(name, []))
    return list(headers.getlist(name))
