"""What the command line says: hints that fit the API it used, results that say what happened,
and the global options wherever they are given. In-process (``cli``, test/cli.py), against the
simulator; the simulator's own command line as `pypeblar simulate` and `python -m`."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pyPeblar import Peblar
from pyPeblar.simulator import Simulator
from test.cli import SECRET, Cli, Result, ok, usage_error


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator(password=SECRET, phase_switch_delay=0.05) as simulator:
        simulator.plug_in()
        yield simulator


def failed(result: Result, status: int) -> tuple[str, str]:
    """The one line of a failure: (message, hint)."""
    assert result.code == status, (result.code, result.err)
    assert result.out == ""
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    message, _, hint = lines[0].partition(" Hint: ")
    return message, hint


# -- hints that fit ---------------------------------------------------------------------------


class TestHintsFitTheApiUsed:
    def test_a_wrong_token_is_about_the_token(self, cli: Cli) -> None:
        _, hint = failed(cli("--token", "f" * 64, "status"), 4)
        assert "token" in hint and "PEBLAR_TOKEN" in hint
        assert "password" not in hint

    @pytest.mark.parametrize("command", ["config", "token", "check"])
    def test_a_wrong_password_is_about_the_password(self, cli: Cli, command: str) -> None:
        """Also from `pypeblar token`, which is about getting a token."""
        message, hint = failed(cli(command, password="not-it"), 4)
        assert "password" in message
        assert "PEBLAR_PASSWORD" in hint and "--password-file" in hint
        assert "token" not in hint.lower()

    def test_nobody_at_the_local_api(self, cli: Cli, closed_port: int) -> None:
        message, hint = failed(cli("meter", host=f"127.0.0.1:{closed_port}"), 3)
        assert "connection refused" in message
        assert "local REST API is enabled" in hint

    @pytest.mark.parametrize("command", ["config", "token", "versions"])
    def test_nobody_at_the_web_interface(self, cli: Cli, closed_port: int, command: str) -> None:
        """The web interface is never switched off: no word of the local REST API."""
        message, hint = failed(cli(command, host=f"127.0.0.1:{closed_port}"), 3)
        assert "connection refused" in message
        assert "REST API" not in message + hint
        assert "--host" in hint

    def test_removing_a_card_not_on_the_list(self, cli: Cli, sim: Simulator) -> None:
        message, hint = failed(cli("rfid", "remove", "NOT-THERE"), 5)
        assert (
            message == "pypeblar: 'NOT-THERE' is not on the charger's RFID list: nothing removed."
        )
        assert hint == "`pypeblar rfid list` shows the cards on it."
        assert not any(route.startswith("DELETE") for route in sim.stats().by_route)
        assert sim.rfid_tokens == {"04A1B2C3": "Garage card"}

    def test_below_6_amps_points_to_the_pause_command(self, cli: Cli, sim: Simulator) -> None:
        err = usage_error(cli("set-current", "5"), "5 A is below 6 A", "`pypeblar pause` pauses")
        assert "pause()" not in err
        # The library keeps its own words: a Python caller pauses with pause().
        with (
            Peblar(sim.host, sim.token) as charger,
            pytest.raises(ValueError, match=r"call pause\(\) to pause"),
        ):
            charger.set_charge_current_limit(amps=5)
        assert sim.stats().requests_total == 0

    def test_every_error_has_a_hint_for_each_api(self) -> None:
        """A new error class gets its command-line hints, for every API."""
        import pyPeblar._errors as errors
        from pyPeblar.cli._context import LOCAL_API, MODBUS_API, WEB_INTERFACE
        from pyPeblar.cli._report import HINTS

        for name in errors.__all__:
            assert name in HINTS, f"{name}: no command-line hint in pyPeblar/cli/_report.py"
            assert HINTS[name][LOCAL_API] and HINTS[name][WEB_INTERFACE], name
            assert HINTS[name].get(MODBUS_API, HINTS[name][LOCAL_API]), name
            for hint in HINTS[name].values():
                assert "=" not in hint and "()" not in hint, f"{name}: Python words in {hint!r}"


# -- results that say what happened --------------------------------------------------------------


def patches(sim: Simulator) -> int:
    return sim.stats().by_route.get("PATCH /evinterface", 0)


class TestResultsSayWhatHappened:
    def test_resume_with_nothing_paused(self, cli: Cli, sim: Simulator) -> None:
        out = ok(cli("resume"))
        assert out.startswith("Charging is not paused: nothing to resume.\n")
        assert patches(sim) == 0

    def test_pause_twice_and_resume(self, cli: Cli, sim: Simulator) -> None:
        assert ok(cli("pause")).startswith("Charging paused.\n")
        assert ok(cli("pause")).startswith("Charging is already paused.\n")
        assert patches(sim) == 1
        assert ok(cli("resume")).startswith("Charging resumed at 16 A.\n")
        assert sim.charge_current_limit == 16000

    def test_the_state_file_holds_no_empty_entries(
        self, cli: Cli, sim: Simulator, tmp_path: Path
    ) -> None:
        state = tmp_path / "state" / "memory.json"
        ok(cli("set-current", "10"))
        assert not state.exists()  # nothing to remember
        ok(cli("pause"))
        ok(cli("resume"))
        ok(cli("set-current", "12"))
        entries = json.loads(state.read_text())
        charger = sim.host.rpartition(":")[0]  # the relay history is per charger, any port or API
        assert entries == {charger: {"switches": entries[charger]["switches"]}}
        assert len(entries[charger]["switches"]) == 1  # the pause, made while charging

    def test_dump_lists_every_file_it_saved(self, cli: Cli, tmp_path: Path) -> None:
        folder = tmp_path / "dump"
        lines = ok(cli("dump", "--output", str(folder))).splitlines()
        assert lines[0] == "Saved:"
        saved = [Path(line.strip()) for line in lines[1:]]
        assert sorted(path.name for path in saved) == sorted(path.name for path in folder.iterdir())
        assert folder / "manifest.json" in saved

    def test_dump_where_nothing_can_be_written(self, cli: Cli, sim: Simulator) -> None:
        usage_error(
            cli("dump", "--output", "/dev/null/dump"),
            "dump --output '/dev/null/dump': cannot write there (Not a directory)",
        )
        assert sim.stats().requests_total == 0  # refused before asking the charger

    @pytest.mark.parametrize(
        ("setting", "words"),
        [
            ('HmiBuzzerVolume="1"', '"1" where the spec expects an integer'),
            ("HmiBuzzerVolume=true", "true where the spec expects an integer"),
            ("HmiBuzzerVolume=" + "[" * 100_000, "nests deeper than 32 levels"),
        ],
    )
    def test_config_values_are_typed(
        self, cli: Cli, sim: Simulator, setting: str, words: str
    ) -> None:
        before = sim.user_configuration
        usage_error(cli("config", "set", setting), words)
        assert sim.user_configuration == before


# -- global options, before or after the command --------------------------------------------------


class TestGlobalOptionsAfterTheCommand:
    @pytest.mark.parametrize("command", ["meter", "ev", "rfid list", "history", "config"])
    def test_json_after_the_command(self, cli: Cli, command: str) -> None:
        words = command.split()
        assert cli(*words, "--json").json == cli("--json", *words).json

    def test_several_after_the_command(self, cli: Cli, sim: Simulator) -> None:
        result = cli("set-current", "10", "--json", "--timeout", "3", "--deadline", "5")
        assert result.json["ChargeCurrentLimit"] == 10000

    def test_after_wins_over_before(self, cli: Cli, sim: Simulator, closed_port: int) -> None:
        assert cli("--host", f"127.0.0.1:{closed_port}", "meter", "--host", sim.host).code == 0

    def test_a_commands_own_option_stays_its_own(self, cli: Cli, tmp_path: Path) -> None:
        """`authorize --token` is the RFID card's UID, not the API token."""
        with Simulator(require_authorization=True) as other:
            other.plug_in()
            token = tmp_path / "token"
            token.write_text(other.token)
            result = cli(
                "--token-file", str(token), "authorize", "--token", "04A1B2C3", host=other.host
            )
            assert result.code == 0, result.err
            assert other.stats().charge_session_posts == 1

    def test_the_token_once(self, cli: Cli, tmp_path: Path) -> None:
        path = tmp_path / "token"
        path.write_text("a" * 64)
        usage_error(
            cli("--token", "b" * 64, "status", "--token-file", str(path)),
            "give --token or --token-file, not both",
        )

    def test_the_help_says_what_the_timeouts_bound(self, cli: Cli) -> None:
        out = ok(cli("meter", "--help"))
        assert "--timeout SECONDS" in out and "one attempt" in out
        assert "--deadline SECONDS" in out and "each call to the charger" in out


