"""Every `pypeblar` command, with hostile arguments and in hostile surroundings: never a traceback
(without -v), never an "internal error", always an exit status of the documented table.

The commands come from the parser itself (nested ones too: `config set`, `rfid add`), so a new
command is driven the day it is added. For each:

- each of its own arguments gets every value of ``HOSTILE`` (numbers no float holds, NaN, an empty
  string, control characters, 100,000 characters, JSON nested 100,000 deep, a path nothing can be
  written to), against a live simulator;
- each global option, given after it, gets the same values, against a port nobody listens on;
- it runs (with ``BRIEF`` arguments) against a charger that does not answer, a port nobody
  listens on, and a live charger with a state folder that cannot be written.

Each command that speaks Modbus (``MODBUS_COMMANDS``) is driven all three ways again with
``--modbus``, against the simulator's Modbus server (``PEBLAR_MODBUS_PORT``): one that never
answers, a Modbus port nobody listens on. ``MODBUS_CASES`` are Modbus's own hostile options.

In-process through ``pyPeblar.cli.main``, so the whole drive takes seconds; a run that does not
end within ``HANG_LIMIT`` seconds fails the test (a SIGALRM watchdog) instead of hanging it.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from pyPeblar.cli import EXIT_CODES, main
from pyPeblar.cli._app import ALL, build_parser
from pyPeblar.cli._context import EXIT_USAGE, MODBUS_COMMANDS
from pyPeblar.simulator import Simulator

#: Values no command should choke on.
HOSTILE = [
    "1" + "0" * 400,  # a number no float holds
    "-1e400",
    "nan",
    "",
    "\x00\x1b[2J\r\n\x7fé",  # NUL, an escape sequence that clears a screen, CR LF, DEL, é
    "x" * 100_000,
    "[" * 100_000 + "1",  # JSON nested 100,000 deep
    "/dev/null/x",  # a path nothing can be written to (or read from)
]
#: A name that looks like a host would be looked up in DNS: not what this test is about.
NOT_FOR_HOST = {"nan", "-1e400"}

#: Arguments that make a command end promptly and, where it needs some, valid ones. A command
#: with required arguments, or one that runs until stopped, needs an entry here.
BRIEF: dict[str, list[str]] = {
    "set-current": ["10"],
    "phases": ["1"],
    "authorize": ["--name", "Garage card"],
    "config set": ["HmiBuzzerVolume=2"],
    "rfid": ["list"],
    "rfid add": ["DEADBEEF"],
    "rfid remove": ["04A1B2C3"],
    "update": ["--yes"],
    "reboot": ["--yes"],
    "watch": ["--count", "1", "--interval", "0.5"],
    "events": ["--count", "1"],
    "scan": ["--timeout", "0.1"],
    "simulate": ["--port", "{busy}"],  # a port in use: it must say so and end
}
#: Global options given before every command here: a charger that does not answer costs little.
QUICK = ["--timeout", "0.2", "--deadline", "0.2"]
#: Seconds a run may take before the test calls it hung.
HANG_LIMIT = 30.0
PASSWORD = "peblar-test-password"


def commands() -> dict[str, argparse.ArgumentParser]:
    """Every command and nested command ("config set") with its parser, from the parser."""
    found: dict[str, argparse.ArgumentParser] = {}

    def walk(parser: argparse.ArgumentParser, path: str) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    found[f"{path} {name}".strip()] = sub
                    walk(sub, f"{path} {name}")

    walk(build_parser(ALL), "")
    return found


COMMANDS = commands()
#: (command, over Modbus): every command over the API it speaks, and Modbus's again with --modbus.
DRIVES = [pytest.param(name, False, id=name) for name in sorted(COMMANDS)] + [
    pytest.param(name, True, id=f"{name}-modbus") for name in MODBUS_COMMANDS
]
#: Modbus's own hostile cases, each a usage error that says what was wrong in one short line
#: (``{busy}``: a port in use).
MODBUS_CASES = [
    ["--modbus", "--modbus-port", "99999", "meter"],
    ["--modbus", "--modbus-port", "0", "meter"],
    ["--modbus", "--modbus-unit", "300", "meter"],
    ["--modbus", "--modbus-unit", "x" * 100_000, "meter"],
    ["meter", "--modbus", "--modbus-unit=-1"],
    ["simulate", "--port", "0", "--modbus-port", "{busy}"],
]
GLOBAL_OPTIONS = [
    action
    for action in build_parser()._actions
    if action.option_strings and action.nargs != 0 and action.dest != "help"
]


def takes_a_value(action: argparse.Action) -> bool:
    return action.nargs != 0 and not isinstance(action, argparse._SubParsersAction)


def own_arguments(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    """The arguments the command declares itself (not the global options' twins)."""
    return [
        action
        for action in parser._actions
        if takes_a_value(action)
        and action.dest != "help"
        and not (action.option_strings and action.default is argparse.SUPPRESS)
    ]


def required_positionals(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    return [
        action
        for action in parser._actions
        if not action.option_strings
        and action.nargs not in ("?", "*")
        and (not isinstance(action, argparse._SubParsersAction) or action.required)
    ]


@dataclass
class Result:
    argv: list[str]
    status: int
    err: str


class Hung(BaseException):
    """A run outlived ``HANG_LIMIT`` (a BaseException: main catches every Exception)."""


@contextlib.contextmanager
def watchdog(seconds: float) -> Iterator[None]:
    def on_alarm(signum: int, frame: object) -> None:
        raise Hung(f"no end within {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class Driver:
    """Runs ``main`` in this process with an environment, and checks every outcome."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, busy: int) -> None:
        self.monkeypatch = monkeypatch
        self.busy = busy
        #: Whether each run speaks Modbus (--modbus, to PEBLAR_MODBUS_PORT).
        self.modbus = False
        monkeypatch.setattr("sys.stdin", io.StringIO(""))  # not a terminal: nobody to ask
        monkeypatch.setenv("PEBLAR_PASSWORD", PASSWORD)
        monkeypatch.setenv("PYPEBLAR_MDNS_INTERFACES", "127.0.0.1")

    def at(self, host: str, token: str, state: Path | str, modbus_port: int = 0) -> Driver:
        """The charger, and its Modbus port when the runs speak Modbus."""
        self.monkeypatch.setenv("PEBLAR_HOST", host)
        self.monkeypatch.setenv("PEBLAR_TOKEN", token)
        self.monkeypatch.setenv("PYPEBLAR_STATE_DIR", str(state))
        self.monkeypatch.setenv("PEBLAR_MODBUS_PORT", str(modbus_port or ""))
        return self

    def over(self, modbus: bool) -> Driver:
        self.modbus = modbus
        return self

    def brief(self, command: str) -> list[str]:
        return [word.format(busy=self.busy) for word in BRIEF.get(command, [])]

    def run(self, argv: list[str]) -> Result:
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                with watchdog(HANG_LIMIT):
                    status = main([*QUICK, *(["--modbus"] if self.modbus else []), *argv])
            except SystemExit as leave:  # argparse: usage errors
                status = leave.code if isinstance(leave.code, int) else 2
            except Hung:
                pytest.fail(f"pypeblar {shown(argv)} did not end within {HANG_LIMIT:g} s")
        result = Result(argv, status, err.getvalue())
        assert status in EXIT_CODES, (shown(argv), status, result.err[-2000:])
        assert "Traceback" not in result.err, (shown(argv), result.err[-4000:])
        assert "internal error" not in result.err, (shown(argv), result.err[-2000:])
        return result


def shown(argv: list[str]) -> str:
    return " ".join(repr(word) if len(word) < 60 else f"<{len(word)} characters>" for word in argv)


def with_value(action: argparse.Action, value: str) -> list[str]:
    """``value`` given to ``action``: ``--option=value``, or a positional after ``--`` (so a
    value starting with - is not read as an option)."""
    if action.option_strings:
        return [f"{action.option_strings[-1]}={value}"]
    return ["--", value]


@pytest.fixture
def driver(monkeypatch: pytest.MonkeyPatch, busy_port: int, tmp_path: Path) -> Driver:
    """The driver, in a folder of its own: `dump --output nan` writes a folder named nan."""
    monkeypatch.chdir(tmp_path)
    return Driver(monkeypatch, busy_port)


def test_every_command_is_driven() -> None:
    """A command with required arguments, or one that runs until stopped, has brief arguments."""
    for name, parser in COMMANDS.items():
        if required_positionals(parser):
            assert name in BRIEF, f"give `{name}` brief arguments in BRIEF"
    assert {"watch", "simulate", "scan"} <= set(BRIEF)
    assert len(COMMANDS) >= 29  # 25 commands, and config set, rfid list, add and remove


def live(modbus: bool) -> Simulator:
    """A charger that answers at once (serving Modbus too, for a Modbus drive)."""
    sim = Simulator(
        password=PASSWORD,
        rate_limit=False,
        phase_switch_delay=0.05,
        modbus_port=0 if modbus else None,
    )
    sim.reboot_duration = 0.05
    return sim


@pytest.mark.parametrize(("command", "modbus"), DRIVES)
def test_hostile_arguments(command: str, modbus: bool, driver: Driver, tmp_path: Path) -> None:
    """Each of the command's own arguments, every hostile value, a live charger behind."""
    parser = COMMANDS[command]
    path = command.split()
    arguments = own_arguments(parser)
    positionals = [action for action in arguments if not action.option_strings]
    with live(modbus) as sim:
        sim.plug_in()
        driver.over(modbus).at(
            sim.host, sim.token, tmp_path / "state", sim.modbus_port if modbus else 0
        )
        for value in HOSTILE:
            if positionals:
                words = ["--", *[value] * len(positionals)]
                driver.run([*path, *words])
            for action in arguments:
                if action.option_strings:
                    driver.run([*path, *driver.brief(command), *with_value(action, value)])


@pytest.mark.parametrize(("command", "modbus"), DRIVES)
def test_hostile_global_options_after_it(
    command: str, modbus: bool, driver: Driver, closed_port: int, tmp_path: Path
) -> None:
    """Every global option after the command, every hostile value, nobody listening."""
    path = command.split()
    driver.over(modbus).at(f"127.0.0.1:{closed_port}", "a" * 64, tmp_path / "state", closed_port)
    for action in GLOBAL_OPTIONS:
        for value in HOSTILE:
            if action.dest == "host" and value in NOT_FOR_HOST:
                continue
            driver.run([*path, *driver.brief(command), *with_value(action, value)])


@pytest.mark.parametrize(("command", "modbus"), DRIVES)
def test_hostile_surroundings(
    command: str, modbus: bool, driver: Driver, closed_port: int, tmp_path: Path
) -> None:
    """A charger that never answers, nobody listening, a state folder that cannot be written."""
    argv = [*command.split(), *driver.brief(command)]
    driver.over(modbus)
    with Simulator(password=PASSWORD, modbus_port=0 if modbus else None) as silent:
        silent.inject("hang", times=None, seconds=5)
        if modbus:
            silent.inject_modbus("hang", times=None, seconds=5)
        driver.at(
            silent.host, silent.token, tmp_path / "state", silent.modbus_port if modbus else 0
        )
        driver.run(argv)
    driver.at(f"127.0.0.1:{closed_port}", "a" * 64, tmp_path / "state", closed_port)
    driver.run(argv)
    with live(modbus) as sim:
        sim.plug_in()
        driver.at(sim.host, sim.token, "/dev/null/state", sim.modbus_port if modbus else 0)
        driver.run(argv)


@pytest.mark.parametrize("argv", MODBUS_CASES, ids=shown)
def test_hostile_modbus_options(argv: list[str], driver: Driver, closed_port: int) -> None:
    """A Modbus port or unit id out of range, a Modbus port in use for the simulator: a usage
    error, said in one short line that names the option or the port."""
    driver.at(f"127.0.0.1:{closed_port}", "a" * 64, "/dev/null/state")
    result = driver.run([word.format(busy=driver.busy) for word in argv])
    assert result.status == EXIT_USAGE, result.err[-2000:]
    said = result.err.splitlines()[-1]
    assert len(said) < 200, said
    assert "--modbus-port" in said or "--modbus-unit" in said, said
