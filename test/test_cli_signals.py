"""``pypeblar watch`` and ``pypeblar events`` end with status 0 on SIGINT and SIGTERM, however
they are sent.

Each test starts the real console script against a simulator, waits until it has shown its first
sample or event (readiness, never a fixed sleep), sends the signal the way a user or a tool would,
and checks the exit status and that nothing like a traceback was printed. The web interface
password is given too, so ``watch`` also follows the session on the websocket meanwhile.
"""

from __future__ import annotations

import contextlib
import os
import queue
import select
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO

import pytest

from pyPeblar.simulator import Simulator
from test.test_cli import SCRIPT

try:
    import termios

    HAS_TTY_CONTROL = hasattr(termios, "TIOCSCTTY")
except ImportError:  # Windows
    HAS_TTY_CONTROL = False

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

#: Generous: a busy two-core machine may take seconds to start a process.
READY_TIMEOUT = 60.0
EXIT_TIMEOUT = 30.0

WATCH = [str(SCRIPT), "watch", "--interval", "0.5"]
#: The commands that run until stopped, and what their first line shows once they run.
COMMANDS = {
    "watch": (WATCH, "State C"),
    "events": ([str(SCRIPT), "events"], "session   charging"),
}
EACH_COMMAND = pytest.mark.parametrize("command", list(COMMANDS))

#: Runs the command after it with SIGINT ignored, as a shell does for `pypeblar watch &`.
SIGINT_IGNORED = [
    sys.executable,
    "-c",
    "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_IGN); "
    "os.execv(sys.argv[1], sys.argv[1:])",
]


@pytest.fixture
def charging() -> Iterator[Simulator]:
    with Simulator() as simulator:
        simulator.plug_in()
        yield simulator


def environment(sim: Simulator, home: Path) -> dict[str, str]:
    kept = {k: v for k, v in os.environ.items() if not k.startswith(("PEBLAR_", "PYPEBLAR_"))}
    return kept | {
        "PEBLAR_HOST": sim.host,
        "PEBLAR_TOKEN": sim.token,
        "PEBLAR_PASSWORD": "peblar",  # the simulator's
        "HOME": str(home),
        "XDG_STATE_HOME": str(home / "state"),
        "PYPEBLAR_STATE_DIR": str(home / "pypeblar"),
    }


def first_line(stream: IO[str]) -> str:
    """The first line ``stream`` gives, waiting at most READY_TIMEOUT seconds for it."""
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: lines.put(stream.readline()), daemon=True).start()
    try:
        return lines.get(timeout=READY_TIMEOUT)
    except queue.Empty:
        pytest.fail(f"no output within {READY_TIMEOUT} s")


def start(
    command: Sequence[str], sim: Simulator, home: Path, ready: str = "State C"
) -> subprocess.Popen[str]:
    """Start ``command``; return once its first line showing ``ready`` is out (after the header
    line that a piped ``watch`` prints first)."""
    process = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment(sim, home),
        start_new_session=True,  # a group of its own, so a clean-up can end every process in it
    )
    assert process.stdout is not None
    line = first_line(process.stdout)
    if line.startswith("time "):  # watch's header line
        line = first_line(process.stdout)
    if ready not in line:
        kill_group(process)
        _, err = process.communicate()
        pytest.fail(f"no first sample: {line!r}, {err!r}")
    return process


def ended(process: subprocess.Popen[str]) -> tuple[int, str]:
    """The exit status and standard error of ``process``, which must end by itself."""
    try:
        _, err = process.communicate(timeout=EXIT_TIMEOUT)
    except subprocess.TimeoutExpired:
        kill_group(process)
        process.communicate()
        pytest.fail(f"still running {EXIT_TIMEOUT} s after the signal")
    return process.returncode, err


