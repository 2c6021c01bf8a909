"""The web interface's commands (`config`, `smart-charging`, `rfid`, `history`, `versions`,
`update`, `identify`, `reboot`), their password sources and `check` of the web interface, against a
real simulator: in-process through ``pyPeblar.cli.main`` and, where standard input and the process
boundary matter, as the real `pypeblar` script."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from pyPeblar import Peblar, PeblarError
from pyPeblar.simulator import Simulator
from test.cli import SECRET, Cli, ok, usage_error
from test.test_cli import own_arguments, run


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator(password=SECRET) as simulator:
        simulator.reboot_duration = 0.05
        yield simulator


def back_after_reboot(sim: Simulator, *, uptime_below: float, deadline: float = 60) -> None:
    """Wait until the simulator answers again with an uptime below ``uptime_below`` seconds."""
    give_up = time.monotonic() + deadline
    while True:
        try:
            with Peblar(sim.host, sim.token, timeout=(1.0, 2.0), retries=0) as charger:
                uptime = charger.system().uptime
            if uptime is not None and uptime < uptime_below:
                return
        except PeblarError:
            pass
        assert time.monotonic() < give_up, "the simulator did not come back"
        time.sleep(0.05)


# -- config -------------------------------------------------------------------------------------


class TestConfig:
    def test_shows_every_setting(self, cli: Cli, sim: Simulator) -> None:
        out = ok(cli("config"))
        assert out.startswith("Smart charging: default\n")
        assert "Settings you can change (pypeblar config set KEY=VALUE):" in out
        assert "Read-only (set by the installer):" in out
        changeable, _, fixed = out.partition("Read-only")
        assert "UserKeepSocketLocked" in changeable and "SolarChargingAllowed" in fixed
        for key in sim.user_configuration:
            assert f"  {key} " in out
        assert "  GroupLoadBalancingRole  " in out or '""' in out  # an empty string is shown

    def test_json_is_the_chargers_own_keys(self, cli: Cli, sim: Simulator) -> None:
        sim.configure(SomeNewKey=1)
        document = cli("--json", "config").json
        assert document == sim.user_configuration
        assert cli("config", "--json").json == document

    def test_set_by_wire_or_snake_case_names(self, cli: Cli, sim: Simulator) -> None:
        out = ok(
            cli(
                "config",
                "set",
                "UserKeepSocketLocked=true",
                "hmi_buzzer_volume=2",
                "HmiLedIntensityMode=Fixed",
                "hmi_led_intensity_manual=40",
            )
        )
        assert out.splitlines()[0] == "Changed; the charger now reports:"
        assert "  UserKeepSocketLocked   true" in out
        assert "  HmiBuzzerVolume        2" in out
        assert "  HmiLedIntensityMode    Fixed" in out
        settings = sim.user_configuration
        assert settings["UserKeepSocketLocked"] is True
        assert settings["HmiBuzzerVolume"] == 2
        assert settings["HmiLedIntensityManual"] == 40

    def test_set_json_shows_the_whole_configuration(self, cli: Cli, sim: Simulator) -> None:
        document = cli("--json", "config", "set", "UserDefinedChargeLimitCurrent=10").json
        assert document["UserDefinedChargeLimitCurrent"] == 10
        assert document == sim.user_configuration

    @pytest.mark.parametrize(
        ("argument", "words"),
        [
            ("NoSuchSetting=1", ("not a setting the web interface can change", "NoSuchSetting")),
            ("SolarChargingAllowed=false", ("not a setting", "SolarChargingAllowed")),
            ("UserKeepSocketLocked", ("is not KEY=VALUE",)),
            ("=true", ("is not KEY=VALUE",)),
            ("HmiBuzzerVolume=loud", ("HmiBuzzerVolume", "expects an integer")),
            ("HmiBuzzerVolume=9", ("HmiBuzzerVolume", "9 is not in BuzzerVolume")),
            ('HmiBuzzerVolume="1"', ("HmiBuzzerVolume", '"1" where', "expects an integer")),
            ("HmiBuzzerVolume=true", ("HmiBuzzerVolume", "true where", "expects an integer")),
            ("hmi_buzzer_volume=1.5", ("HmiBuzzerVolume", "expects an integer")),
            ("UserKeepSocketLocked=1", ("UserKeepSocketLocked", "expects true or false")),
            ("UserKeepSocketLocked=[true]", ("UserKeepSocketLocked", "expects true or false")),
            ("HmiLedIntensityMode=fixed", ("HmiLedIntensityMode", "not in LedIntensityMode")),
            ("HmiBuzzerVolume=" + "[" * 100_000, ("deeper than 32 levels",)),
            ("HmiBuzzerVolume=" + '"' + "[" * 100_000 + '"', ("expects an integer",)),
        ],
    )
    def test_set_usage_errors(
        self, cli: Cli, sim: Simulator, argument: str, words: tuple[str, ...]
    ) -> None:
        before = sim.user_configuration
        usage_error(cli("config", "set", argument), *words)
        assert sim.user_configuration == before

    def test_set_a_key_twice_or_nothing(self, cli: Cli) -> None:
        usage_error(cli("config", "set", "HmiBuzzerVolume=1", "hmi_buzzer_volume=2"), "twice")
        usage_error(cli("config", "set"), "KEY=VALUE")
        usage_error(cli("config", "frobnicate"), "invalid choice")

    def test_a_setting_the_charger_does_not_allow_is_refused(
        self, cli: Cli, sim: Simulator
    ) -> None:
        sim.configure(UserDefinedHouseholdPowerLimitAllowed=False)
        result = cli("config", "set", "UserDefinedHouseholdPowerLimit=1000")
        assert result.code == 5, result.err
        assert "UserDefinedHouseholdPowerLimitAllowed" in result.err


# -- smart charging -----------------------------------------------------------------------------


class TestSmartCharging:
    def test_show_and_switch(self, cli: Cli, sim: Simulator) -> None:
        assert ok(cli("smart-charging")).split() == ["Smart", "charging", "default"]
        out = ok(cli("smart-charging", "pure-solar"))
        assert out.startswith("Smart charging set to pure_solar.\n")
        settings = sim.user_configuration
        assert (settings["SolarChargingEnable"], settings["SolarChargingMode"]) == (
            True,
            "PureSolar",
        )
        assert sim.snapshot()["evinterface"]["ChargeCurrentLimitSource"] == "Solar charging"
        document = cli("--json", "smart-charging").json
        assert document["mode"] == "pure_solar"
        assert document["SolarChargingMode"] == "PureSolar"
        ok(cli("smart-charging", "scheduled"))
        assert sim.user_configuration["ScheduledChargingEnable"] is True
        ok(cli("smart-charging", "DEFAULT"))
        assert sim.user_configuration["SolarChargingEnable"] is False

    def test_usage_errors(self, cli: Cli, sim: Simulator) -> None:
        usage_error(cli("smart-charging", "solar"), "invalid choice", "pure_solar")
        usage_error(
            cli("smart-charging", "pure_solar", "--power-target", "-500"),
            "--power-target go with custom_solar only",
        )
        usage_error(cli("smart-charging", "--always-charge"), "custom_solar only")
        usage_error(cli("smart-charging", "custom_solar", "--power-target", "lots"), "invalid int")
        assert sim.user_configuration["SolarChargingEnable"] is False

    def test_refused_when_the_charger_does_not_allow_it(self, cli: Cli, sim: Simulator) -> None:
        result = cli("smart-charging", "custom_solar")  # firmware 1.9 has no custom solar
        assert result.code == 5
        assert "1.10" in result.err
        sim.configure(SolarChargingAllowed=False)
        result = cli("smart-charging", "fast_solar")
        assert result.code == 5
        assert "SolarChargingAllowed" in result.err

    def test_custom_solar_after_an_update(self, cli: Cli, sim: Simulator) -> None:
        sim.advance(3600)
        ok(cli("update", "--yes"))
        back_after_reboot(sim, uptime_below=3600)
        out = ok(
            cli(
                "smart-charging",
                "custom_solar",
                "--no-always-charge",
                "--power-target",
                "-500",
                "--power-threshold",
                "1400",
            )
        )
        assert "Always charge   no" in out
        assert "Power target    -500 W" in out
        assert "Threshold       1400 W" in out
        settings = sim.user_configuration
        assert settings["SolarChargingMode"] == "CustomSolar"
        assert settings["SolarChargingCustomPowerTarget"] == -500


# -- RFID -----------------------------------------------------------------------------------------


class TestRfid:
    def test_list_add_remove(self, cli: Cli, sim: Simulator) -> None:
        assert ok(cli("rfid", "list")).split() == ["04A1B2C3", "Garage", "card"]
        out = ok(cli("rfid", "add", "DEADBEEF", "Guest card"))
        assert out.startswith("Added DEADBEEF (Guest card).\n\n")
        assert "DEADBEEF  Guest card" in out
        ok(cli("rfid", "add", "CAFE0001"))
        assert sim.rfid_tokens == {
            "04A1B2C3": "Garage card",
            "DEADBEEF": "Guest card",
            "CAFE0001": "",
        }
        assert cli("--json", "rfid", "list").json[1] == {
            "RfidTokenUid": "DEADBEEF",
            "RfidTokenDescription": "Guest card",
        }
        for uid in ("DEADBEEF", "CAFE0001", "04A1B2C3"):
            assert ok(cli("rfid", "remove", uid)).startswith(f"Removed {uid}.")
        assert sim.rfid_tokens == {}
        assert "No RFID cards" in ok(cli("rfid", "list"))

    def test_the_charger_refuses(self, cli: Cli) -> None:
        assert cli("rfid", "add", "04A1B2C3").code == 5  # already in the list
        assert cli("rfid", "remove", "0B0B0B0B").code == 5

    @pytest.mark.parametrize(
        ("argv", "words"),
        [
            (("rfid",), "required"),
            (("rfid", "add"), "UID"),
            (("rfid", "remove"), "UID"),
            (("rfid", "drop", "X"), "invalid choice"),
            (("rfid", "add", " "), "uid: must be hex digits"),
        ],
    )
    def test_usage_errors(self, cli: Cli, argv: tuple[str, ...], words: str) -> None:
        usage_error(cli(*argv), words)


# -- history ---------------------------------------------------------------------------------------


def rows(out: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(out)))


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text)


class TestHistory:
    @pytest.fixture
    def sessions(self, sim: Simulator) -> Simulator:
        """Two sessions an hour apart: one of 30 minutes, one still running."""
        sim.plug_in()
        sim.advance(1800)
        sim.unplug()
        sim.advance(3600)
        sim.plug_in()
        sim.advance(600)
        return sim

    def test_csv(self, cli: Cli, sessions: Simulator) -> None:
        out = ok(cli("history"))
        assert out.splitlines()[0] == "session,start,end,energy_kwh,rfid_token"
        first, running = rows(out)
        assert first["session"] == "1"
        assert moment(first["end"]) - moment(first["start"]) == timedelta(minutes=30)
        assert 5.0 < float(first["energy_kwh"]) < 6.0  # 11 kW for half an hour
        assert moment(first["start"]).utcoffset() is not None  # the charger's offset is shown
        assert (running["session"], running["end"], running["energy_kwh"]) == ("2", "", "")

    def test_json_is_the_chargers_document(self, cli: Cli, sessions: Simulator) -> None:
        document = cli("history", "--json").json
        assert [s["SessionNumber"] for s in document["Session"]] == [1, 2]
        assert document["Session"][1]["SessionEndTime"] is None
        assert document["MetaData"]["TimeZone"]
        assert cli("--json", "history").json == document

    def test_since_and_until(self, cli: Cli, sessions: Simulator) -> None:
        first, second = rows(ok(cli("history")))
        utc = timezone.utc
        after_first = (moment(first["end"]) + timedelta(minutes=1)).astimezone(utc).isoformat()
        before_second = (moment(second["start"]) - timedelta(minutes=1)).astimezone(utc)
        only_second = rows(ok(cli("history", "--since", after_first)))
        assert [row["session"] for row in only_second] == ["2"]
        only_first = rows(ok(cli("history", "--until", before_second.isoformat())))
        assert [row["session"] for row in only_first] == ["1"]
        both = rows(ok(cli("history", "--since", "2000-01-01", "--until", "2999-12-31T23:00")))
        assert len(both) == 2
        assert ok(cli("history", "--until", "2000-01-01")).splitlines() == [
            "session,start,end,energy_kwh,rfid_token"
        ]

    def test_no_sessions(self, cli: Cli) -> None:
        assert ok(cli("history")) == "session,start,end,energy_kwh,rfid_token\n"
        assert cli("--json", "history").json == {"NoSessions": True}

    @pytest.mark.parametrize(
        ("argv", "words"),
        [
            (("--since", "yesterday"), "'yesterday' is not an ISO 8601 date or date-time"),
            (("--until", "2026-13-01"), "is not an ISO 8601 date"),
            (("--since", "1767225600"), "is not an ISO 8601 date"),
            (("--since", "2026-03-02", "--until", "2026-03-01"), "--since is after --until"),
            (("--since",), "expected one argument"),
        ],
    )
    def test_usage_errors(
        self, cli: Cli, sim: Simulator, argv: tuple[str, ...], words: str
    ) -> None:
        usage_error(cli("history", *argv), words)


# -- versions, update, identify, reboot -----------------------------------------------------------


class TestVersions:
    def test_current_and_available(self, cli: Cli, sim: Simulator) -> None:
        out = ok(cli("versions"))
        assert out.splitlines() == [
            "Firmware       1.9.2+1+WL-1 (1.10.0+1+WL-1 available)",
            "Customization  Peblar-1.9 (Peblar-1.10 available)",
            "",
            "To install: pypeblar update or pypeblar update --package Customization",
        ]
        document = cli("--json", "versions").json
        assert document == {
            "current": {"Customization": "Peblar-1.9", "Firmware": "1.9.2+1+WL-1"},
            "available": {"Customization": "Peblar-1.10", "Firmware": "1.10.0+1+WL-1"},
        }

    def test_up_to_date(self, cli: Cli, sim: Simulator) -> None:
        sim.available_firmware = None
        out = ok(cli("versions"))
        assert out.count("(up to date)") == 2
        assert "To install" not in out


class TestUpdate:
    def test_refused_without_a_terminal_before_anything_is_sent(
        self, cli: Cli, sim: Simulator
    ) -> None:
        sim.reset_stats()
        usage_error(cli("update"), "not a terminal", "add --yes")
        assert sim.stats().requests_total == 0
        assert sim.customization == "Peblar-1.9"

    def test_asks_on_a_terminal(self, cli: Cli, sim: Simulator) -> None:
        for answer in ("n\n", "\n", ""):
            result = cli("update", stdin=answer, tty=True)
            assert ok(result).strip() == "Nothing installed."
            assert "Install firmware 1.10.0+1+WL-1" in result.err
            assert result.err.rstrip().endswith("[y/N]")
        assert sim.snapshot()["system"]["FirmwareVersion"] == "1.9.2+1+WL-1"
        sim.advance(3600)
        out = ok(cli("update", "--package", "customization", stdin="y\n", tty=True))
        assert out.startswith("Installing customization Peblar-1.10")
        back_after_reboot(sim, uptime_below=3600)
        assert sim.customization == "Peblar-1.10"

    def test_with_yes(self, cli: Cli, sim: Simulator) -> None:
        sim.advance(3600)
        document = cli("--json", "update", "--yes").json
        assert document == {
            "package": "Firmware",
            "current": "1.9.2+1+WL-1",
            "available": "1.10.0+1+WL-1",
            "installing": True,
        }
        back_after_reboot(sim, uptime_below=3600)
        assert sim.snapshot()["system"]["FirmwareVersion"] == "1.10.0+1+WL-1"
        out = ok(cli("update", "--yes"))
        assert out.strip() == "Firmware 1.10.0+1+WL-1 is up to date: nothing to install."

    def test_usage_errors(self, cli: Cli) -> None:
        usage_error(cli("update", "--package", "Kernel", "--yes"), "invalid choice")


class TestIdentifyAndReboot:
    def test_identify(self, cli: Cli, sim: Simulator) -> None:
        assert ok(cli("identify")).strip() == f"The charger at {sim.host} blinks its LED."
        assert cli("--json", "identify").json == {"host": sim.host, "identified": True}
        assert sim.identify_count == 2

    def test_reboot_refused_without_a_terminal(self, cli: Cli, sim: Simulator) -> None:
        sim.reset_stats()
        usage_error(cli("reboot"), "reboot asks before it reboots the charger", "add --yes")
        assert sim.stats().requests_total == 0

    def test_reboot_asks_on_a_terminal(self, cli: Cli, sim: Simulator) -> None:
        sim.advance(3600)
        sim.reset_stats()
        result = cli("reboot", stdin="no\n", tty=True)
        assert ok(result).strip() == "Not rebooted."
        assert f"Reboot the charger at {sim.host}?" in result.err
        assert sim.stats().requests_total == 0
        assert ok(cli("reboot", stdin="yes\n", tty=True)).startswith(
            f"The charger at {sim.host} is rebooting"
        )
        back_after_reboot(sim, uptime_below=3600)

    def test_reboot_with_yes(self, cli: Cli, sim: Simulator) -> None:
        sim.advance(3600)
        assert cli("--json", "reboot", "--yes").json == {"host": sim.host, "rebooting": True}
        back_after_reboot(sim, uptime_below=3600)


# -- the password ---------------------------------------------------------------------------------


class TestThePassword:
    def test_from_a_file(self, cli: Cli, tmp_path: Path) -> None:
        path = tmp_path / "password"
        path.write_text(f"{SECRET}\n")
        assert "04A1B2C3" in ok(cli("--password-file", str(path), "rfid", "list", password=None))

    def test_used_as_written(self, cli: Cli, tmp_path: Path) -> None:
        """Only the final line break is removed: a space is part of a password."""
        path = tmp_path / "password"
        path.write_text(f" {SECRET}\n")
        result = cli("--password-file", str(path), "identify", password=None)
        assert result.code == 4

    def test_from_standard_input(self, cli: Cli) -> None:
        result = cli("--password", "-", "identify", password=None, stdin=f"{SECRET}\nmore\n")
        assert ok(result).startswith("The charger")

    def test_the_file_wins_over_the_environment(self, cli: Cli, tmp_path: Path) -> None:
        path = tmp_path / "password"
        path.write_text("wrong-password")
        assert cli("--password-file", str(path), "identify").code == 4

    def test_wrong_password(self, cli: Cli) -> None:
        result = cli("config", password="not-the-password")
        assert result.code == 4
        assert "refused the password" in result.err
        assert "not-the-password" not in result.err

    def test_never_as_an_argument(self, cli: Cli, sim: Simulator) -> None:
        sim.reset_stats()
        err = usage_error(cli("--password", SECRET, "config"), "--password: takes only -")
        assert "PEBLAR_PASSWORD" in err
        usage_error(cli(f"--password={SECRET}", "config"), "takes only -")
        assert sim.stats().requests_total == 0

    @pytest.mark.parametrize(
        ("make", "words"),
        [
            (lambda path: None, "no such file"),
            (lambda path: path.write_text(""), "empty, there is no password in it"),
            (lambda path: path.write_text("\n"), "empty, there is no password in it"),
            (lambda path: path.write_text(SECRET * 1000), "too long for a password"),
            (lambda path: path.write_bytes(b"\xff\xfe" + SECRET.encode()), "not a text file"),
        ],
    )
    def test_a_bad_password_file(
        self, cli: Cli, tmp_path: Path, make: Callable[[Path], object], words: str
    ) -> None:
        path = tmp_path / "password"
        make(path)
        usage_error(cli("--password-file", str(path), "config"), f"--password-file {path}:", words)

    def test_nothing_on_standard_input(self, cli: Cli) -> None:
        usage_error(
            cli("--password", "-", "config", stdin="\n"), "--password - (standard input): empty"
        )

    def test_one_reader_of_standard_input(self, cli: Cli) -> None:
        usage_error(
            cli("--token", "-", "--password", "-", "check", stdin="x\ny\n"),
            "would both read standard input",
        )

    def test_none_given(self, cli: Cli, sim: Simulator) -> None:
        """With the host given, what is missing is the password, not the charger."""
        err = usage_error(
            cli("config", password=None),
            f"no web interface password given for {sim.host}",
            "PEBLAR_PASSWORD",
            "--password-file PATH",
        )
        assert "no charger given" not in err
        err = usage_error(cli("config", host=""), "no charger given: give --host HOST")
        assert "password" not in err.partition(";")[0]  # the password is there

    def test_password_and_file_together(self, cli: Cli, tmp_path: Path) -> None:
        usage_error(
            cli("--password", "-", "--password-file", str(tmp_path), "config"), "not allowed"
        )

    def test_token_shares_the_sources(self, cli: Cli, sim: Simulator, tmp_path: Path) -> None:
        path = tmp_path / "password"
        path.write_text(SECRET + "\n")
        result = cli("--password-file", str(path), "token", password=None)
        assert ok(result).strip() == sim.token
        assert ok(cli("--password", "-", "token", password=None, stdin=SECRET)).strip() == (
            sim.token
        )
        usage_error(cli("token", password=None), "PEBLAR_PASSWORD")

    def test_not_in_any_help(self, cli: Cli) -> None:
        """The help of every command (and the errors above) never shows the password."""
        from pyPeblar.cli._commands import COMMANDS

        for name in ("", *COMMANDS):
            assert cli(*([name] if name else []), "--help").code == 0


# -- check -----------------------------------------------------------------------------------------


class TestCheck:
    def test_without_a_password_the_web_interface_is_not_checked(self, cli: Cli) -> None:
        result = cli("check", password=None)
        assert result.code == 0, result.out + result.err
        assert (
            "Web interface: not checked: no password (PEBLAR_PASSWORD, --password-file PATH or "
            "--password -)." in result.out
        )
        document = cli("--json", "check", password=None).json
        assert document["web"] == {
            "checked": False,
            "not_checked": "no password (PEBLAR_PASSWORD, --password-file PATH or --password -)",
            "endpoints": {},
        }

    def test_with_a_password(self, cli: Cli) -> None:
        result = cli("check")
        assert result.code == 0, result.out + result.err
        assert "Web interface (/api/v1):" in result.out
        assert "GET /config/user    matches the spec" in result.out
        assert "The charger matches the spec." in result.out
        document = cli("--json", "check").json
        assert document["matches_spec"] is True
        assert document["web"]["checked"] is True
        assert document["web"]["endpoints"] == {
            "/config/user": [],
            "/system/info": [],
            "/system/software/automatic-update/current-versions": [],
            "/config/auth/standalonelist": [],
        }

    def test_unknown_keys_and_values(self, cli: Cli, sim: Simulator) -> None:
        sim.configure(SomeNewKey=1, SolarChargingMode="SuperSolar")
        result = cli("check")
        assert result.code == 1
        assert "GET /config/user    2 differences" in result.out
        assert "  unknown key: SomeNewKey" in result.out
        assert "  unknown value: SolarChargingMode" in result.out
        assert "2 differences from the spec" in result.out
        document = cli("--json", "check").json
        assert document["matches_spec"] is False
        found = [(d["kind"], d["where"]) for d in document["web"]["endpoints"]["/config/user"]]
        assert sorted(found) == [
            ("unknown key", "SomeNewKey"),
            ("unknown value", "SolarChargingMode"),
        ]
        assert all(not drifts for drifts in document["endpoints"].values())

    def test_a_missing_key_in_an_injected_answer(self, cli: Cli, sim: Simulator) -> None:
        sim.inject("mutate", path="/api/v1/system/info", remove=["Hostname"], times=None)
        document = cli("--json", "check").json
        drifts = document["web"]["endpoints"]["/system/info"]
        assert [(d["kind"], d["where"]) for d in drifts] == [("missing key", "Hostname")]

    def test_a_wrong_password_is_an_error(self, cli: Cli) -> None:
        assert cli("check", password="wrong").code == 4


# -- the real script: standard input, terminals, ps ------------------------------------------------


def environment(sim: Simulator, **variables: str) -> dict[str, str]:
    return {"PEBLAR_HOST": sim.host, "PEBLAR_TOKEN": sim.token, **variables}


class TestTheScript:
    def test_password_on_standard_input(self, sim: Simulator, tmp_path: Path) -> None:
        result = run(
            "--password",
            "-",
            "rfid",
            "list",
            env=environment(sim),
            input=SECRET + "\n",
            state_dir=tmp_path,
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.split() == ["04A1B2C3", "Garage", "card"]

    @pytest.mark.parametrize("command", ["reboot", "update"])
    def test_refuses_to_ask_without_a_terminal(
        self, sim: Simulator, tmp_path: Path, command: str
    ) -> None:
        result = run(
            command, env=environment(sim, PEBLAR_PASSWORD=SECRET), input="y\n", state_dir=tmp_path
        )
        assert result.returncode == 2, result.stderr
        assert result.stdout == ""
        assert "add --yes" in result.stderr
        assert sim.identify_count == 0 and sim.customization == "Peblar-1.9"

    def test_verbose_never_shows_the_password(self, sim: Simulator, tmp_path: Path) -> None:
        for arguments in (("-v", "config"), ("-v", "check"), ("-v", "identify")):
            result = run(
                *arguments, env=environment(sim, PEBLAR_PASSWORD=SECRET), state_dir=tmp_path
            )
            assert result.returncode == 0, result.stderr
            assert "api/v1" in result.stderr  # requests are logged ...
            assert SECRET not in result.stdout + result.stderr  # ... never the password
        wrong = run("-v", "config", env=environment(sim, PEBLAR_PASSWORD=SECRET + "x"))
        assert wrong.returncode == 4
        assert SECRET not in wrong.stdout + wrong.stderr


# -- the interface ---------------------------------------------------------------------------------


def test_every_web_command_is_registered_once() -> None:
    from pyPeblar.cli._commands import WEB_COMMAND_HELP
    from pyPeblar.cli._web_commands import WEB_COMMANDS

    assert [name for name, _ in WEB_COMMAND_HELP] == list(WEB_COMMANDS)


def nested(parser: Any) -> dict[str, list[str]]:
    import argparse

    found = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                options, not_after = own_arguments(sub)
                found[name] = options + [f"not after it: {option}" for option in not_after]
                found |= {f"{name} {k}": v for k, v in nested(sub).items()}
    return found


def test_the_nested_commands_are_as_recorded() -> None:
    """What test_cli.py's snapshot cannot see: the arguments of `config set` and `rfid ...`."""
    from pyPeblar.cli._app import ALL, build_parser

    commands = nested(build_parser(ALL))
    assert {k: v for k, v in commands.items() if " " in k} == {
        "config set": ["settings"],
        "rfid list": [],
        "rfid add": ["uid", "description"],
        "rfid remove": ["uid"],
    }
