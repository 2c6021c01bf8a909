"""``pypeblar --modbus``: the reading and control commands over the charger's Modbus TCP API, and
``check --modbus``, run for real in a subprocess against the simulator's Modbus server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pyPeblar.cli import EXIT_CODES
from pyPeblar.simulator import Simulator
from test.test_cli import fits_80_columns, ok, one_json_document, run


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator(modbus_port=0, phase_switch_delay=0.3) as simulator:
        simulator.plug_in()
        yield simulator


def modbus(sim: Simulator, *args: str, state_dir: Path, **options: Any) -> Any:
    """``pypeblar --host HOST --modbus --modbus-port PORT ARGS``, with no token anywhere."""
    return run(
        "--host",
        sim.host,
        "--modbus",
        "--modbus-port",
        str(sim.modbus_port),
        *args,
        state_dir=state_dir,
        **options,
    )


def test_reading_commands(sim: Simulator, state_dir: Path) -> None:
    out = ok(modbus(sim, "status", state_dir=state_dir))
    assert "charging (State C)" in out
    assert "Modbus TCP" in out
    fits_80_columns(out)
    document = one_json_document(modbus(sim, "--json", "meter", state_dir=state_dir))
    assert document["PowerTotal"] == sim.snapshot()["meter"]["PowerTotal"]
    status = one_json_document(modbus(sim, "--json", "status", state_dir=state_dir))
    assert set(status) == {"system", "evinterface", "meter"}  # no health over Modbus
    assert "Firmware" in ok(modbus(sim, "system", state_dir=state_dir))


def test_control_commands(sim: Simulator, state_dir: Path) -> None:
    ok(modbus(sim, "set-current", "9A", state_dir=state_dir))
    assert sim.modbus_limit == 9000
    ok(modbus(sim, "pause", state_dir=state_dir))
    assert sim.modbus_limit == 0
    ok(modbus(sim, "resume", state_dir=state_dir))  # the state file remembers the 9 A
    assert sim.modbus_limit == 9000
    ok(modbus(sim, "phases", "1", state_dir=state_dir))
    assert sim.force_1phase
    assert sim.charge_current_limit == 16000  # the REST API's own limit, untouched


def test_a_write_applied_though_its_answer_was_lost_says_nothing_on_stderr(
    sim: Simulator, state_dir: Path
) -> None:
    """The read-back settles it: the command succeeds, and the library's warning about the lost
    answer goes to logging (shown with -v), not to stderr."""
    sim.inject_modbus("drop", writes=True, apply=True, times=None)
    result = modbus(sim, "set-current", "9", state_dir=state_dir)
    assert "set to 9 A" in ok(result)
    assert result.stderr == ""
    assert sim.modbus_limit == 9000


def test_watch(sim: Simulator, state_dir: Path) -> None:
    out = ok(modbus(sim, "watch", "--count", "2", "--interval", "0.5", state_dir=state_dir))
    assert out.count("State C") == 2


def test_commands_without_a_modbus_counterpart_are_refused(sim: Simulator, state_dir: Path) -> None:
    result = modbus(sim, "health", state_dir=state_dir)
    assert result.returncode == 2, result.stderr
    assert "no Modbus counterpart" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unreachable_modbus_server_is_a_connection_error(state_dir: Path) -> None:
    with Simulator() as plain:  # no Modbus server: the port refuses
        result = run(
            "--host",
            plain.host,
            "--modbus",
            "--modbus-port",
            str(plain.port + 1 if plain.port < 65535 else plain.port - 1),
            "--timeout",
            "1",
            "meter",
            state_dir=state_dir,
        )
    assert result.returncode == 3, result.stderr
    # One line, pyPeblar's: nothing of what pymodbus logs on a refused connection.
    assert result.stderr.startswith("pypeblar: Modbus read"), result.stderr
    assert len(result.stderr.splitlines()) == 1, result.stderr


def test_check_compares_the_registers_with_the_rest_api(sim: Simulator, state_dir: Path) -> None:
    env = {"PEBLAR_TOKEN": sim.token}
    out = ok(modbus(sim, "check", state_dir=state_dir, env=env))
    assert "its Modbus registers agree with the REST API" in out
    sim.set_limiter("Solar charging", 8000)  # both show it
    report = one_json_document(modbus(sim, "--json", "check", state_dir=state_dir, env=env))
    assert report["modbus"]["checked"] is True
    assert all(found == [] for found in report["modbus"]["endpoints"].values())


def test_check_reports_registers_that_disagree(state_dir: Path) -> None:
    """A Modbus server that is another charger's: its serial and part number differ."""
    with (
        Simulator(modbus_port=0) as modbus_charger,
        Simulator(profile="three-phase-cable") as rest_charger,
    ):
        result = run(
            "--host",
            rest_charger.host,
            "--modbus",
            "--modbus-port",
            str(modbus_charger.modbus_port),
            "check",
            state_dir=state_dir,
            env={"PEBLAR_TOKEN": rest_charger.token},
        )
    assert result.returncode == 1, result.stderr
    assert "between Modbus and the REST API" in result.stdout
    assert "ProductPn" in result.stdout
    assert 1 in EXIT_CODES
