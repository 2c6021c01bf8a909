"""docs/cli.md's "Real output" is what ``pypeblar`` prints: each ``$ ...`` line in the block is run,
in order, against the built-in simulator, and what it prints must have the documented shape.

The shape is the text with every number replaced by 0 and runs of spaces by one, and the
simulator's address by the one the page shows: readings, clock times and energy move between
runs, but every word, label, unit, hint and line of the page must be real, and a stray line in the
block fails the test.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from pyPeblar.simulator import Simulator
from test.conftest import ROOT
from test.test_cli import run
from test.test_cli_web import back_after_reboot

CLI_DOCS = ROOT / "docs" / "cli.md"
DOCUMENTED_HOST = "192.168.1.50"
#: The web interface password of the page's charger (in $PEBLAR_PASSWORD, as the page sets it).
DOCUMENTED_PASSWORD = "peblar"


def real_output_block(text: str) -> str:
    """The first fenced block of the "## Real output" section."""
    section = text.split("\n## Real output\n", 1)[1].split("\n## ", 1)[0]
    parts = section.split("```\n")
    assert len(parts) >= 3, "no fenced block in the Real output section"
    return parts[1]


def sessions(block: str) -> list[tuple[str, list[str]]]:
    """Each ``$ command`` of the block with the lines shown after it."""
    result: list[tuple[str, list[str]]] = []
    for line in block.splitlines():
        if line.startswith("$ "):
            result.append((line[2:], []))
        else:
            assert result, f"output before any command: {line!r}"
            result[-1][1].append(line)
    return result


def shape(lines: list[str]) -> list[str]:
    """Numbers as 0, spaces collapsed, trailing blank lines dropped."""
    shaped = [" ".join(re.sub(r"[0-9]+", "0", line).split()) for line in lines]
    while shaped and not shaped[-1]:
        shaped.pop()
    return shaped


def split_command(command: str) -> tuple[dict[str, str], list[str]]:
    """``VAR=value pypeblar args...`` as the variables and the arguments after ``pypeblar``."""
    words = shlex.split(command)
    variables = {}
    while words and re.fullmatch(r"[A-Z_]+=.*", words[0]):
        name, _, value = words.pop(0).partition("=")
        variables[name] = value
    assert words[:1] == ["pypeblar"], command
    return variables, words[1:]


def test_the_block_is_commands_and_their_output() -> None:
    documented = sessions(real_output_block(CLI_DOCS.read_text(encoding="utf-8")))
    assert len(documented) >= 5
    for command, lines in documented:
        split_command(command)
        assert shape(lines), f"{command}: no output shown"


#: The commands that reboot the charger: the next one waits until it is back.
REBOOTING = ("update", "reboot")


def test_the_real_output_is_real(tmp_path: Path) -> None:
    documented = sessions(real_output_block(CLI_DOCS.read_text(encoding="utf-8")))
    with Simulator(password=DOCUMENTED_PASSWORD) as sim:  # "a car charging for half an hour"
        sim.reboot_duration = 0.05
        sim.plug_in()
        sim.advance(1800)
        for command, lines in documented:
            variables, arguments = split_command(command)
            rebooting = any(word in arguments for word in REBOOTING)
            if rebooting:
                sim.advance(3600)  # the uptime tells when it is back
            result = run(
                *arguments,
                sim=sim,
                state_dir=tmp_path,
                env={"PEBLAR_PASSWORD": DOCUMENTED_PASSWORD, **variables},
            )
            if rebooting:
                back_after_reboot(sim, uptime_below=3600)
            printed = (result.stdout + result.stderr).replace(sim.host, DOCUMENTED_HOST)
            assert shape(printed.splitlines()) == shape(lines), f"$ {command}"


@pytest.mark.parametrize(
    ("documented", "printed", "same"),
    [
        (["Power         11.07 kW"], ["Power         9.2 kW", ""], True),
        (["04:15:22 State B         0.0 A"], ["14:35:43 State B        10.0 A"], True),
        (["Charged."], ["Charged.", "exit code test"], False),
        (["State B"], ["State C"], False),
    ],
)
def test_shape(documented: list[str], printed: list[str], same: bool) -> None:
    assert (shape(documented) == shape(printed)) is same
