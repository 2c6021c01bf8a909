"""``pypeblar events`` and the live part of ``pypeblar watch``, as the real console script, against
the simulator's websocket. Each long-running command is started, read until it has shown what it
must (readiness, never a fixed sleep), driven by changes in the simulator, and stopped as a person
would (SIGINT); test/test_cli_signals.py stops both every other way.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pyPeblar.simulator import Simulator
from test.conftest import wait_until
from test.test_cli import SCRIPT, run
from test.test_cli_signals import READY_TIMEOUT, first_line

#: A password no output may ever contain.
SECRET = "Ev3nts-s3cret-Pw-91"
SESSION = "/session/status/connector/1"


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator(password=SECRET, require_authorization=True) as simulator:
        yield simulator


def environment(sim: Simulator, password: str = SECRET) -> dict[str, str]:
    kept = {k: v for k, v in os.environ.items() if not k.startswith(("PEBLAR_", "PYPEBLAR_"))}
    return kept | {"PEBLAR_HOST": sim.host, "PEBLAR_TOKEN": sim.token, "PEBLAR_PASSWORD": password}


class Running:
    """The console script, running: its lines as they come, then its end after a Ctrl-C."""

    def __init__(self, sim: Simulator, *args: str) -> None:
        self.process = subprocess.Popen(
            [str(SCRIPT), *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=environment(sim),
        )

    def line(self) -> str:
        assert self.process.stdout is not None
        return first_line(self.process.stdout)

    def interrupt(self) -> tuple[int, str, str]:
        """Ctrl-C; the exit status, and what was left on standard output and error."""
        self.process.send_signal(signal.SIGINT)
        out, err = self.process.communicate(timeout=READY_TIMEOUT)
        return self.process.returncode, out, err

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.communicate()


@pytest.fixture
def running(sim: Simulator) -> Iterator[list[Running]]:
    started: list[Running] = []
    yield started
    for process in started:
        process.kill()


class TestEvents:
    def test_count_ends_it_after_that_many_events(self, sim: Simulator) -> None:
        """``--count 2`` (after the command, as any option): the state now, the next change, and
        the command ends by itself, leaving the websocket."""
        events = subprocess.Popen(
            [str(SCRIPT), "events", "--count", "2", "--json"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=environment(sim),
        )
        try:
            assert events.stdout is not None
            assert json.loads(first_line(events.stdout))["data"]["state"] == "available"
            sim.plug_in()
            out, err = events.communicate(timeout=READY_TIMEOUT)
        finally:
            if events.poll() is None:
                events.kill()
        assert events.returncode == 0, err
        assert json.loads(out)["data"]["state"] == "preparingPluggedIn"
        wait_until(lambda: sim.websockets == 0)

    def test_count_is_checked(self, sim: Simulator) -> None:
        result = run("events", "--count", "0", env=environment(sim))
        assert result.returncode == 2
        assert "--count must be from 1 to 1,000,000" in result.stderr
        assert "GET /api/v1/ws" not in sim.stats().by_route

    def test_lines_until_ctrl_c(self, sim: Simulator, running: list[Running]) -> None:
        events = Running(sim, "events", SESSION, "/rfid/tokenfound")
        running.append(events)
        assert events.line().endswith("  session   available\n")
        sim.plug_in()
        assert "session   preparingPluggedIn" in events.line()
        sim.authorize("04A1B2C3")
        charging = events.line()
        assert "session   charging" in charging
        assert "11.07 kW  session 0.00 kWh" in charging
        assert sim.present_card("NEW-CARD") is True
        assert "card      NEW-CARD read" in events.line()
        sim.drop_websockets()  # reconnected in about a second, and said so
        assert "(after a reconnection)" in events.line()
        status, out, err = events.interrupt()
        assert (status, out, err) == (0, "", "")

    def test_json_lines_with_the_chargers_keys(
        self, sim: Simulator, running: list[Running]
    ) -> None:
        events = Running(sim, "events", "--json")  # after the command, or before it
        running.append(events)
        first = json.loads(events.line())
        assert first["topic"] == SESSION
        assert first["data"] == {"state": "available"}
        assert first["resumed"] is False
        sim.plug_in()
        plugged = json.loads(events.line())
        assert plugged["data"]["meterData"]["totalEnergy"] == sim.energy_total_wh
        assert events.interrupt()[0] == 0

    def test_a_refused_topic_is_said_without_a_traceback(self, sim: Simulator) -> None:
        result = run("events", "/no/such/topic", env=environment(sim))
        assert result.returncode == 5
        assert "refused the subscription to /no/such/topic: Unknown topic" in result.stderr
        assert "Traceback" not in result.stderr

    def test_a_wrong_password_never_shown(self, sim: Simulator) -> None:
        wrong = "wrong-Pw-5521"
        result = run("-v", "events", env=environment(sim, wrong))
        assert result.returncode == 4
        assert "refused the password" in result.stderr
        assert wrong not in result.stdout + result.stderr
        assert SECRET not in result.stdout + result.stderr

    @pytest.mark.parametrize("topic", ["session", "/a topic", "/\x1b[31m"])
    def test_a_bad_topic_is_a_usage_error(self, sim: Simulator, topic: str) -> None:
        result = run("events", topic, env=environment(sim))
        assert result.returncode == 2
        assert "topics must be" in result.stderr
        assert sim.stats().requests_total == 0

    def test_without_a_password_it_says_where_to_give_one(self, sim: Simulator) -> None:
        result = run("events", env={"PEBLAR_HOST": sim.host})
        assert result.returncode == 2
        assert "PEBLAR_PASSWORD" in result.stderr

    def test_without_the_websockets_library_it_says_what_to_install(
        self, sim: Simulator, tmp_path: Path
    ) -> None:
        (tmp_path / "sitecustomize.py").write_text("import sys\nsys.modules['websockets'] = None\n")
        result = run("events", env={**environment(sim), "PYTHONPATH": str(tmp_path)})
        assert result.returncode == 2
        assert "pip install 'pyPeblar[events]'" in result.stderr
        assert "Traceback" not in result.stderr


class TestWatch:
    def test_a_session_change_shows_at_once(self, sim: Simulator, running: list[Running]) -> None:
        watch = Running(sim, "watch", "--interval", "600", "--count", "3")
        running.append(watch)
        assert watch.line().startswith("time ")  # piped: the header line first
        assert "State A" in watch.line()
        wait_until(lambda: sim.subscribers(SESSION) == 1)  # following the session
        started = time.monotonic()
        sim.plug_in()
        assert "State B" in watch.line()
        sim.authorize("04A1B2C3")
        assert "State C" in watch.line()
        assert watch.process.wait(timeout=READY_TIMEOUT) == 0  # --count 3: done
        assert time.monotonic() - started < 300  # not the next interval's sample
        wait_until(lambda: sim.websockets == 0)

    def test_without_a_password_it_only_polls(self, sim: Simulator) -> None:
        result = run(
            "watch",
            "--interval",
            "0.5",
            "--count",
            "2",
            env={**environment(sim), "PEBLAR_PASSWORD": ""},
        )
        assert result.returncode == 0, result.stderr
        assert "GET /api/v1/ws" not in sim.stats().by_route

    def test_a_wrong_password_leaves_the_polling(self, sim: Simulator) -> None:
        result = run(
            "watch",
            "--interval",
            "0.5",
            "--count",
            "3",
            env=environment(sim, "wrong-Pw-5521"),
        )
        assert result.returncode == 0
        assert len(result.stdout.splitlines()) == 1 + 3  # the header line, three samples
        assert "session changes show at the next sample" in result.stderr
        assert "refused the password" in result.stderr
        assert "wrong-Pw-5521" not in result.stderr
