"""The ``pypeblar`` console script, run for real in a subprocess against the simulator."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pyPeblar.cli import EXIT_CODES
from pyPeblar.simulator import Simulator

SCRIPT = Path(sys.executable).with_name("pypeblar")


def run(
    *args: str,
    sim: Simulator | None = None,
    state_dir: Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 60,
    input: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``pypeblar`` with ``args``; with ``sim``, pointed at it through the environment.

    With ``state_dir``, the state file and the home folders are in it; with ``input``, that is
    standard input (else there is none: a command that reads it gets end-of-file at once).
    """
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("PEBLAR_", "PYPEBLAR_"))
    }
    if sim is not None:
        environment |= {"PEBLAR_HOST": sim.host, "PEBLAR_TOKEN": sim.token}
    if state_dir is not None:
        environment |= {
            "PYPEBLAR_STATE_DIR": str(state_dir),
            "HOME": str(state_dir / "home"),
            "XDG_STATE_HOME": str(state_dir / "xdg-state"),
        }
    environment |= env or {}
    return subprocess.run(
        [str(SCRIPT), *args],
        capture_output=True,
        text=True,
        env=environment,
        timeout=timeout,
        check=False,
        input=input if input is not None else "",
    )


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def one_json_document(result: subprocess.CompletedProcess[str]) -> Any:
    """stdout must be exactly one JSON document and nothing else."""
    return json.loads(ok(result))


def fits_80_columns(text: str) -> None:
    for line in text.splitlines():
        assert len(line) <= 80, line


@pytest.fixture
def charging(state_dir: Path) -> Iterator[Simulator]:
    with Simulator(phase_switch_delay=0.3) as simulator:
        simulator.plug_in()
        yield simulator


class TestReading:
    def test_status(self, charging: Simulator) -> None:
        out = ok(run("status", sim=charging))
        assert "charging (State C)" in out
        assert "16.0 A" in out
        assert "kW" in out and "kWh" in out
        assert "23-" in out or "Peblar" in out
        fits_80_columns(out)

    def test_status_json(self, charging: Simulator) -> None:
        document = one_json_document(run("--json", "status", sim=charging))
        assert set(document) == {"health", "system", "evinterface", "meter"}
        assert document["evinterface"]["CpState"] == "State C"
        assert document["meter"]["PowerTotal"] == charging.snapshot()["meter"]["PowerTotal"]

    @pytest.mark.parametrize(
        ("command", "key", "words"),
        [
            ("health", "AccessMode", "ReadWrite"),
            ("system", "PhaseCount", "Firmware"),
            ("meter", "PowerTotal", "Power"),
            ("ev", "CpState", "Vehicle"),
        ],
    )
    def test_one_endpoint_each(
        self, charging: Simulator, command: str, key: str, words: str
    ) -> None:
        out = ok(run(command, sim=charging))
        assert words in out
        fits_80_columns(out)
        assert key in one_json_document(run("--json", command, sim=charging))

    def test_absent_values_are_shown_as_absent(self) -> None:
        with Simulator(profile="single-phase") as sim:
            out = ok(run("status", sim=sim))
            assert "L2" not in out  # a single-phase charger has no phase 2
            system = ok(run("system", sim=sim))
            assert re.search(r"Wi-Fi\s+-\n", system)  # absent, not "0 dBm"

    def test_host_and_token_options(self, charging: Simulator) -> None:
        out = ok(run("--host", charging.host, "--token", charging.token, "health"))
        assert "ReadWrite" in out


