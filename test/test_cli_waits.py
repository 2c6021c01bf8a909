"""A long wait is said on a terminal: the command line turns the SDK's wait records into one line
on stderr, once a wait passes about two seconds; never on standard output, never on a pipe.

In-process (``cli``, test/cli.py), with a pseudo-terminal as stderr; the SDK's records
themselves are tested once for both clients.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from pyPeblar import Peblar
from pyPeblar._transport.waits import ANSWERED, ATTRIBUTE, CHANGE, CHANGED, REQUEST, RETRY
from pyPeblar.simulator import Simulator
from test.cli import SECRET, Cli
from test.conftest import client_for


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator(password=SECRET, phase_switch_delay=3.0) as simulator:
        simulator.plug_in()
        yield simulator


class Terminal:
    """What a pseudo-terminal standing in for stderr was shown (``text``, once closed)."""

    def __init__(self) -> None:
        self.text = ""


@contextmanager
def terminal_as_stderr() -> Iterator[Terminal]:
    """stderr is a pseudo-terminal inside the block (set in the test itself: pytest's capture
    puts its own stderr back when a test starts); what it showed is in ``text`` after."""
    leader, follower = os.openpty()
    stream = open(follower, "w", encoding="utf-8", buffering=1)  # noqa: SIM115 - closed below
    chunks: list[bytes] = []

    def read() -> None:
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the other side closed
                return
            if not chunk:
                return
            chunks.append(chunk)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    shown = Terminal()
    saved, sys.stderr = sys.stderr, stream
    try:
        yield shown
    finally:
        sys.stderr = saved
        stream.close()
        reader.join(timeout=10)
        os.close(leader)
        shown.text = b"".join(chunks).decode("utf-8").replace("\r\n", "\n")


@contextmanager
def silent_charger() -> Iterator[Simulator]:
    with Simulator(password=SECRET) as silent:
        silent.inject("hang", times=None, seconds=30)
        yield silent


def test_a_silent_charger_is_said(cli: Cli) -> None:
    with silent_charger() as silent, terminal_as_stderr() as terminal:
        result = cli("--timeout", "2.5", "--deadline", "2.5", "--json", "meter", host=silent.host)
    shown = terminal.text
    assert result.code == 3
    assert result.out == ""  # standard output (JSON) gets none of it
    line = "\rpypeblar: GET /api/wlac/v1/meter: waiting for the answer (2 s)\x1b[K"
    assert shown.startswith(line), shown
    # The line is erased before the error is said.
    waited, _, error = shown.rpartition("\r\x1b[K")
    assert waited.startswith(line)
    assert error.startswith("pypeblar: GET /api/wlac/v1/meter: ")
    assert error.count("\n") == 1


def test_a_phase_switch_is_said(cli: Cli) -> None:
    with terminal_as_stderr() as terminal:
        result = cli("--json", "phases", "1")
    shown = terminal.text
    assert result.code == 0, shown
    assert json.loads(result.out)["Force1Phase"] is True  # standard output is the JSON only
    assert shown.startswith(
        "\rpypeblar: waiting up to 30 s for the charger to switch to one phase (2 s)\x1b[K"
    ), shown
    assert shown.endswith("\r\x1b[K")  # erased when the switch showed


def test_nothing_is_said_of_short_waits(cli: Cli) -> None:
    with terminal_as_stderr() as terminal:
        assert cli("status").code == 0
        assert cli("config").code == 0
    assert terminal.text == ""


def test_nothing_is_said_on_a_pipe(cli: Cli) -> None:
    """Without a terminal, a wait is not said: a log gets the error only."""
    with silent_charger() as silent:
        result = cli("--timeout", "2.2", "--deadline", "2.2", "meter", host=silent.host)
    assert result.code == 3
    assert result.err.count("\n") == 1
    assert "waiting" not in result.err and "\x1b" not in result.err


# -- the SDK's records, for both clients ----------------------------------------------------------


def waits(caplog: pytest.LogCaptureFixture) -> list[tuple[str, str]]:
    return [
        (getattr(record, ATTRIBUTE), record.getMessage())
        for record in caplog.records
        if hasattr(record, ATTRIBUTE)
    ]


@pytest.mark.usefixtures("each_client")
class TestTheSdkReportsItsWaits:
    def test_a_retried_request(self, caplog: pytest.LogCaptureFixture) -> None:
        with Simulator() as charger_sim, client_for(charger_sim) as charger:
            charger_sim.inject("status", path="/meter", status=503, times=1)
            with caplog.at_level(logging.DEBUG, logger="pyPeblar"):
                charger.meter()
        assert [kind for kind, _ in waits(caplog)] == [REQUEST, ANSWERED, RETRY, RETRY, ANSWERED]
        messages = [message for _, message in waits(caplog)]
        assert messages[0] == "GET /api/wlac/v1/meter: waiting for the answer"
        assert messages[2].startswith("GET /api/wlac/v1/meter: 503 ")
        assert "; retrying in " in messages[2]
        assert messages[3] == "GET /api/wlac/v1/meter: waiting for the answer, attempt 2 of 3"

    def test_a_phase_switch(self, caplog: pytest.LogCaptureFixture) -> None:
        with Simulator(phase_switch_delay=0.3) as charger_sim:
            charger_sim.plug_in()
            with client_for(charger_sim) as charger, caplog.at_level(logging.DEBUG, "pyPeblar"):
                charger.force_single_phase(True)
        changes = [(kind, text) for kind, text in waits(caplog) if kind in (CHANGE, CHANGED)]
        assert changes[0] == (CHANGE, "waiting up to 30 s for the charger to switch to one phase")
        assert changes[1][0] == CHANGED
        assert changes[1][1].startswith("the charger switched to one phase in ")
        assert len(changes) == 2


def test_records_cost_nothing_unheard(sim: Simulator) -> None:
    """Nobody listening (the default): no record is made at all."""
    made: list[logging.LogRecord] = []
    factory = logging.getLogRecordFactory()

    def counting(*args: object, **kwargs: object) -> logging.LogRecord:
        record = factory(*args, **kwargs)
        made.append(record)
        return record

    logging.setLogRecordFactory(counting)
    try:
        with Peblar(sim.host, sim.token) as charger:
            charger.meter()
    finally:
        logging.setLogRecordFactory(factory)
    assert [record for record in made if record.name == "pyPeblar"] == []