class TestTheDeadline:
    def test_it_bounds_a_silent_charger(self, cli: Cli) -> None:
        with Simulator() as silent:
            silent.inject("hang", times=None, seconds=30)
            started = time.monotonic()
            result = cli("--timeout", "10", "--deadline", "1", "meter", host=silent.host)
            took = time.monotonic() - started
        _, hint = failed(result, 3)
        assert took < 5, took
        assert "--deadline" in hint


# -- the simulator's command line ---------------------------------------------------------------


class TestTheSimulatorsCommandLine:
    @pytest.mark.parametrize("port", ["99999", "-1", "1" + "0" * 400, "nan", ""])
    def test_a_port_that_is_none(self, cli: Cli, port: str) -> None:
        usage_error(cli("simulate", "--port", port), "argument --port")

    @pytest.mark.parametrize(
        ("argv", "said", "option"),
        [
            (["--port", "{busy}"], "port", "--port"),
            (["--port", "0", "--modbus-port", "{busy}"], "Modbus port", "--modbus-port"),
        ],
        ids=["HTTP", "Modbus"],
    )
    def test_a_port_in_use(
        self, cli: Cli, busy_port: int, argv: list[str], said: str, option: str
    ) -> None:
        err = usage_error(
            cli("simulate", *[word.format(busy=busy_port) for word in argv]),
            f"pypeblar: {said} {busy_port} on 127.0.0.1 is in use",
            f"{option} 0 takes any free port",
        )
        assert err.count("\n") == 1

    def test_a_port_in_use_with_python_dash_m(self, busy_port: int) -> None:
        result = subprocess.run(
            [sys.executable, "-m", "pyPeblar.simulator", "--port", str(busy_port)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 2
        assert result.stdout == ""
        assert result.stderr == (
            f"python -m pyPeblar.simulator: port {busy_port} on 127.0.0.1 is in use (another "
            "simulator, or another program): stop it, or choose another with --port (--port 0 "
            "takes any free port)\n"
        )

    @pytest.mark.parametrize(
        ("option", "value"),
        [("--host", ""), ("--host", "\x00"), ("--token", "has space"), ("--password", "")],
    )
    def test_options_are_checked(self, cli: Cli, option: str, value: str) -> None:
        usage_error(cli("simulate", option, value), f"argument {option}")

    def test_its_help_names_both_apis(self) -> None:
        result = subprocess.run(
            [sys.executable, "-m", "pyPeblar.simulator", "--help"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert "local REST API" in result.stdout and "web interface" in result.stdout
