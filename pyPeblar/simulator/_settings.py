"""The charger's user configuration (``config/user`` of the web interface): keys, defaults, rules.

The defaults are the values of a real charger's capture (Home Assistant's
``user_configuration.json`` fixture), adapted to the profile (phases, maximum current) and with
solar charging off, so that the local REST API reports its own limit until a test switches a solar
mode on. A few keys mirror state the local REST API shares (``LocalRestApi*``,
``SessionManagerChargeWithoutAuth``, ``SeccOcppActive``, ``ConnectedPhases``): they are read from
the charger, never stored twice.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from pyPeblar.simulator._profiles import Profile
from pyPeblar.simulator._reply import RefusedError, json_object

__all__ = [
    "SOLAR_LIMIT_MA",
    "WRITABLE_SETTINGS",
    "check_changes",
    "default_settings",
    "firmware_at_least",
    "firmware_version",
]

#: What the simulated sun offers while solar charging is on, in mA per phase (pyPeblar's choice).
SOLAR_LIMIT_MA: Final = 8000
ACCESS_MODES: Final = ("ReadOnly", "ReadWrite")
SOLAR_MODES: Final = ("MaxSolar", "OptimizedSolar", "PureSolar", "CustomSolar")
#: Keys and a value only firmware 1.10 and later knows.
NEW_IN_1_10: Final = (
    "SolarChargingCustomAlwaysCharge",
    "SolarChargingCustomPowerTarget",
    "SolarChargingCustomPowerThreshold",
)


def firmware_version(firmware: str) -> tuple[int, int] | None:
    """(major, minor) of ``1.9.2+1+WL-1`` (the part before the first ``+``); None if unreadable."""
    parts = firmware.split("+", 1)[0].split(".")
    try:
        return int(parts[0]), int(parts[1]) if len(parts) > 1 else 0
    except ValueError:
        return None


def firmware_at_least(firmware: str, major: int, minor: int) -> bool:
    """Whether ``firmware`` is at least ``major.minor``."""
    version = firmware_version(firmware)
    # An unreadable version is taken as new, as the peblar package does.
    return version is None or version >= (major, minor)


def default_settings(max_amps: int, firmware: str) -> dict[str, Any]:
    """The stored keys of ``config/user`` (the mirrored ones come from the charger)."""
    settings: dict[str, Any] = {
        "BopFallbackCurrent": 6000,
        "BopHomeWizardAddress": "p1meter-093586",
        "BopSource": "homewizard",
        "BopSourceParameters": "{}",
        "CurrentCtrlBopCtType": "CTK05-14",
        "CurrentCtrlBopEnable": True,
        "CurrentCtrlBopFuseRating": 35,
        "CurrentCtrlFixedChargeCurrentLimit": max_amps,
        "GroundMonitoring": True,
        "GroupLoadBalancingEnable": False,
        "GroupLoadBalancingFallbackCurrent": 6,
        "GroupLoadBalancingGroupId": 1,
        "GroupLoadBalancingInterface": "RS485",
        "GroupLoadBalancingMaxCurrent": 0,
        "GroupLoadBalancingRole": "",
        "HmiBuzzerVolume": 1,
        "HmiLedIntensityManual": 0,
        "HmiLedIntensityMax": 100,
        "HmiLedIntensityMin": 1,
        "HmiLedIntensityMode": "Fixed",
        "Iso15118CommunicationEnable": False,
        "LocalSmartChargingAllowed": True,
        "ModbusServerAccessMode": "ReadOnly",
        "ModbusServerAllowed": True,
        "ModbusServerEnable": True,
        "PhaseRotation": "RST",
        "PowerLimitInputDi1Inverse": False,
        "PowerLimitInputDi1Limit": 6,
        "PowerLimitInputDi2Inverse": False,
        "PowerLimitInputDi2Limit": 0,
        "PowerLimitInputEnable": False,
        "PredefinedCpoName": "",
        "ScheduledChargingAllowed": True,
        "ScheduledChargingEnable": False,
        "SeccOcppUri": "",
        "SolarChargingAllowed": True,
        "SolarChargingEnable": False,
        "SolarChargingMode": "PureSolar",
        "SolarChargingSource": "homewizard",
        "SolarChargingSourceParameters": '{"address":"p1meter-093586"}',
        "TimeZone": "Europe/Amsterdam",
        "UserDefinedChargeLimitCurrent": max_amps,
        "UserDefinedChargeLimitCurrentAllowed": True,
        "UserDefinedHouseholdPowerLimit": 20000,
        "UserDefinedHouseholdPowerLimitAllowed": True,
        "UserDefinedHouseholdPowerLimitEnable": False,
        "UserDefinedHouseholdPowerLimitSource": "homewizard",
        "UserDefinedHouseholdPowerLimitSourceParameters": '{"address":"p1meter-093586"}',
        "UserKeepSocketLocked": False,
        "VDEPhaseImbalanceEnable": False,
        "VDEPhaseImbalanceLimit": 20,
        "WebIfUpdateHelper": True,
    }
    if firmware_at_least(firmware, 1, 10):
        settings.update(
            SolarChargingCustomAlwaysCharge=False,
            SolarChargingCustomPowerTarget=-500,
            SolarChargingCustomPowerThreshold=1400,
        )
    return settings


#: The problem with a value for the charger ``Profile`` (its firmware, its most current), or None.
Check = Callable[[Any, Profile], str | None]


def _bool(value: Any, profile: Profile) -> str | None:
    return None if isinstance(value, bool) else "must be true or false"


def _one_of(*choices: Any) -> Check:
    def check(value: Any, profile: Profile) -> str | None:
        ok = any(value == choice and type(value) is type(choice) for choice in choices)
        return None if ok else "must be " + " or ".join(str(choice) for choice in choices)

    return check


def _int(low: int | None = None, high: Callable[[Profile], int] | int | None = None) -> Check:
    def check(value: Any, profile: Profile) -> str | None:
        top = high(profile) if callable(high) else high
        if isinstance(value, bool) or not isinstance(value, int):
            return "must be an integer"
        if (low is not None and value < low) or (top is not None and value > top):
            return f"must be from {low} to {top}" if top is not None else f"must be at least {low}"
        return None

    return check


def _solar_mode(value: Any, profile: Profile) -> str | None:
    modes = SOLAR_MODES if firmware_at_least(profile.firmware, 1, 10) else SOLAR_MODES[:3]
    return _one_of(*modes)(value, profile)


#: The most any power setting takes, in W (openapi/webui.yaml: pyPeblar's choice, 1 MW).
MAX_WATTS: Final = 1_000_000

#: key -> (the check of its value, the read-only key that must be true to write it, or None)
WRITABLE_SETTINGS: Final[dict[str, tuple[Check, str | None]]] = {
    "HmiBuzzerVolume": (_one_of(0, 1, 2, 3, 4), None),
    "HmiLedIntensityManual": (_int(0, 100), None),
    "HmiLedIntensityMode": (_one_of("Auto", "Fixed"), None),
    "LocalRestApiAccessMode": (_one_of(*ACCESS_MODES), "LocalRestApiAllowed"),
    "LocalRestApiEnable": (_bool, "LocalRestApiAllowed"),
    "ModbusServerAccessMode": (_one_of(*ACCESS_MODES), "ModbusServerAllowed"),
    "ModbusServerEnable": (_bool, "ModbusServerAllowed"),
    "ScheduledChargingEnable": (_bool, "ScheduledChargingAllowed"),
    "SolarChargingEnable": (_bool, "SolarChargingAllowed"),
    "SolarChargingMode": (_solar_mode, "SolarChargingAllowed"),
    "SolarChargingCustomAlwaysCharge": (_bool, "SolarChargingAllowed"),
    "SolarChargingCustomPowerTarget": (_int(-MAX_WATTS, MAX_WATTS), "SolarChargingAllowed"),
    "SolarChargingCustomPowerThreshold": (_int(0, MAX_WATTS), "SolarChargingAllowed"),
    "UserDefinedChargeLimitCurrent": (
        _int(6, lambda profile: profile.max_current_ma // 1000),
        "UserDefinedChargeLimitCurrentAllowed",
    ),
    "UserDefinedHouseholdPowerLimit": (_int(0, MAX_WATTS), "UserDefinedHouseholdPowerLimitAllowed"),
    "UserDefinedHouseholdPowerLimitEnable": (_bool, "UserDefinedHouseholdPowerLimitAllowed"),
    "UserKeepSocketLocked": (_bool, None),
}


def check_changes(body: Any, current: dict[str, Any], profile: Profile) -> dict[str, Any]:
    """The changes of a PATCH to a charger of ``profile``, all checked before any is applied;
    RefusedError otherwise."""
    body = json_object(body)
    if not body:
        raise RefusedError(400, "Bad request: nothing to change")
    new_firmware = firmware_at_least(profile.firmware, 1, 10)
    for key, value in body.items():
        if key not in WRITABLE_SETTINGS or (key in NEW_IN_1_10 and not new_firmware):
            if key in current:
                raise RefusedError(400, f"Bad request: {key} is read-only")
            raise RefusedError(400, f"Bad request: unknown key {key}")
        check, allowed = WRITABLE_SETTINGS[key]
        problem = check(value, profile)
        if problem is not None:
            raise RefusedError(400, f"Bad request: {key} {problem}")
        if allowed is not None and current.get(allowed) is not True:
            raise RefusedError(403, f"Forbidden: {key} cannot be changed ({allowed} is false)")
    return dict(body)