class TestControl:
    def test_set_current_forms(self, charging: Simulator, state_dir: Path) -> None:
        for text, milliamps in [
            ("10", 10000),
            ("10.5", 10500),
            ("11A", 11000),
            ("12000mA", 12000),
            ("10.5A", 10500),
            ("16000mA", 16000),
        ]:
            out = ok(run("set-current", text, sim=charging, state_dir=state_dir))
            assert f"{milliamps / 1000:g} A" in out
            assert charging.charge_current_limit == milliamps

    def test_set_current_json(self, charging: Simulator, state_dir: Path) -> None:
        document = one_json_document(
            run("--json", "set-current", "8", sim=charging, state_dir=state_dir)
        )
        assert document["ChargeCurrentLimit"] == 8000

    def test_pause_and_resume_across_processes(self, charging: Simulator, state_dir: Path) -> None:
        ok(run("set-current", "9", sim=charging, state_dir=state_dir))
        assert "paused" in ok(run("pause", sim=charging, state_dir=state_dir))
        assert charging.charge_current_limit == 0
        ok(run("resume", sim=charging, state_dir=state_dir))
        assert charging.charge_current_limit == 9000  # remembered in the state file

    def test_phases(self, charging: Simulator, state_dir: Path) -> None:
        assert "one phase" in ok(run("phases", "1", sim=charging, state_dir=state_dir))
        assert charging.active_phases == 1
        document = one_json_document(
            run("--json", "phases", "3", sim=charging, state_dir=state_dir)
        )
        assert document["Force1Phase"] is False

    def test_authorize(self, state_dir: Path) -> None:
        with Simulator(require_authorization=True) as sim:
            sim.plug_in()
            ok(run("authorize", "--token", "04A1B2C3", sim=sim, state_dir=state_dir))
            assert sim.stats().charge_session_posts == 1
            ok(run("--json", "authorize", "--name", "Garage card", sim=sim, state_dir=state_dir))
            assert sim.stats().charge_session_posts == 2


