"""What ``PeblarWeb`` and ``AsyncPeblarWeb`` share: the session, the checks, and every call's logic.

The web interface's API (``openapi/webui.yaml``, generated into ``pyPeblar.webui``) has no token: a
password login gives a session cookie, which the charger forgets on a reboot. A spec cannot say what
the clients add: logging in on first use and once more on a 401, the smart-charging modes and their
wire keys, refusing a setting the charger does not allow before sending it, choosing the firmware's
path for the plug state and the socket unlock, the token setup. As for ``Peblar``, that logic is
written once as flows (``_shared.flow``): each yields ``Call`` steps that the synchronous client
runs with ``pyPeblar.webui``'s API classes and the async one with ``pyPeblar.webui.aio``'s.

Every request rides the same policy layer as the local REST API (one rate limiter per charger,
both APIs together); a POST (log-in, reboot, update, adding a card, renewing the token) is never
repeated. The password is never shown in a repr, a log or an error.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Any, Final, Generic, TypeVar

from pyPeblar._errors import (
    PeblarAuthenticationError,
    PeblarError,
    PeblarSetupError,
    PeblarUnsupportedError,
)
from pyPeblar._shared.flow import Call, Flow
from pyPeblar._shared.options import ChargerOptions, from_environment
from pyPeblar._shared.writes import (
    before_write,
    may_have_applied,
    not_shown,
    read_quietly,
    settle_failure,
)
from pyPeblar._transport.shown import check_bool, shown
from pyPeblar._web.checks import (
    DAYS,
    check_access_mode,
    check_password,
    configuration_update,
    rfid_request,
    schedules_request,
    vehicle_request,
)

if TYPE_CHECKING:
    from typing_extensions import Self

    from pyPeblar.webui.configuration import Configuration
    from pyPeblar.webui.models import (
        ChargingSchedules,
        MeterHistory,
        PlugState,
        RfidToken,
        UserConfiguration,
        UserConfigurationUpdate,
        VehicleToken,
        Versions,
    )

__all__ = ["WEB", "WEB_API_CLASSES", "Confirmation", "SmartChargingMode", "WebBase"]

S = TypeVar("S")

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

#: The web interface's card and vehicle lists (a card's or vehicle's own path adds its key).
CARDS: Final = "/config/auth/standalonelist"
VEHICLES: Final = "/config/auth/vehicle-standalonelist"
#: Firmware from which the plug state and the socket unlock have their new paths, and custom
#: solar charging its mode and settings.
NEW_CONNECTOR_PATHS: Final = (1, 10)
NEW_IN_1_10: Final = (
    "solar_charging_custom_always_charge",
    "solar_charging_custom_power_target",
    "solar_charging_custom_power_threshold",
)
#: The hint of an error that the web interface password can mend (the command line shows it).
PASSWORD_HINT: Final = (
    "Check the web interface password (PEBLAR_PASSWORD, or --password-file PATH on the command "
    "line)."
)


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


def check_allowed(configuration: UserConfiguration, prefix: str, label: str) -> None:
    """Refuse, before sending anything, a switch the installer has not allowed."""
    if getattr(configuration, f"{prefix}_allowed") is False:
        raise PeblarSetupError(
            f"this charger does not allow {label} ({prefix.title().replace('_', '')}Allowed "
            "is off); the installer has to allow it",
            applied=False,
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
            refused = PeblarAuthenticationError(
                "the charger's web interface refused the password",
                status=error.status,
                statusmsg=error.statusmsg,
            )
            refused.hint = PASSWORD_HINT
            raise refused from None
        cookies = _all_values(answer.headers, "Set-Cookie")
        cookie = "; ".join(c.split(";", 1)[0].strip() for c in cookies if "=" in c)
        if not cookie:
            raise PeblarSetupError("the web interface accepted the password but gave no session")
        self._cookie = cookie
        self._use_cookie(cookie)

    def _call(self, api: str, operation: str, *args: Any, write: bool = False) -> Flow[Any]:
        """A call in the session: logs in first if needed, and once more on a 401 (the charger
        forgets sessions when it reboots). A write refused with 401 is sent once more after the
        log-in, a POST too: the charger refused the first, so nothing is done twice. For a
        ``write``, a failed log-in says the change was not applied: it was never sent."""

        def login() -> Flow[None]:
            return before_write(self._login()) if write else self._login()

        if not self._cookie:
            yield from login()
        try:
            return (yield Call(api, operation, args))
        except PeblarAuthenticationError:
            yield from login()
        try:
            return (yield Call(api, operation, args))
        except PeblarAuthenticationError as error:
            error.message += " (again, right after logging in with the password)"
            error.hint = PASSWORD_HINT
            raise

    def _logout(self) -> Flow[None]:
        if self._cookie:
            try:
                yield Call("session", "logout")
            finally:
                self._cookie = ""
                self._use_cookie("")

    # -- writes -----------------------------------------------------------------------------

    def _write(self, what: str, request: Call, confirm: Confirmation[S]) -> Flow[S]:
        """Send the write ``request``; return the state read back once it shows the write.

        The web interface answers its writes with nothing to check, so the read-back confirms:
        if it does not show the write, ``PeblarStateTimeoutError`` says what the charger reports,
        with ``applied`` False. A failed write is decided as the local REST API's are
        (``_shared.writes``): a refusal or a request that never reached the charger did not apply;
        otherwise the state read back decides, and ``applied`` is None if it cannot be read.
        """
        try:
            yield from self._call(request.api, request.operation, *request.args, write=True)
        except PeblarError as error:
            if not may_have_applied(error):
                raise
            state = yield from read_quietly(confirm.read())
            return settle_failure(error, state, confirm.shows, what)
        try:
            state = yield from confirm.read()
        except PeblarError as error:  # applied stays None: the write may or may not show
            error.message = f"{what}: answered, but reading it back failed: {error.message}"
            raise
        if not confirm.shows(state):
            not_shown(what, confirm.wanted, confirm.reported(state))
        return state

    def _send(self, api: str, operation: str, *args: Any) -> Flow[None]:
        """A write with no state to read back (identify, reboot, update, unlock): its 2xx answer
        is the confirmation. A failure says ``applied`` False where it is known (a refusal,
        nothing sent), None otherwise; a POST is never sent twice."""
        try:
            yield from self._call(api, operation, *args, write=True)
        except PeblarError as error:
            may_have_applied(error)
            raise

    # -- settings ---------------------------------------------------------------------------

    def _user_configuration(self) -> Flow[UserConfiguration]:
        configuration: UserConfiguration = yield from self._call(
            "settings", "get_user_configuration"
        )
        return configuration

    def _update_user_configuration(self, changes: dict[str, Any]) -> Flow[UserConfiguration]:
        """PATCH the settings named by ``changes`` (snake_case or wire names); confirm them."""
        return (yield from self._patch_configuration(configuration_update(changes)))

    def _patch_configuration(self, update: UserConfigurationUpdate) -> Flow[UserConfiguration]:
        """PATCH ``update``; return the configuration read back once it shows every value."""
        yield from self._check_firmware_for(update)
        wanted = update.model_dump(mode="json", by_alias=True, exclude_unset=True)

        def reported(configuration: UserConfiguration) -> dict[str, Any]:
            shown = configuration.model_dump(mode="json", by_alias=True)
            return {key: shown.get(key) for key in wanted}

        return (
            yield from self._write(
                "PATCH /config/user",
                Call("settings", "update_user_configuration", (update,)),
                Confirmation(
                    self._user_configuration,
                    lambda configuration: reported(configuration) == wanted,
                    _settings_text(wanted),
                    lambda configuration: _settings_text(reported(configuration)),
                ),
            )
        )

    def _check_firmware_for(self, update: UserConfigurationUpdate) -> Flow[None]:
        """Refuse, before sending it, a setting older firmware does not have (custom solar)."""
        newer: list[str] = [field for field in NEW_IN_1_10 if field in update.model_fields_set]
        if update.solar_charging_mode == "CustomSolar":
            newer.insert(0, "custom_solar")
        if not newer:
            return
        firmware = yield from before_write(self._firmware_version())
        if firmware is not None and firmware < NEW_CONNECTOR_PATHS:
            raise PeblarUnsupportedError(
                f"{', '.join(newer)} need firmware 1.10 or later; this charger runs "
                f"{self._firmware}",
                applied=False,
            )

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
            raise ValueError(f"mode must be one of {names}, not {shown(mode)}") from None
        custom = {
            "always_charge": ("solar_charging_custom_always_charge", always_charge),
            "power_target": ("solar_charging_custom_power_target", power_target),
            "power_threshold": ("solar_charging_custom_power_threshold", power_threshold),
        }
        given = {field: value for field, value in custom.values() if value is not None}
        if given and chosen is not SmartChargingMode.CUSTOM_SOLAR:
            raise ValueError("always_charge, power_target and power_threshold are custom_solar's")
        changes: dict[str, Any] = dict(MODE_SETTINGS[chosen])
        if "solar_charging_mode" in changes:
            changes.update(scheduled_charging_enable=False, solar_charging_enable=True, **given)
        # Every value checked before the charger is asked anything.
        update = configuration_update(
            changes, {field: parameter for parameter, (field, _) in custom.items()}
        )
        current = yield from before_write(self._user_configuration())
        if "solar_charging_mode" in changes and current.solar_charging_allowed is False:
            raise PeblarUnsupportedError(
                f"this charger does not allow solar charging (SolarChargingAllowed is off), "
                f"so it cannot use {chosen.value}",
                applied=False,
            )
        if chosen is SmartChargingMode.SCHEDULED and current.scheduled_charging_allowed is False:
            raise PeblarUnsupportedError(
                "this charger does not allow scheduled charging (ScheduledChargingAllowed is off)",
                applied=False,
            )
        return (yield from self._patch_configuration(update))

    def _set_led(self, automatic: bool, percent: int | None) -> Flow[UserConfiguration]:
        check_bool("automatic", automatic)
        if automatic == (percent is not None):
            raise ValueError("give automatic=True, or percent= (0 to 100) for a fixed brightness")
        if automatic:
            return (yield from self._update_user_configuration({"hmi_led_intensity_mode": "Auto"}))
        if isinstance(percent, bool) or not isinstance(percent, int) or not 0 <= percent <= 100:
            raise ValueError(f"percent must be a whole number from 0 to 100, not {shown(percent)}")
        changes = {"hmi_led_intensity_mode": "Fixed", "hmi_led_intensity_manual": percent}
        return (yield from self._update_user_configuration(changes))

    def _set_buzzer_volume(self, volume: int) -> Flow[UserConfiguration]:
        if isinstance(volume, bool) or not isinstance(volume, int) or not 0 <= volume <= 4:
            raise ValueError(f"volume must be 0 (off) to 4 (high), not {shown(volume)}")
        return (yield from self._update_user_configuration({"hmi_buzzer_volume": volume}))

    def _set_socket_locked(self, locked: bool) -> Flow[UserConfiguration]:
        check_bool("locked", locked)
        return (yield from self._update_user_configuration({"user_keep_socket_locked": locked}))

    def _set_switch(
        self, prefix: str, label: str, enabled: bool, access_mode: str
    ) -> Flow[UserConfiguration]:
        """The local REST API's or Modbus's switch and access mode, where the charger allows it."""
        check_bool("enabled", enabled)
        check_access_mode(access_mode)
        enable = "local_rest_api_enable" if prefix == "local_rest_api" else "modbus_server_enable"
        mode = (
            "local_rest_api_access_mode"
            if prefix == "local_rest_api"
            else "modbus_server_access_mode"
        )
        update = configuration_update({enable: enabled, mode: access_mode})
        current = yield from before_write(self._user_configuration())
        check_allowed(current, prefix, label)
        return (yield from self._patch_configuration(update))

    def _local_api_token(self, access_mode: str) -> Flow[str]:
        """The token setup: the local REST API on in ``access_mode`` (if allowed), its token."""
        check_access_mode(access_mode)
        current = yield from before_write(self._user_configuration())
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
        """A new token, confirmed by reading one that differs from the token before."""
        old = yield from before_write(self._api_token())
        return (
            yield from self._write(
                "POST /config/api-token",  # a POST: never sent twice
                Call("settings", "renew_api_token"),
                Confirmation(
                    self._api_token,
                    lambda token: token != old,
                    "a new token",
                    lambda token: "the same token as before",
                ),
            )
        )

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

    def _connector_path(self, operation: str) -> Flow[str]:
        """The plug state's or socket unlock's operation on the firmware's path (the new one if
        the firmware is unknown)."""
        firmware = yield from self._firmware_version()
        legacy = firmware is not None and firmware < NEW_CONNECTOR_PATHS
        return f"{operation}_legacy" if legacy else operation

    def _plug_state(self) -> Flow[PlugState]:
        operation = yield from self._connector_path("get_plug_state")
        state: PlugState = yield from self._call("connector", operation)
        return state

    def _unlock_socket(self) -> Flow[None]:
        operation = yield from before_write(self._connector_path("unlock_socket"))
        yield from self._send("connector", operation)

    def _identify(self) -> Flow[None]:
        yield from self._send("device", "identify")

    def _reboot(self) -> Flow[None]:
        from pyPeblar.webui.models.reboot_request import RebootRequest
        from pyPeblar.webui.models.reboot_type import RebootType

        yield from self._send("device", "reboot", RebootRequest(reboot_type=RebootType.HARD_REBOOT))
        self._cookie = ""  # the charger forgets every session
        self._firmware = None

    def _start_update(self, package: str) -> Flow[None]:
        from pyPeblar.webui.models.package_type import PackageType
        from pyPeblar.webui.models.update_request import UpdateRequest

        if package not in ("Firmware", "Customization") or not isinstance(package, str):
            raise ValueError(f"package must be 'Firmware' or 'Customization', not {shown(package)}")
        request = UpdateRequest(package_type=PackageType(package))
        yield from self._send("device", "start_update", request)
        self._cookie = ""  # the update reboots the charger
        self._firmware = None

    # -- tokens -----------------------------------------------------------------------------

    def _rfid_tokens(self) -> Flow[list[RfidToken]]:
        answer = yield from self._call("tokens", "list_rfid_tokens")
        return list(answer.tokens or []) if answer is not None else []

    def _card_names(self) -> Flow[dict[str, str | None]]:
        cards = yield from self._rfid_tokens()
        return {
            _listed(c.rfid_token_uid): c.rfid_token_description for c in cards if c.rfid_token_uid
        }

    def _add_rfid_token(self, uid: str, description: str) -> Flow[None]:
        request = rfid_request(uid, description)
        call = Call("tokens", "add_rfid_token", (request,))  # a POST: never sent twice
        yield from self._change_list(
            "card", CARDS, call, self._card_names, key=uid, name=description
        )

    def _remove_rfid_token(self, uid: str) -> Flow[None]:
        rfid_request(uid, "")  # checked as an added card's is: what no charger takes, none lists
        call = Call("tokens", "delete_rfid_token", (uid,))
        yield from self._change_list("card", CARDS, call, self._card_names, key=uid, name=None)

    def _vehicle_tokens(self) -> Flow[list[VehicleToken]]:
        answer = yield from self._call("tokens", "list_vehicle_tokens")
        return list(answer.vehicle_tokens or []) if answer is not None else []

    def _vehicle_names(self) -> Flow[dict[str, str | None]]:
        vehicles = yield from self._vehicle_tokens()
        return {_listed(v.evcc_id): v.alias for v in vehicles if v.evcc_id}

    def _add_vehicle_token(self, evcc_id: str, alias: str, authorize: bool) -> Flow[None]:
        request = vehicle_request(evcc_id, alias, authorize)
        call = Call("tokens", "add_vehicle_token", (request,))  # a POST: never sent twice
        yield from self._change_list(
            "vehicle", VEHICLES, call, self._vehicle_names, key=evcc_id, name=alias
        )

    def _remove_vehicle_token(self, evcc_id: str) -> Flow[None]:
        vehicle_request(evcc_id, "", True)
        call = Call("tokens", "delete_vehicle_token", (evcc_id,))
        yield from self._change_list(
            "vehicle", VEHICLES, call, self._vehicle_names, key=evcc_id, name=None
        )

    def _change_list(
        self,
        noun: str,
        path: str,
        call: Call,
        names: Callable[[], Flow[dict[str, str | None]]],
        *,
        key: str,
        name: str | None,
    ) -> Flow[None]:
        """Add ``key`` to a list with its ``name`` (a card's description, a vehicle's alias), or
        remove it (``name`` None); confirmed by the list read back (``names``: key to name)."""
        entry = _listed(key)

        def shows(listed: dict[str, str | None]) -> bool:
            return entry not in listed if name is None else listed.get(entry, ...) == name

        yield from self._write(
            f"{'DELETE' if name is None else 'POST'} {path}",
            call,
            Confirmation(
                names,
                shows,
                f"{noun} {key} removed" if name is None else f"{noun} {key} ({name!r})",
                lambda listed: _on_list(f"the {noun}", listed.get(entry)),
            ),
        )

    # -- statistics and schedules -----------------------------------------------------------

    def _meter_history(self, start: datetime | None, stop: datetime | None) -> Flow[MeterHistory]:
        for name, value in (("start", start), ("stop", stop)):
            if value is not None and not isinstance(value, datetime):
                raise ValueError(f"{name} must be a datetime or None, not {shown(value)}")
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

    def _charging_schedules(self) -> Flow[ChargingSchedules]:
        schedules: ChargingSchedules = yield from self._call("schedules", "get_charging_schedules")
        return schedules

    def _set_charging_schedules(self, schedules: object) -> Flow[ChargingSchedules]:
        request = schedules_request(schedules)
        wanted = _week(request.to_dict())
        return (
            yield from self._write(
                "POST /config/scheduledcharging/schedules",
                Call("schedules", "set_charging_schedules", (request,)),
                Confirmation(
                    self._charging_schedules,
                    lambda stored: _week(stored.to_dict()) == wanted,
                    _week_text(wanted, [day for day in DAYS if wanted[day]]),
                    lambda stored: _differing_days(_week(stored.to_dict()), wanted),
                ),
            )
        )


class Confirmation(Generic[S]):
    """How a web write is confirmed: ``read`` the state; it ``shows`` the write or not; the write
    as ``wanted`` (text), and what a state ``reported`` (text) when it does not show it."""

    __slots__ = ("read", "reported", "shows", "wanted")

    def __init__(
        self,
        read: Callable[[], Flow[S]],
        shows: Callable[[S], bool],
        wanted: str,
        reported: Callable[[S], str],
    ) -> None:
        self.read = read
        self.shows = shows
        self.wanted = wanted
        self.reported = reported


def _settings_text(settings: dict[str, Any]) -> str:
    return ", ".join(f"{key}={value!r}" for key, value in settings.items())


def _listed(identifier: str) -> str:
    """How a card's UID or a vehicle's EVCC ID is compared with a list: hex is hex in either
    case, and a charger may show it in its own."""
    return identifier.upper()


def _on_list(what: str, name: str | None) -> str:
    return f"{what} listed as {name!r}" if name is not None else f"{what} not on its list"


#: A week's schedule as compared: each day's slots as (start, limit), in time order.
Week = dict[str, list[tuple[Any, Any]]]


def _week(schedules: dict[str, Any]) -> Week:
    """The schedule as a charger stores it: each day's slots in time order (a slot missing its
    start, from an odd charger, first)."""
    return {
        day: sorted(
            (
                (slot.get("StartTime"), slot.get("CurrentLimit"))
                for slot in schedules.get(day) or []
            ),
            key=lambda slot: (slot[0] if isinstance(slot[0], int) else -1, repr(slot[1])),
        )
        for day in DAYS
    }


def _differing_days(week: Week, wanted: Week) -> str:
    return _week_text(week, [day for day in DAYS if week[day] != wanted[day]])


def _week_text(week: Week, days: list[str]) -> str:
    """The slots of ``days`` of ``week``, in words."""
    if not days:
        return "no slot on any day"
    return ", ".join(
        f"{day} [{', '.join(f'{limit} A from minute {start}' for start, limit in week[day])}]"
        for day in days
    )


def _all_values(headers: Any, name: str) -> list[str]:
    """Every value of the header ``name``: each road's header mapping says it its own way
    (urllib3's ``HTTPHeaderDict.getlist``, aiohttp's ``CIMultiDictProxy.getall``)."""
    if hasattr(headers, "getall"):
        return list(headers.getall(name, []))
    return list(headers.getlist(name))
