"""The command line never shows the token, even at -v and on every error path
(except `pypeblar token`, whose job is to print it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pyPeblar.simulator import Simulator
from test.test_cli import run

TOKEN = "5eC12e7" * 9 + "a"  # 64 characters, easy to spot

COMMANDS = [
    ["status"],
    ["--json", "status"],
    ["health"],
    ["system"],
    ["meter"],
    ["ev"],
    ["set-current", "10"],
    ["set-current", "20"],  # refused by a 16 A charger
    ["pause"],
    ["resume"],
    ["phases", "1"],
    ["phases", "3"],
    ["authorize", "--token", "04A1B2C3"],
    ["authorize", "--name", "nobody"],
    ["watch", "--count", "1", "--interval", "0.5"],
    ["check"],
]
#: On the error paths, one command of each kind is enough (each subprocess costs time).
ERROR_PATH_COMMANDS = [
    ["status"],
    ["set-current", "10"],
    ["phases", "1"],
    ["authorize", "--token", "04A1B2C3"],
]


@pytest.mark.parametrize(
    "situation", ["normal", "wrong token", "read-only", "server errors", "connection drops"]
)
def test_no_command_shows_the_token(situation: str, tmp_path: Path) -> None:
    with Simulator(
        token=TOKEN,
        access_mode="ReadOnly" if situation == "read-only" else "ReadWrite",
        phase_switch_delay=0.05,
    ) as sim:
        sim.plug_in()
        if situation == "server errors":
            sim.inject("status", status=500, times=None)
        if situation == "connection drops":
            sim.inject("drop", times=None)
        token = "f" * 64 if situation == "wrong token" else TOKEN
        environment = {"PEBLAR_HOST": sim.host, "PEBLAR_TOKEN": token}
        for command in COMMANDS if situation == "normal" else ERROR_PATH_COMMANDS:
            result = run("-v", "--timeout", "2", *command, env=environment, state_dir=tmp_path)
            output = result.stdout + result.stderr
            assert TOKEN not in output, (situation, command)
            assert token not in output, (situation, command)
            assert result.returncode in (0, 1, 4, 5, 6) or situation == "connection drops", (
                command,
                output,
            )
        dump = run("-v", "dump", "--output", str(tmp_path / "dump"), env=environment)
        assert TOKEN not in dump.stdout + dump.stderr


def test_token_is_the_one_command_that_prints_it() -> None:
    with Simulator(token=TOKEN, password="secret") as sim:
        result = run("-v", "token", "--host", sim.host, env={"PEBLAR_PASSWORD": "secret"})
        assert result.stdout.strip() == TOKEN
        assert TOKEN not in result.stderr  # not in the debug log
        assert "secret" not in result.stdout + result.stderr
