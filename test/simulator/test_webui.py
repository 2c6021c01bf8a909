"""The simulator's web-interface API over real HTTP: every endpoint, the session rules, the
settings that act on the local REST API, the shared RFID list, meter history, reboot and update.

Every answer is validated against ``openapi/webui.yaml`` by ``WebClient`` (test/simulator/web.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import pytest

from pyPeblar.simulator import Simulator
from test.conftest import wait_until
from test.simulator.web import WebClient, client_of, schema_problems, web_spec

USER_KEYS = set(web_spec()["components"]["schemas"]["UserConfiguration"]["properties"])
WRITABLE = set(web_spec()["components"]["schemas"]["UserConfigurationUpdate"]["properties"])


def start(**options: Any) -> Simulator:
    sim = Simulator(rate_limit=False, **options).start()
    sim.reboot_duration = 0.2
    return sim


@pytest.fixture
def sim() -> Iterator[Simulator]:
    simulator = start()
    yield simulator
    simulator.stop()


class TestSpec:
    def test_every_schema_example_matches_its_schema(self) -> None:
        for name, schema in web_spec()["components"]["schemas"].items():
            assert schema_problems(schema, schema["example"]) == [], name

    def test_every_response_schema_is_lenient(self) -> None:
        for name, schema in web_spec()["components"]["schemas"].items():
            request = name.endswith("Request") or name == "UserConfigurationUpdate"
            if schema.get("type") == "object" and not request:
                assert schema.get("x-peblar-lenient") is True, name

    def test_no_name_is_shared_with_the_local_spec(self, spec: dict[str, Any]) -> None:
        web = web_spec()
        assert not set(web["components"]["schemas"]) & set(spec["components"]["schemas"])
        local_tags = {tag["name"] for tag in spec["tags"]}
        assert not {tag["name"] for tag in web["tags"]} & local_tags


class TestSession:
    def test_login(self, sim: Simulator) -> None:
        client = WebClient(sim)
        assert client.login("wrong") == 401
        assert client.status("POST", "/auth/login", {"PersistentSession": False}) == 400
        assert (
            client.status("POST", "/auth/login", {"Password": "peblar", "PersistentSession": 1})
            == 400
        )
        assert client.get("/auth/status")["Active"] is False
        assert client.login() == 200
        status = client.get("/auth/status")
        assert status["Active"] is True
        assert status["VersionHash"] > 2**31

    @pytest.mark.parametrize(
        ("method", "path"),
        [
            ("GET", "/config/user"),
            ("PATCH", "/config/user"),
            ("GET", "/config/api-token"),
            ("POST", "/config/api-token"),
            ("GET", "/system/info"),
            ("PUT", "/system/identify"),
            ("POST", "/system/reboot"),
            ("GET", "/config/auth/standalonelist"),
            ("DELETE", "/config/auth/standalonelist/04A1B2C3"),
            ("GET", "/statistics/meterhistory"),
            ("POST", "/auth/logout"),
        ],
    )
    def test_everything_else_needs_a_session(self, sim: Simulator, method: str, path: str) -> None:
        client = WebClient(sim)
        client.cookie = "peblar_session=forged"
        assert client.status(method, path, {}) == 401
        assert sim.rfid_tokens == {"04A1B2C3": "Garage card"}
        assert sim.identify_count == 0

    def test_logout_ends_the_session(self, web: WebClient) -> None:
        web.ok("POST", "/auth/logout")
        assert web.status("GET", "/config/user") == 401
        assert web.get("/auth/status")["Active"] is False

    def test_unknown_path_and_method(self, web: WebClient) -> None:
        assert web.status("GET", "/config/nothing") == 404
        status, _, response = web.request("DELETE", "/config/user")
        assert status == 405
        assert response.headers["Allow"] == "GET, PATCH"


class TestUserConfiguration:
    def test_every_key_with_the_captures_values(self, web: WebClient, sim: Simulator) -> None:
        settings = web.get("/config/user")
        required = set(web_spec()["components"]["schemas"]["UserConfiguration"]["required"])
        assert required <= set(settings) <= USER_KEYS
        assert settings["TimeZone"] == "Europe/Amsterdam"
        assert settings["ConnectedPhases"] == 3
        assert settings["UserDefinedChargeLimitCurrent"] == 16
        assert (settings["LocalRestApiEnable"], settings["LocalRestApiAccessMode"]) == (
            True,
            "ReadWrite",
        )
        assert settings == sim.user_configuration

    def test_writes_read_back(self, web: WebClient) -> None:
        change = {
            "HmiBuzzerVolume": 4,
            "HmiLedIntensityMode": "Fixed",
            "HmiLedIntensityManual": 22,
            "UserKeepSocketLocked": True,
            "ModbusServerEnable": False,
            "ModbusServerAccessMode": "ReadWrite",
            "ScheduledChargingEnable": True,
            "UserDefinedChargeLimitCurrent": 10,
            "UserDefinedHouseholdPowerLimit": 15000,
            "UserDefinedHouseholdPowerLimitEnable": True,
        }
        web.ok("PATCH", "/config/user", change)
        settings = web.get("/config/user")
        assert {key: settings[key] for key in change} == change

    @pytest.mark.parametrize(
        ("change", "words"),
        [
            ({"Nonsense": 1}, "unknown key Nonsense"),
            ({"TimeZone": "UTC"}, "TimeZone is read-only"),
            ({"SolarChargingAllowed": True}, "SolarChargingAllowed is read-only"),
            ({"HmiBuzzerVolume": 5}, "HmiBuzzerVolume"),
            ({"HmiBuzzerVolume": True}, "HmiBuzzerVolume"),
            ({"HmiLedIntensityMode": "Dim"}, "HmiLedIntensityMode"),
            ({"HmiLedIntensityManual": 101}, "HmiLedIntensityManual"),
            ({"LocalRestApiAccessMode": "readwrite"}, "LocalRestApiAccessMode"),
            ({"UserKeepSocketLocked": "yes"}, "UserKeepSocketLocked"),
            ({"UserDefinedChargeLimitCurrent": 17}, "UserDefinedChargeLimitCurrent"),
            ({"SolarChargingMode": "CustomSolar"}, "SolarChargingMode"),  # before 1.10
            ({"SolarChargingCustomPowerTarget": 0}, "unknown key"),  # before 1.10
            ({}, "nothing to change"),
            ({"HmiBuzzerVolume": 3, "Nonsense": 1}, "Nonsense"),
        ],
    )
    def test_bad_writes_are_400_and_change_nothing(
        self, web: WebClient, change: dict[str, Any], words: str
    ) -> None:
        before = web.get("/config/user")
        status, body, _ = web.request("PATCH", "/config/user", change)
        assert status == 400
        assert words in body["statusmsg"]
        assert web.get("/config/user") == before

    @pytest.mark.parametrize(
        ("allowed", "change"),
        [
            ("LocalRestApiAllowed", {"LocalRestApiEnable": False}),
            ("LocalRestApiAllowed", {"LocalRestApiAccessMode": "ReadOnly"}),
            ("ModbusServerAllowed", {"ModbusServerEnable": False}),
            ("ModbusServerAllowed", {"ModbusServerAccessMode": "ReadWrite"}),
            ("SolarChargingAllowed", {"SolarChargingEnable": True}),
            ("SolarChargingAllowed", {"SolarChargingMode": "MaxSolar"}),
            ("ScheduledChargingAllowed", {"ScheduledChargingEnable": True}),
        ],
    )
    def test_not_allowed_is_403(
        self, web: WebClient, sim: Simulator, allowed: str, change: dict[str, Any]
    ) -> None:
        sim.configure(**{allowed: False})
        status, body, _ = web.request("PATCH", "/config/user", change)
        assert status == 403
        assert allowed in body["statusmsg"]

    def test_custom_solar_from_1_10(self) -> None:
        sim = start(profile="future-firmware")
        try:
            web = client_of(sim)
            change = {
                "SolarChargingEnable": True,
                "SolarChargingMode": "CustomSolar",
                "SolarChargingCustomPowerTarget": -500,
                "SolarChargingCustomPowerThreshold": 1400,
                "SolarChargingCustomAlwaysCharge": True,
            }
            web.ok("PATCH", "/config/user", change)
            settings = web.get("/config/user")
            assert {key: settings[key] for key in change} == change
        finally:
            sim.stop()


class TestSettingsActOnTheLocalApi:
    def test_switching_the_local_api_off_and_on(self, web: WebClient) -> None:
        assert web.local("GET", "/system")[0] == 200
        web.ok("PATCH", "/config/user", {"LocalRestApiEnable": False})
        assert web.local("GET", "/system")[0] == 404
        assert web.local("GET", "/health")[0] == 404
        web.ok("PATCH", "/config/user", {"LocalRestApiEnable": True})
        assert web.local("GET", "/system")[0] == 200

    def test_access_mode(self, web: WebClient) -> None:
        web.ok("PATCH", "/config/user", {"LocalRestApiAccessMode": "ReadOnly"})
        assert web.local("GET", "/health")[1]["AccessMode"] == "ReadOnly"
        assert web.local("PATCH", "/evinterface", {"ChargeCurrentLimit": 10000})[0] == 403
        web.ok("PATCH", "/config/user", {"LocalRestApiAccessMode": "ReadWrite"})
        assert web.local("PATCH", "/evinterface", {"ChargeCurrentLimit": 10000})[0] == 200

    def test_a_solar_mode_is_the_limit_source(self, web: WebClient, sim: Simulator) -> None:
        sim.plug_in()
        assert web.local("GET", "/evinterface")[1]["ChargeCurrentLimitSource"] == "Local REST API"
        web.ok(
            "PATCH",
            "/config/user",
            {
                "ScheduledChargingEnable": False,
                "SolarChargingEnable": True,
                "SolarChargingMode": "PureSolar",
            },
        )
        ev = web.local("GET", "/evinterface")[1]
        assert (ev["ChargeCurrentLimitSource"], ev["ChargeCurrentLimitActual"]) == (
            "Solar charging",
            8000,
        )
        web.ok("PATCH", "/config/user", {"SolarChargingEnable": False})
        assert web.local("GET", "/evinterface")[1]["ChargeCurrentLimitSource"] == "Local REST API"

    def test_keep_socket_locked(self, web: WebClient) -> None:
        assert web.local("GET", "/evinterface")[1]["LockState"] is False
        web.ok("PATCH", "/config/user", {"UserKeepSocketLocked": True})
        assert web.local("GET", "/evinterface")[1]["LockState"] is True

    def test_installer_settings_shared_with_the_local_api(
        self, web: WebClient, sim: Simulator
    ) -> None:
        sim.ocpp_managed = True
        sim.access_mode = "ReadOnly"
        settings = web.get("/config/user")
        assert settings["SeccOcppActive"] is True
        assert settings["LocalRestApiAccessMode"] == "ReadOnly"
        assert settings["SessionManagerChargeWithoutAuth"] is True


class TestApiToken:
    def test_read_and_renew(self, web: WebClient, sim: Simulator) -> None:
        old = web.get("/config/api-token")["ApiToken"]
        assert old == sim.token
        web.ok("POST", "/config/api-token")
        new = web.get("/config/api-token")["ApiToken"]
        assert new != old and len(new) == 64
        assert web.local("GET", "/meter", token=old)[0] == 401
        assert web.local("GET", "/meter", token=new)[0] == 200


class TestDevice:
    @pytest.mark.parametrize("profile", ["three-phase-socket", "three-phase-cable", "single-phase"])
    def test_system_information_matches_the_profile(self, profile: str) -> None:
        sim = start(profile=profile)
        try:
            web = client_of(sim)
            info = web.get("/system/info")
            local = web.local("GET", "/system")[1]
            assert (info["ProductPn"], info["ProductSn"], info["FwIdent"]) == (
                local["ProductPn"],
                local["ProductSn"],
                local["FirmwareVersion"],
            )
            assert info["HwOneOrThreePhase"] == local["PhaseCount"]
            assert info["HwMaxCurrent"] * 1000 == sim.profile.max_current_ma
            assert info["HwHasSocket"] is sim.profile.has_lock_state
        finally:
            sim.stop()

    def test_ntp_mode_and_identify(self, web: WebClient, sim: Simulator) -> None:
        assert web.get("/system/ntp-sync") == {"TimeSynced": True}
        assert web.get("/system/web-interface-mode") == {"Mode": "dashboard"}
        web.ok("PUT", "/system/identify")
        web.ok("PUT", "/system/identify")
        assert sim.identify_count == 2

    def test_versions(self, web: WebClient, sim: Simulator) -> None:
        assert web.get("/system/software/automatic-update/current-versions") == {
            "Customization": "Peblar-1.9",
            "Firmware": "1.9.2+1+WL-1",
        }
        for cache in ("true", "false"):
            available = web.get(
                "/system/software/automatic-update/available-versions", query={"UseCache": cache}
            )
            assert available == {"Customization": "Peblar-1.10", "Firmware": "1.10.0+1+WL-1"}

    def test_reboot(self, web: WebClient, sim: Simulator) -> None:
        assert web.status("POST", "/system/reboot", {"RebootType": "SoftReboot"}) == 400
        web.ok("POST", "/system/reboot", {"RebootType": "HardReboot"})
        web.wait_until_rebooted()
        assert web.login() == 200
        assert web.get("/auth/status")["Active"] is True
        assert web.local("GET", "/health")[0] == 200

    def test_update_installs_reboots_and_moves_the_paths(
        self, web: WebClient, sim: Simulator
    ) -> None:
        versions = "/system/software/automatic-update/current-versions"
        hash_before = web.get("/auth/status")["VersionHash"]
        assert web.status("GET", "/connector/plug-state") == 404
        web.ok(
            "POST", "/system/software/automatic-update/update", {"Package-Type": "Customization"}
        )
        web.wait_until_rebooted()
        assert web.login() == 200
        assert web.get(versions)["Customization"] == "Peblar-1.10"
        web.ok("POST", "/system/software/automatic-update/update", {"Package-Type": "Firmware"})
        web.wait_until_rebooted()
        assert web.login() == 200
        assert web.get(versions) == {"Customization": "Peblar-1.10", "Firmware": "1.10.0+1+WL-1"}
        assert web.get("/auth/status")["VersionHash"] != hash_before
        assert web.local("GET", "/system")[1]["FirmwareVersion"] == "1.10.0+1+WL-1"
        assert web.get("/connector/plug-state")["ConnectorId"] == "1"  # 1.10 moved it
        assert web.status("GET", "/system/connector") == 404
        assert "SolarChargingCustomPowerTarget" in web.get("/config/user")
        for package in ("Firmware", "Customization"):
            update = {"Package-Type": package}
            assert web.status("POST", "/system/software/automatic-update/update", update) == 400
        assert (
            web.status("POST", "/system/software/automatic-update/update", {"Package-Type": "X"})
            == 400
        )

    def test_nothing_newer(self, web: WebClient, sim: Simulator) -> None:
        sim.available_firmware = None
        available = web.get("/system/software/automatic-update/available-versions")
        assert available == web.get("/system/software/automatic-update/current-versions")


class TestConnector:
    def test_before_1_10(self, web: WebClient, sim: Simulator) -> None:
        assert web.get("/system/connector") == {"PluggedInEV": False, "PluggedInEVSE": False}
        sim.plug_in()
        assert web.get("/system/connector") == {"PluggedInEV": True, "PluggedInEVSE": True}
        assert web.status("GET", "/connector/plug-state") == 404
        assert web.status("POST", "/connector/socket-unlock") == 404
        assert web.local("GET", "/evinterface")[1]["LockState"] is True
        web.ok("POST", "/system/socket-unlock")
        assert web.local("GET", "/evinterface")[1]["LockState"] is False

    def test_from_1_10(self) -> None:
        sim = start(profile="future-firmware")
        try:
            web = client_of(sim)
            sim.plug_in()
            assert web.get("/connector/plug-state") == {
                "ConnectorId": "1",
                "PluggedInEV": True,
                "PluggedInEVSE": True,
            }
            assert web.status("GET", "/system/connector") == 404
            assert web.status("POST", "/system/socket-unlock") == 404
            web.ok("POST", "/connector/socket-unlock")
        finally:
            sim.stop()

    def test_a_fixed_cable_is_always_in_the_charger(self) -> None:
        sim = start(profile="three-phase-cable")
        try:
            assert client_of(sim).get("/system/connector")["PluggedInEVSE"] is True
        finally:
            sim.stop()


class TestTokens:
    def test_rfid_list_is_the_one_authorize_checks(self, web: WebClient, sim: Simulator) -> None:
        assert web.get("/config/auth/standalonelist") == {
            "Tokens": [{"RfidTokenDescription": "Garage card", "RfidTokenUid": "04A1B2C3"}]
        }
        sim.configure(SessionManagerChargeWithoutAuth=False)  # cars wait for a card
        sim.plug_in()
        session = {"Method": "Rfid", "Token": "0A0B0C0D"}
        assert web.local("POST", "/authorization/charge-session", session)[0] == 403
        guest = {"RfidTokenUid": "0A0B0C0D", "RfidTokenDescription": "Guest"}
        web.ok("POST", "/config/auth/standalonelist", guest)
        assert web.status("POST", "/config/auth/standalonelist", guest) == 400
        assert web.get("/config/auth/standalonelist/0A0B0C0D") == guest
        assert web.local("POST", "/authorization/charge-session", session)[0] == 202
        wait_until(lambda: sim.authorized, 10.0)
        by_name = {"Method": "Rfid", "Name": "Guest"}
        assert web.local("POST", "/authorization/charge-session", by_name)[0] == 202
        wait_until(lambda: not sim.authorized, 10.0)
        web.ok("DELETE", "/config/auth/standalonelist/0A0B0C0D")
        assert web.status("GET", "/config/auth/standalonelist/0A0B0C0D") == 404
        assert web.status("DELETE", "/config/auth/standalonelist/0A0B0C0D") == 404
        assert web.local("POST", "/authorization/charge-session", session)[0] == 403
        assert sim.rfid_tokens == {"04A1B2C3": "Garage card"}

    @pytest.mark.parametrize(
        "body",
        [
            {"RfidTokenDescription": "x"},
            {"RfidTokenUid": 5},
            {"RfidTokenUid": ""},
            [1],
            {"RfidTokenUid": "0A0B0C0D\n", "RfidTokenDescription": "x"},
            {"RfidTokenUid": "0A0B0C0", "RfidTokenDescription": "x"},  # not whole bytes
            {"RfidTokenUid": "0A" * 11, "RfidTokenDescription": "x"},  # 11 bytes
            {"RfidTokenUid": "0A0B0C0D", "RfidTokenDescription": "Guest\r\nX-Evil: 1"},
            {"RfidTokenUid": "0A0B0C0D", "RfidTokenDescription": "x" * 65},
        ],
    )
    def test_bad_rfid(self, web: WebClient, sim: Simulator, body: object) -> None:
        assert web.status("POST", "/config/auth/standalonelist", body) == 400
        assert sim.rfid_tokens == {"04A1B2C3": "Garage card"}

    @pytest.mark.parametrize(
        "car",
        [
            {"EvccId": "00:1A:2B:3C:4D:5E\n", "Alias": "x"},
            {"EvccId": "car one", "Alias": "x"},
            {"EvccId": "E" * 65, "Alias": "x"},
            {"EvccId": "00:1A:2B:3C:4D:5E", "Alias": "Family\x00car"},
            {"EvccId": "00:1A:2B:3C:4D:5E", "Alias": "x" * 65},
        ],
    )
    def test_bad_vehicle(self, web: WebClient, sim: Simulator, car: object) -> None:
        sim.configure(Iso15118CommunicationEnable=True)
        assert web.status("POST", "/config/auth/vehicle-standalonelist", car) == 400
        assert web.get("/config/auth/vehicle-standalonelist") == {"VehicleTokens": []}

    def test_vehicles(self, web: WebClient, sim: Simulator) -> None:
        _, body, response = web.request("GET", "/config/auth/vehicle-standalonelist")
        assert body is None and response.data.strip() == b"null"  # ISO 15118 off
        car = {"EvccId": "00:1A:2B:3C:4D:5E", "Alias": "Family car", "Authorize": True}
        assert web.status("POST", "/config/auth/vehicle-standalonelist", car) == 403
        sim.configure(Iso15118CommunicationEnable=True)
        assert web.get("/config/auth/vehicle-standalonelist") == {"VehicleTokens": []}
        web.ok("POST", "/config/auth/vehicle-standalonelist", car)
        assert web.status("POST", "/config/auth/vehicle-standalonelist", car) == 400
        assert web.get("/config/auth/vehicle-standalonelist") == {
            "VehicleTokens": [{"Alias": "Family car", "EvccId": "00:1A:2B:3C:4D:5E"}]
        }
        web.ok("DELETE", "/config/auth/vehicle-standalonelist/00:1A:2B:3C:4D:5E")
        assert web.status("DELETE", "/config/auth/vehicle-standalonelist/00:1A:2B:3C:4D:5E") == 404


def iso(moment: float, *, naive_in: Any = None) -> str:
    when = datetime.fromtimestamp(moment, timezone.utc)
    if naive_in is not None:
        return when.astimezone(naive_in).replace(tzinfo=None).isoformat()
    return when.isoformat()


class TestStatistics:
    def test_meter_history_grows_as_sessions_end(self, web: WebClient, sim: Simulator) -> None:
        path = "/statistics/meterhistory"
        assert web.get(path) == {"NoSessions": True}
        assert web.get("/statistics/session") == {"data": []}
        total_before = sim.energy_total_wh
        sim.plug_in()
        running = web.get(path)["Session"]
        assert len(running) == 1
        assert running[0]["SessionEndTime"] is None and running[0]["SessionEndEnergymWh"] is None
        sim.advance(3600)
        sim.unplug()
        history = web.get(path)
        assert history["Corrupted"] is False
        assert history["MetaData"]["ProductSn"] == sim.profile.product_sn
        (first,) = history["Session"]
        assert first["SessionNumber"] == 1 and first["AuthToken"] is None
        assert first["SessionEndTime"] - first["SessionStartTime"] >= 3600
        energy_wh = (first["SessionEndEnergymWh"] - first["SessionStartEnergymWh"]) / 1000
        assert energy_wh == pytest.approx(sim.energy_session_wh, abs=1)
        assert energy_wh > 10000  # an hour at 16 A on three phases
        assert first["SessionStartEnergymWh"] // 1000 == total_before

        # A second session, authorised by a card through the local REST API.
        sim.configure(SessionManagerChargeWithoutAuth=False)
        sim.advance(7200)
        sim.plug_in()
        assert (
            web.local(
                "POST", "/authorization/charge-session", {"Method": "Rfid", "Token": "04A1B2C3"}
            )[0]
            == 202
        )
        wait_until(lambda: sim.authorized, 10.0)
        sim.advance(1800)
        sim.unplug()
        first, second = web.get(path)["Session"]
        assert (second["SessionNumber"], second["AuthToken"]) == (2, "04A1B2C3")
        assert second["SessionStartTime"] >= first["SessionEndTime"] + 7200

        # Filters: sessions overlapping the range; local time when naive; garbage is ignored.
        end_first = first["SessionEndTime"]
        only_second = web.get(path, query={"StartTime": iso(end_first + 60)})["Session"]
        assert [s["SessionNumber"] for s in only_second] == [2]
        only_first = web.get(path, query={"StopTime": iso(end_first + 60)})["Session"]
        assert [s["SessionNumber"] for s in only_first] == [1]
        from zoneinfo import ZoneInfo

        amsterdam = ZoneInfo("Europe/Amsterdam")
        naive = web.get(path, query={"StartTime": iso(end_first + 60, naive_in=amsterdam)})
        assert [s["SessionNumber"] for s in naive["Session"]] == [2]
        none = web.get(path, query={"StartTime": iso(second["SessionEndTime"] + 60)})
        assert none["Session"] == [] and none["CorruptedSession"] == []
        for garbage in ({"StartTime": str(end_first + 60)}, {"StopTime": "yesterday"}):
            assert len(web.get(path, query=garbage)["Session"]) == 2

        graph = web.get("/statistics/session")["data"]
        assert len(graph) == 1800 // 300
        assert graph[0]["timestamp"] > graph[-1]["timestamp"]  # newest first
        assert all(point["averagePower"][0] > 3000 for point in graph)

        history = web.get("/statistics/history")
        booked = sum(sum(month["Energy"]) for month in history["HistoryMonth"])
        assert booked == sum(sum(year["Energy"]) for year in history["HistoryYear"])
        sessions_wh = sum(
            (s["SessionEndEnergymWh"] - s["SessionStartEnergymWh"]) // 1000 for s in (first, second)
        )
        assert booked == sessions_wh
        assert all(len(year["Energy"]) == 12 for year in history["HistoryYear"])

    def test_schedules(self, web: WebClient) -> None:
        path = "/config/scheduledcharging/schedules"
        days = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
        assert web.get(path) == {day: [] for day in days}
        week: dict[str, list[dict[str, int]]] = {day: [] for day in days} | {
            "Monday": [
                {"CurrentLimit": 16, "StartTime": 1320},
                {"CurrentLimit": 0, "StartTime": 420},
            ]
        }
        web.ok("POST", path, week)
        assert web.get(path)["Monday"] == [
            {"CurrentLimit": 0, "StartTime": 420},
            {"CurrentLimit": 16, "StartTime": 1320},
        ]
        partial: dict[str, list[dict[str, int]]] = {"Monday": []}
        status, body, _ = web.request("POST", path, partial)
        assert status == 400 and "Sunday" in body["statusmsg"]
        for slots in (
            [{"CurrentLimit": 16, "StartTime": 1440}],
            [{"CurrentLimit": 33, "StartTime": 0}],  # more than any Peblar gives
            [{"CurrentLimit": 6, "StartTime": minute} for minute in range(49)],  # 49 slots
        ):
            assert web.status("POST", path, week | {"Tuesday": slots}) == 400
        assert web.get(path)["Monday"][0]["StartTime"] == 420  # unchanged


#: For each operation of the spec, a request that succeeds on the default simulator (the
#: ``*_legacy`` ones on it too: its firmware is 1.9.2) or, marked "new", on 1.10 firmware.
EVERY_OPERATION: dict[str, tuple[str, str, object]] = {
    "login": ("POST", "/auth/login", {"Password": "peblar"}),
    "get_auth_status": ("GET", "/auth/status", None),
    "get_user_configuration": ("GET", "/config/user", None),
    "update_user_configuration": ("PATCH", "/config/user", {"HmiBuzzerVolume": 0}),
    "get_api_token": ("GET", "/config/api-token", None),
    "renew_api_token": ("POST", "/config/api-token", None),
    "get_system_information": ("GET", "/system/info", None),
    "get_ntp_sync": ("GET", "/system/ntp-sync", None),
    "get_web_interface_mode": ("GET", "/system/web-interface-mode", None),
    "identify": ("PUT", "/system/identify", None),
    "get_current_versions": ("GET", "/system/software/automatic-update/current-versions", None),
    "get_available_versions": ("GET", "/system/software/automatic-update/available-versions", None),
    "get_plug_state_legacy": ("GET", "/system/connector", None),
    "unlock_socket_legacy": ("POST", "/system/socket-unlock", None),
    "get_plug_state": ("GET", "/connector/plug-state", "new"),
    "unlock_socket": ("POST", "/connector/socket-unlock", "new"),
    "list_rfid_tokens": ("GET", "/config/auth/standalonelist", None),
    "add_rfid_token": (
        "POST",
        "/config/auth/standalonelist",
        {"RfidTokenUid": "0A0B0C0E", "RfidTokenDescription": "x"},
    ),
    "get_rfid_token": ("GET", "/config/auth/standalonelist/04A1B2C3", None),
    "delete_rfid_token": ("DELETE", "/config/auth/standalonelist/04A1B2C3", None),
    "list_vehicle_tokens": ("GET", "/config/auth/vehicle-standalonelist", None),
    "add_vehicle_token": (
        "POST",
        "/config/auth/vehicle-standalonelist",
        {"EvccId": "E1", "Alias": "a"},
    ),
    "delete_vehicle_token": ("DELETE", "/config/auth/vehicle-standalonelist/E1", None),
    "get_meter_history": ("GET", "/statistics/meterhistory", None),
    "get_session_graph": ("GET", "/statistics/session", None),
    "get_energy_history": ("GET", "/statistics/history", None),
    "get_charging_schedules": ("GET", "/config/scheduledcharging/schedules", None),
    "set_charging_schedules": (
        "POST",
        "/config/scheduledcharging/schedules",
        {
            day: []
            for day in (
                "Monday",
                "Tuesday",
                "Wednesday",
                "Thursday",
                "Friday",
                "Saturday",
                "Sunday",
            )
        },
    ),
    "reboot": ("POST", "/system/reboot", {"RebootType": "HardReboot"}),
    "start_update": (
        "POST",
        "/system/software/automatic-update/update",
        {"Package-Type": "Firmware"},
    ),
    "logout": ("POST", "/auth/logout", None),
}


def test_every_operation_of_the_spec_answers_as_the_spec_says() -> None:
    operations = {
        operation["operationId"]
        for item in web_spec()["paths"].values()
        for method, operation in item.items()
        if method != "parameters"
    }
    assert operations == set(EVERY_OPERATION)
    old, new = start(), start(profile="future-firmware")
    try:
        for sim in (old, new):
            sim.configure(Iso15118CommunicationEnable=True)
            sim.plug_in()
            web = client_of(sim)
            for name, (method, path, body) in EVERY_OPERATION.items():
                if (body == "new") != (sim is new) or name in ("reboot", "start_update"):
                    continue
                assert web.status(method, path, None if body == "new" else body) == 200, name
            for name in ("start_update", "reboot"):  # last: they take the charger down
                if sim is old:
                    method, path, body = EVERY_OPERATION[name]
                    web = client_of(sim)
                    assert web.status(method, path, body) == 200, name
                    web.wait_until_rebooted()
    finally:
        old.stop()
        new.stop()