class TestErrors:
    def expect(self, result: subprocess.CompletedProcess[str], status: int, *words: str) -> None:
        assert result.returncode == status, (result.returncode, result.stderr)
        assert result.stdout == ""
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr  # one readable line, no traceback
        for word in words:
            assert word in lines[0]

    def test_wrong_token(self, charging: Simulator) -> None:
        self.expect(run("--host", charging.host, "--token", "f" * 64, "status"), 4, "token")

    def test_unreachable(self) -> None:
        self.expect(
            run("--host", "127.0.0.1:9", "--token", "t" * 64, "--timeout", "1", "meter"),
            3,
            "could not connect",
        )

    def test_read_only(self, state_dir: Path) -> None:
        with Simulator(access_mode="ReadOnly") as sim:
            self.expect(run("set-current", "10", sim=sim, state_dir=state_dir), 5, "ReadOnly")

    def test_single_phase_charger_refuses_phases_1(self, state_dir: Path) -> None:
        with Simulator(profile="single-phase") as sim:
            self.expect(run("phases", "1", sim=sim, state_dir=state_dir), 5, "Force1PhaseAllowed")

    def test_missing_operation(self, state_dir: Path) -> None:
        with Simulator(profile="old-firmware") as sim:
            self.expect(
                run("authorize", "--token", "04A1B2C3", sim=sim, state_dir=state_dir), 5, "firmware"
            )

    def test_no_charger_given(self) -> None:
        self.expect(run("status"), 2, "--host", "demo")

    @pytest.mark.parametrize(
        "value",
        [
            *("abc", "5", "40A", "10kW", "nan", "inf", "-5", "1e400", "", " ", "10 kA", "-0"),
            *("1" + "0" * 307, "1" + "0" * 307 + "mA", "1" + "0" * 400),  # huge, past float
        ],
    )
    @pytest.mark.parametrize("command", ["set-current", "resume"])
    def test_bad_current(
        self, charging: Simulator, state_dir: Path, command: str, value: str
    ) -> None:
        """A usage error naming the argument (exit 2, not drift's 1), never a traceback."""
        result = run(command, value, sim=charging, state_dir=state_dir)
        assert result.returncode == 2, result.stderr
        assert "error: argument AMPS:" in result.stderr
        assert "Traceback" not in result.stderr
        assert charging.stats().requests_total == 0  # refused before anything was sent

    def test_a_current_too_large_to_scale_is_a_usage_error(
        self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Whatever the SDK raises for a number that overflows (it once raised OverflowError
        for 1e307 A), the command line gives a usage error naming the argument."""
        import pyPeblar._shared.current
        from pyPeblar.cli import main

        def overflows(text: str) -> int:
            raise OverflowError("cannot convert float infinity to integer")

        monkeypatch.setattr(pyPeblar._shared.current, "parse_current", overflows)
        with pytest.raises(SystemExit) as exited:
            main(["set-current", "1" + "0" * 307])
        assert exited.value.code == 2
        err = capsys.readouterr().err
        assert "argument AMPS: '100000000000...000' is far outside 6 to 32 A" in err

    @pytest.mark.parametrize("value", ["inf", "nan", "1e400", "1e10", "0.1"])
    def test_bad_watch_interval(self, charging: Simulator, value: str) -> None:
        result = run("watch", "--interval", value, "--count", "2", sim=charging)
        self.expect(result, 2, "--interval must be from 0.5 to 86400 s")

    def test_relay_protection_answers_for_the_command_line(
        self, charging: Simulator, state_dir: Path
    ) -> None:
        """The refusal says what to do at a command line: no Python constructor to call."""
        from pyPeblar import ChargerMemory, Peblar

        # Three pauses through the library, in the command line's state file.
        memory = ChargerMemory(state_dir / "memory.json")
        with Peblar(charging.host, charging.token, memory=memory) as charger:
            for _ in range(3):
                charger.pause()
                charger.resume()
        result = run("pause", sim=charging, state_dir=state_dir)
        self.expect(result, 5, "refusing to pause", "allowed in", "Hint: Wait that long")
        assert not re.search(r"[A-Za-z_]\w*\(", result.stderr), result.stderr  # no Peblar(...)
        assert "protect_relays" not in result.stderr
        assert charging.charge_current_limit == 16000  # nothing sent

    def test_verbose_shows_the_traceback_but_not_the_token(self, charging: Simulator) -> None:
        result = run("-v", "--host", charging.host, "--token", "f" * 64, "system")
        assert result.returncode == 4
        assert "Traceback" in result.stderr
        assert "GET" in result.stderr
        assert "f" * 64 not in result.stderr
        assert charging.token not in result.stderr

    def test_exit_codes_are_documented(self) -> None:
        docs = (Path(__file__).parent.parent / "docs" / "cli.md").read_text()
        for status in EXIT_CODES:
            assert f"| {status} |" in docs


class TestWatch:
    def test_lines_when_piped(self, charging: Simulator) -> None:
        """A header line names the columns, once; then a line per sample."""
        out = ok(run("watch", "--interval", "0.5", "--count", "3", sim=charging))
        header, *lines = out.strip().splitlines()
        assert header.split() == [
            "time",
            "vehicle",
            "offered",
            "power",
            "current",
            "L1/L2/L3",
            "session",
        ]
        assert len(lines) == 3
        assert all("State C" in line for line in lines)
        fits_80_columns(out)

    def test_json_lines(self, charging: Simulator) -> None:
        out = ok(run("--json", "watch", "--interval", "0.5", "--count", "2", sim=charging))
        samples = [json.loads(line) for line in out.strip().splitlines()]
        assert len(samples) == 2
        assert samples[0]["evinterface"]["CpState"] == "State C"
        assert "PowerTotal" in samples[1]["meter"]

    def test_a_reader_that_stops_early_is_not_an_error(self, charging: Simulator) -> None:
        environment = {**os.environ, "PEBLAR_HOST": charging.host, "PEBLAR_TOKEN": charging.token}
        pipeline = f"{SCRIPT} watch --interval 0.5 | head -n 2"
        result = subprocess.run(
            ["bash", "-o", "pipefail", "-c", pipeline],
            capture_output=True,
            text=True,
            env=environment,
            timeout=20,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        assert "State C" in result.stdout
        assert "Traceback" not in result.stderr

    def test_live_view_on_a_terminal(self, charging: Simulator) -> None:
        import pty

        leader, follower = pty.openpty()
        environment = {**os.environ, "PEBLAR_HOST": charging.host, "PEBLAR_TOKEN": charging.token}
        process = subprocess.Popen(
            [str(SCRIPT), "watch", "--interval", "0.5", "--count", "2"],
            stdout=follower,
            stderr=subprocess.PIPE,
            env=environment,
        )
        os.close(follower)
        screen = b""
        while process.poll() is None or not screen.endswith(b"\n"):
            try:
                chunk = os.read(leader, 4096)
            except OSError:
                break
            if not chunk:
                break
            screen += chunk
        process.wait(timeout=10)
        os.close(leader)
        assert process.returncode == 0
        assert screen.count(b"\x1b[H\x1b[2J") == 2  # the view was redrawn in place
        assert b"Ctrl-C" in screen
        assert b"charging (State C)" in screen

    def test_stays_within_the_rate_limit(self, charging: Simulator) -> None:
        ok(run("watch", "--interval", "0.5", "--count", "8", sim=charging))
        assert charging.stats().by_status.get(429, 0) == 0


class TestDemoAndSetup:
    def test_demo_walks_through_a_session(self) -> None:
        out = ok(run("demo", timeout=120))
        for words in ("simulator", "10 A", "one phase", "Pause", "Resume", "kWh"):
            assert words in out
        fits_80_columns(out)

    def test_demo_json(self) -> None:
        document = one_json_document(run("--json", "demo", timeout=120))
        titles = [step["step"] for step in document["steps"]]
        assert any("10 A" in title for title in titles)
        energy = [
            s["result"]["EnergySession"]
            for s in document["steps"]
            if "EnergySession" in s["result"]
        ]
        assert energy[-1] > energy[0]  # the meter moved

    def test_token(self) -> None:
        with Simulator(password="secret") as sim:
            result = run("token", "--host", sim.host, env={"PEBLAR_PASSWORD": "secret"})
            assert ok(result).strip() == sim.token
            wrong = run("token", "--host", sim.host, env={"PEBLAR_PASSWORD": "guess"})
            assert wrong.returncode == 4
            assert "guess" not in wrong.stderr

    def test_simulate_runs_until_interrupted(self) -> None:
        process = subprocess.Popen(
            [
                str(SCRIPT),
                "simulate",
                "--port",
                "0",
                "--token",
                "a" * 64,
                "--profile",
                "single-phase",
                "--password",
                "sim-web-pass",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert process.stdout is not None
            deadline = time.monotonic() + 10
            text = ""
            while "Try:" not in text and time.monotonic() < deadline:
                text += process.stdout.readline()
            url = re.search(r"http://127\.0\.0\.1:\d+", text)
            assert url, text
            # The banner gives what both APIs take: the token and the web interface password.
            assert f"API token: {'a' * 64}\n" in text
            assert "Web interface password: sim-web-pass\n" in text
            host = url.group(0).removeprefix("http://")
            document = one_json_document(
                run("--host", host, "--token", "a" * 64, "--json", "system")
            )
            assert document["PhaseCount"] == 1
        finally:
            process.send_signal(signal.SIGINT)
            process.communicate(timeout=10)
        assert process.returncode == 0

    def test_scan_finds_chargers_old_and_new(self) -> None:
        import socket

        from zeroconf import ServiceInfo, Zeroconf

        def service(kind: str, name: str, port: int, properties: dict[str, str]) -> ServiceInfo:
            return ServiceInfo(
                kind,
                f"{name}.{kind}",
                addresses=[socket.inet_aton("127.0.0.1")],
                port=port,
                properties=properties,
                server=f"{name.lower()}.local.",
            )

        services = [
            service(
                "_pblr._tcp.local.",
                "PBLR-0012345",
                80,
                {"sn": "23-45-A4O-MOF", "version": "1.9.2+1+WL-1"},
            ),
            service(
                "_http._tcp.local.",
                "PBLR-0000042",
                8080,
                {"sn": "21-01-OLD-FW1", "version": "1.7.0+1+WL-1"},
            ),
            service("_http._tcp.local.", "printer", 80, {}),
        ]
        announcer = Zeroconf(interfaces=["127.0.0.1"])  # loopback only
        try:
            for info in services:
                announcer.register_service(info)
            result = run(
                "--json", "scan", "--timeout", "2", env={"PYPEBLAR_MDNS_INTERFACES": "127.0.0.1"}
            )
            found = one_json_document(result)
            assert "Listening" in result.stderr
        finally:
            announcer.close()
        assert sorted((c["host"], c["serial"], c["firmware"]) for c in found) == [
            ("127.0.0.1", "23-45-A4O-MOF", "1.9.2+1+WL-1"),
            ("127.0.0.1:8080", "21-01-OLD-FW1", "1.7.0+1+WL-1"),
        ]

    def test_scan_without_zeroconf_says_what_to_install(self) -> None:
        code = (
            "import sys; sys.modules['zeroconf'] = None; "
            "from pyPeblar.cli import main; sys.exit(main(['scan', '--timeout', '0.1']))"
        )
        result = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=False
        )
        assert result.returncode == 2
        assert (
            result.stderr.strip()
            == "pypeblar: pypeblar scan needs zeroconf: pip install 'pyPeblar[discovery]'"
        )


class TestStartUp:
    def loaded_by(self, *args: str) -> list[str]:
        code = (
            "import sys, atexit\n"
            "atexit.register(lambda: print(sorted({m.split('.')[0] for m in sys.modules "
            "if m.split('.')[0] in ('pydantic', 'urllib3')} | {m for m in sys.modules "
            "if m.startswith(('pyPeblar.models', 'pyPeblar.api'))}), file=sys.stderr))\n"
            "from pyPeblar.cli import main\n"
            f"sys.exit(main({list(args)!r}))\n"
        )
        result = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, result.stderr
        loaded: list[str] = json.loads(result.stderr.strip().splitlines()[-1].replace("'", '"'))
        return loaded

    @pytest.mark.parametrize("option", ["--help", "--version"])
    def test_help_and_version_import_nothing_heavy(self, option: str) -> None:
        assert self.loaded_by(option) == []

    def test_version(self) -> None:
        from pyPeblar import __version__

        assert ok(run("--version")).strip() == f"pypeblar {__version__}"

    def test_python_dash_m(self) -> None:
        result = subprocess.run(
            [sys.executable, "-m", "pyPeblar", "--version"],
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0
        assert result.stdout.startswith("pypeblar ")


def global_options() -> list[str]:
    """The global options' names, as declared before the command."""
    from pyPeblar.cli._app import build_parser

    return [
        "/".join(action.option_strings)
        for action in build_parser()._actions
        if action.dest not in ("help", "version", "command")
    ]


def own_arguments(parser: Any) -> tuple[list[str], list[str]]:
    """A command's own arguments, and the global options it does not take after it (a name it
    uses itself): the global options it takes are its twins, defaulting to SUPPRESS."""
    import argparse

    names = global_options()
    own, taken = [], set()
    for action in parser._actions:
        name = "/".join(action.option_strings) or action.dest
        if action.dest == "help":
            continue
        if name in names and action.default is argparse.SUPPRESS:
            taken.add(name)
        else:
            own.append(name)
    return own, [name for name in names if name not in taken]


def interface() -> str:
    """Every subcommand's arguments, one line each: an interface change shows up in review."""
    import argparse

    from pyPeblar.cli._app import ALL, build_parser

    parser = build_parser(ALL)
    lines = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                own, not_after = own_arguments(sub)
                refused = f"  [not after it: {' '.join(not_after)}]" if not_after else ""
                lines.append(f"{name}: {' '.join(own)}".rstrip() + refused)
        elif action.dest != "help":
            lines.append(f"(global): {'/'.join(action.option_strings)}")
    return "\n".join(lines) + "\n"


def test_the_command_line_interface_is_as_recorded() -> None:
    recorded = Path(__file__).parent / "fixtures" / "cli-interface.txt"
    if os.environ.get("PYPEBLAR_UPDATE_SNAPSHOTS"):
        recorded.write_text(interface())
    assert interface() == recorded.read_text(), (
        "the command line changed: if intended, run with PYPEBLAR_UPDATE_SNAPSHOTS=1 and commit"
    )
