"""Real web-interface captures (test/fixtures/webui: Home Assistant's and python-peblar's) parse
with the generated model of their endpoint with every key and value kept, and read the same when
the simulator serves them and ``PeblarWeb`` reads them (issue #15).

A value the model converts (an enum member, a ``datetime``) must stand for the captured value
exactly; a bool must stay a bool and an int an int.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from pyPeblar import PeblarWeb
from pyPeblar.simulator import Simulator
from pyPeblar.webui import models

WEBUI = Path(__file__).resolve().parent / "fixtures" / "webui"
BASE = "/api/v1"
VERSIONS_PATH = f"{BASE}/system/software/automatic-update/current-versions"


@dataclass(frozen=True)
class Capture:
    """One captured answer: its file, the model of its endpoint, and how a client reads it."""

    file: str
    model: Any  # a generated model class (pydantic, with from_json / to_dict / to_json)
    path: str
    read: Callable[[PeblarWeb], Any]
    #: What ``read`` gives back, taken from the capture (the whole capture by default).
    expect: Callable[[Any], Any] = lambda capture: capture
    #: The simulator profile: its firmware decides the plug-state path.
    profile: str = "three-phase-socket"

    @property
    def id(self) -> str:
        return self.file.removesuffix(".json")

    def text(self) -> str:
        return (WEBUI / self.file).read_text(encoding="utf-8")

    def raw(self) -> bytes:
        return (WEBUI / self.file).read_bytes()


def _versions(path: str, read: Callable[[PeblarWeb], Any]) -> dict[str, Any]:
    return {
        "model": models.Versions,
        "path": f"{BASE}/system/software/automatic-update/{path}",
        "read": read,
    }


def _current() -> dict[str, Any]:
    return _versions("current-versions", PeblarWeb.versions)


def _available() -> dict[str, Any]:
    return _versions("available-versions", lambda web: web.available_versions())


def _user() -> dict[str, Any]:
    return {
        "model": models.UserConfiguration,
        "path": f"{BASE}/config/user",
        "read": PeblarWeb.user_configuration,
    }


def _system() -> dict[str, Any]:
    return {
        "model": models.SystemInformation,
        "path": f"{BASE}/system/info",
        "read": PeblarWeb.system_information,
    }


def _meter_history() -> dict[str, Any]:
    return {
        "model": models.MeterHistory,
        "path": f"{BASE}/statistics/meterhistory",
        "read": lambda web: web.meter_history(),
    }


CAPTURES = (
    Capture("ha/available_versions.json", **_available()),
    Capture("ha/current_versions.json", **_current()),
    Capture("ha/meter_history.json", **_meter_history()),
    Capture("ha/system_information.json", **_system()),
    Capture("ha/system_information_no_buzzer.json", **_system()),
    Capture("ha/system_information_no_led.json", **_system()),
    Capture("ha/user_configuration.json", **_user()),
    Capture(
        "python-peblar/api_token.json",
        models.ApiTokenResponse,
        f"{BASE}/config/api-token",
        PeblarWeb.api_token,
        lambda capture: capture["ApiToken"],
    ),
    Capture(
        "python-peblar/auth_status.json",
        models.AuthStatus,
        f"{BASE}/auth/status",
        PeblarWeb.auth_status,
    ),
    # Firmware 1.9.2 (the default profile): the client asks the path before 1.10.
    Capture(
        "python-peblar/connector.json",
        models.PlugState,
        f"{BASE}/system/connector",
        PeblarWeb.plug_state,
    ),
    Capture(
        "python-peblar/energy_history.json",
        models.EnergyHistory,
        f"{BASE}/statistics/history",
        PeblarWeb.energy_history,
    ),
    Capture("python-peblar/meterhistory-nosessions.json", **_meter_history()),
    Capture("python-peblar/meterhistory.json", **_meter_history()),
    Capture(
        "python-peblar/ntp_sync.json",
        models.NtpSync,
        f"{BASE}/system/ntp-sync",
        PeblarWeb.ntp_sync,
    ),
    Capture("python-peblar/peblar_versions.json", **_current()),
    # ConnectorId came with firmware 1.10: the future-firmware profile (2.0.0) asks the new path.
    Capture(
        "python-peblar/plug_state.json",
        models.PlugState,
        f"{BASE}/connector/plug-state",
        PeblarWeb.plug_state,
        profile="future-firmware",
    ),
    Capture(
        "python-peblar/scheduled_charging.json",
        models.ChargingSchedules,
        f"{BASE}/config/scheduledcharging/schedules",
        PeblarWeb.charging_schedules,
    ),
    Capture(
        "python-peblar/session_graph.json",
        models.SessionGraph,
        f"{BASE}/statistics/session",
        PeblarWeb.session_graph,
    ),
    Capture(
        "python-peblar/standalonelist.json",
        models.RfidTokenList,
        f"{BASE}/config/auth/standalonelist",
        PeblarWeb.rfid_tokens,
        lambda capture: capture["Tokens"],
    ),
    Capture("python-peblar/system_information.json", **_system()),
    Capture("python-peblar/system_information_whitelabel.json", **_system()),
    Capture("python-peblar/user_configuration.json", **_user()),
    Capture("python-peblar/user_configuration_scheduled.json", **_user()),
    Capture(
        "python-peblar/vehicle_standalonelist.json",
        models.VehicleTokenList,
        f"{BASE}/config/auth/vehicle-standalonelist",
        PeblarWeb.vehicle_tokens,
        lambda capture: capture["VehicleTokens"],
    ),
    Capture("python-peblar/versions_available.json", **_available()),
    Capture("python-peblar/versions_current.json", **_current()),
    Capture(
        "python-peblar/web_interface_mode.json",
        models.WebInterfaceMode,
        f"{BASE}/system/web-interface-mode",
        PeblarWeb.web_interface_mode,
    ),
)

#: Captures that do not parse with their model (spec defects, reported, never fixed here).
XFAIL: dict[str, str] = {}


def params() -> list[Any]:
    return [
        pytest.param(
            capture,
            id=capture.id,
            marks=[pytest.mark.xfail(strict=True, reason=XFAIL[capture.file])]
            if capture.file in XFAIL
            else [],
        )
        for capture in CAPTURES
    ]


def differences(value: Any, captured: Any, where: str = "$") -> list[str]:
    """Where ``value`` (a model's ``to_dict()``, or what a client read) is not ``captured``.

    Keys must match exactly (none dropped, none added); an enum member stands for its value, a
    ``datetime`` for the ISO 8601 text it was read from; bools and ints are told apart.
    """
    if isinstance(value, BaseModel):
        value = value.to_dict()  # type: ignore[attr-defined]
    if isinstance(captured, dict):
        if not isinstance(value, dict):
            return [f"{where}: {value!r} is not an object"]
        problems = [f"{where}.{key}: dropped" for key in captured if key not in value]
        problems += [f"{where}.{key}: added" for key in value if key not in captured]
        for key in captured.keys() & value.keys():
            problems += differences(value[key], captured[key], f"{where}.{key}")
        return problems
    if isinstance(captured, list):
        if not isinstance(value, list) or len(value) != len(captured):
            return [f"{where}: {value!r} is not {captured!r}"]
        return [
            problem
            for index, (item, want) in enumerate(zip(value, captured, strict=True))
            for problem in differences(item, want, f"{where}[{index}]")
        ]
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, datetime) and isinstance(captured, str):
        same = value == datetime.fromisoformat(captured.replace("Z", "+00:00"))
        return [] if same else [f"{where}: {value!r} is not {captured!r}"]
    if type(value) is not type(captured) or value != captured:
        return [f"{where}: {value!r} ({type(value).__name__}) is not {captured!r}"]
    return []


@pytest.fixture(scope="module")
def simulators() -> Iterator[dict[str, Simulator]]:
    """One simulator per profile, started on first use."""
    started: dict[str, Simulator] = {}
    yield started
    for sim in started.values():
        sim.stop()


def serving(simulators: dict[str, Simulator], capture: Capture) -> Simulator:
    sim = simulators.get(capture.profile)
    if sim is None:
        sim = simulators[capture.profile] = Simulator(
            rate_limit=False, profile=capture.profile
        ).start()
    sim.clear_faults()
    sim.reset_stats()
    sim.inject("body", path=capture.path, body=capture.raw(), times=None)
    return sim


def test_every_capture_is_listed() -> None:
    on_disk = {str(path.relative_to(WEBUI)) for path in WEBUI.glob("*/*.json")}
    assert on_disk == {capture.file for capture in CAPTURES}


@pytest.mark.parametrize("capture", params())
def test_the_capture_parses_with_every_key_and_value_kept(capture: Capture) -> None:
    parsed = capture.model.from_json(capture.text())
    assert isinstance(parsed, capture.model)
    captured = json.loads(capture.text())
    assert differences(parsed.to_dict(), captured) == []
    assert json.loads(parsed.to_json()) == captured  # and written back as it came


@pytest.mark.parametrize("capture", params())
def test_the_simulator_serves_it_and_peblar_web_reads_it(
    simulators: dict[str, Simulator], capture: Capture
) -> None:
    sim = serving(simulators, capture)
    with PeblarWeb(sim.host, "peblar", rate_limit=False) as web:
        read = capture.read(web)
    assert differences(read, capture.expect(json.loads(capture.text()))) == []
    routes = sim.stats().by_route
    assert routes.get(f"GET {capture.path}", 0) >= 1, routes  # the capture was the answer


def test_known_enum_values_are_read_as_members() -> None:
    user = models.UserConfiguration.from_json((WEBUI / "ha/user_configuration.json").read_text())
    assert user.solar_charging_mode is models.SolarChargingMode.PURE_SOLAR
    assert user.hmi_led_intensity_mode is models.LedIntensityMode.FIXED
    assert user.local_rest_api_access_mode is models.RestApiAccessMode.READ_WRITE
    assert user.modbus_server_access_mode is models.ModbusAccessMode.READ_ONLY
    assert isinstance(user.hmi_buzzer_volume, models.BuzzerVolume)
    assert user.hmi_buzzer_volume.value == 1


@pytest.mark.parametrize(
    ("file", "mode"),
    [
        ("ha/user_configuration.json", "pure_solar"),  # the facts file: the HA capture
        ("python-peblar/user_configuration.json", "default"),
        ("python-peblar/user_configuration_scheduled.json", "scheduled"),
    ],
)
def test_smart_charging_mode_of_the_captures(
    simulators: dict[str, Simulator], file: str, mode: str
) -> None:
    (capture,) = (capture for capture in CAPTURES if capture.file == file)
    sim = serving(simulators, capture)
    with PeblarWeb(sim.host, "peblar", rate_limit=False) as web:
        assert web.smart_charging_mode() == mode


def test_a_bare_null_vehicle_list_reads_as_none_and_no_tokens(
    simulators: dict[str, Simulator],
) -> None:
    """With ISO 15118 off the charger answers a bare ``null`` (the facts file, §5)."""
    from pyPeblar.webui.api.tokens_api import TokensApi

    assert models.VehicleTokenList.from_dict(None) is None
    path = f"{BASE}/config/auth/vehicle-standalonelist"
    sim = simulators.get("three-phase-socket") or serving(simulators, CAPTURES[0])
    sim.clear_faults()
    sim.inject("body", path=path, body=b"null", times=None)
    with PeblarWeb(sim.host, "peblar", rate_limit=False) as web:
        assert web.vehicle_tokens() == []
        web.login()
        assert TokensApi(web.api_client).list_vehicle_tokens() is None