def kill_group(process: subprocess.Popen[str]) -> None:
    """Kill ``process`` and every process of its group (``timeout`` runs watch as a child, which
    would otherwise keep the output pipes open and the clean-up waiting)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


def assert_clean(status: int, err: str) -> None:
    assert status == 0, err
    assert "Traceback" not in err and "Error" not in err, err
    assert err == "", err


SIGNALS = pytest.mark.parametrize(
    "number", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"]
)


@SIGNALS
@EACH_COMMAND
def test_kill(charging: Simulator, tmp_path: Path, number: signal.Signals, command: str) -> None:
    """`kill -INT PID`, `kill PID`."""
    argv, ready = COMMANDS[command]
    process = start(argv, charging, tmp_path, ready)
    process.send_signal(number)
    assert_clean(*ended(process))


@SIGNALS
@EACH_COMMAND
def test_the_signal_again_and_again_while_it_ends(
    charging: Simulator, tmp_path: Path, number: signal.Signals, command: str
) -> None:
    """More signals while it is ending (Ctrl-C pressed twice; ``timeout`` sends two) change
    nothing, until the very end of the process."""
    argv, ready = COMMANDS[command]
    process = start(argv, charging, tmp_path, ready)
    deadline = time.monotonic() + EXIT_TIMEOUT
    while process.poll() is None and time.monotonic() < deadline:
        process.send_signal(number)  # does nothing once the process has ended
        time.sleep(0.002)
    assert_clean(*ended(process))


def test_sigint_when_started_with_sigint_ignored(charging: Simulator, tmp_path: Path) -> None:
    """A script's `pypeblar watch &` starts it with SIGINT ignored; `kill -INT` still ends it."""
    process = start([*SIGINT_IGNORED, *WATCH], charging, tmp_path)
    process.send_signal(signal.SIGINT)
    assert_clean(*ended(process))


@pytest.mark.skipif(shutil.which("timeout") is None, reason="needs coreutils timeout")
@SIGNALS
def test_under_timeout_preserving_the_status(
    charging: Simulator, tmp_path: Path, number: signal.Signals
) -> None:
    """`timeout --preserve-status -s INT 5 pypeblar watch` reports 0.

    ``timeout`` sends its signal twice, to the command and to the command's process group; the
    same happens when it times out or, as here, when it is sent the signal after the first sample
    (so the test does not race a fixed time limit against a slow start).
    """
    name = signal.Signals(number).name.removeprefix("SIG")
    command = ["timeout", "--preserve-status", "-s", name, str(READY_TIMEOUT * 2), *WATCH]
    process = start(command, charging, tmp_path)
    process.send_signal(number)
    assert_clean(*ended(process))


@pytest.mark.skipif(not HAS_TTY_CONTROL, reason="needs a terminal that can be made controlling")
def test_ctrl_c_on_a_terminal(charging: Simulator, tmp_path: Path) -> None:
    """Ctrl-C typed on the terminal it runs on: the live view ends with status 0."""
    import pty

    leader, follower = pty.openpty()
    # A session of its own with the pty as controlling terminal, so Ctrl-C reaches it.
    with_terminal = [
        sys.executable,
        "-c",
        "import fcntl, os, sys, termios; fcntl.ioctl(0, termios.TIOCSCTTY, 0); "
        "os.execv(sys.argv[1], sys.argv[1:])",
    ]
    process = subprocess.Popen(
        [*with_terminal, *WATCH],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env=environment(charging, tmp_path),
        start_new_session=True,
    )
    os.close(follower)
    try:
        screen = read_until(leader, b"Ctrl-C to stop", process)
        os.write(leader, b"\x03")  # what the Ctrl-C key sends; the terminal makes it SIGINT
        status = process.wait(timeout=EXIT_TIMEOUT)
        screen += read_until(leader, None, process)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(leader)
    assert status == 0, screen
    assert b"charging (State C)" in screen
    assert b"Traceback" not in screen and b"Error" not in screen, screen


def read_until(leader: int, marker: bytes | None, process: subprocess.Popen[bytes]) -> bytes:
    """What the terminal shows, up to ``marker`` (or, for None, until the process has ended)."""
    screen = b""
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if marker is not None and marker in screen:
            return screen
        ready, _, _ = select.select([leader], [], [], 0.1)
        if not ready:
            if marker is None and process.poll() is not None:
                return screen
            continue
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the terminal closed: the process has ended
            chunk = b""
        if not chunk:
            if marker is None:
                return screen
            pytest.fail(f"the terminal closed before {marker!r}: {screen!r}")
        screen += chunk
    pytest.fail(f"nothing like {marker!r} within {READY_TIMEOUT} s: {screen!r}")
