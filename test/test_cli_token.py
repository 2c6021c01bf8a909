"""Where the command line takes the API token from: a file or standard input, so it stays out of
``ps``; $PEBLAR_TOKEN and ``--token`` as before. A source that gives no token is a usage error
naming it, and never shows what it holds."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pyPeblar.simulator import Simulator
from test.test_cli import SCRIPT, run
from test.test_cli_signals import first_line

WRONG = "f" * 64


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator() as simulator:
        yield simulator


def with_host(sim: Simulator, **variables: str) -> dict[str, str]:
    return {"PEBLAR_HOST": sim.host, **variables}


def power(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    return result.stdout


class TestTheTokenIsRead:
    def test_from_a_file_stripped(self, sim: Simulator, tmp_path: Path) -> None:
        path = tmp_path / "token"
        path.write_text(f"  {sim.token}\n\n")
        out = power(run("--token-file", str(path), "meter", env=with_host(sim), state_dir=tmp_path))
        assert "Power" in out

    def test_the_file_wins_over_the_environment(self, sim: Simulator, tmp_path: Path) -> None:
        path = tmp_path / "token"
        path.write_text(sim.token)
        result = run(
            "--token-file",
            str(path),
            "meter",
            env=with_host(sim, PEBLAR_TOKEN=WRONG),
            state_dir=tmp_path,
        )
        power(result)

    def test_the_file_is_used_as_it_is(self, sim: Simulator, tmp_path: Path) -> None:
        """A wrong token in the file is sent (and rejected), not replaced by another source."""
        path = tmp_path / "token"
        path.write_text(WRONG + "\n")
        result = run(
            "--token-file",
            str(path),
            "meter",
            env=with_host(sim, PEBLAR_TOKEN=sim.token),
            state_dir=tmp_path,
        )
        assert result.returncode == 4, result.stderr
        assert WRONG not in result.stderr

    def test_from_standard_input_one_line(self, sim: Simulator, tmp_path: Path) -> None:
        result = run(
            "--token",
            "-",
            "meter",
            env=with_host(sim),
            state_dir=tmp_path,
            input=f"{sim.token}\nthe next line is not read\n",
        )
        assert "Power" in power(result)

    def test_environment_and_option_as_before(self, sim: Simulator, tmp_path: Path) -> None:
        power(run("meter", env=with_host(sim, PEBLAR_TOKEN=f"{sim.token}\n"), state_dir=tmp_path))
        power(run("--token", sim.token, "meter", env=with_host(sim), state_dir=tmp_path))

    def test_the_token_is_not_in_the_process_arguments(
        self, sim: Simulator, tmp_path: Path
    ) -> None:
        """What `ps` shows of a `pypeblar --token-file PATH watch`: the path, not the token."""
        path = tmp_path / "token"
        path.write_text(sim.token)
        environment = {k: v for k, v in os.environ.items() if not k.startswith("PEBLAR_")}
        process = subprocess.Popen(
            [str(SCRIPT), "--token-file", str(path), "watch", "--interval", "0.5"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=environment
            | with_host(sim, HOME=str(tmp_path), XDG_STATE_HOME=str(tmp_path / "state")),
        )
        try:
            assert process.stdout is not None
            assert first_line(process.stdout).startswith("time ")  # the header, then ...
            assert "State" in first_line(process.stdout)  # ... a sample: the token was read
            arguments = Path(f"/proc/{process.pid}/cmdline")
            if arguments.exists():
                shown = arguments.read_bytes()
                assert str(path).encode() in shown
                assert sim.token.encode() not in shown
        finally:
            process.terminate()
            process.communicate(timeout=30)


def missing(path: Path) -> None:
    pass


def directory(path: Path) -> None:
    path.mkdir()


def empty(path: Path) -> None:
    path.write_text("")


def blank(path: Path) -> None:
    path.write_text(" \n\t\n")


def not_text(path: Path) -> None:
    path.write_bytes(b"\xff\xfe secret-bytes \x00")


def huge(path: Path) -> None:
    path.write_text("secret" * 1000)


def several_words(path: Path) -> None:
    path.write_text("hunter2 is my secret\n")


class TestASourceWithoutAToken:
    def expect_usage_error(
        self, result: subprocess.CompletedProcess[str], sim: Simulator, *words: str
    ) -> str:
        assert result.returncode == 2, result.stderr
        assert result.stdout == ""
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr  # one line, no traceback
        for word in words:
            assert word in lines[0]
        assert sim.stats().requests_total == 0  # nothing was sent
        return lines[0]

    @pytest.mark.parametrize(
        "make", [missing, directory, empty, blank, not_text, huge, several_words]
    )
    def test_a_bad_token_file(
        self, sim: Simulator, tmp_path: Path, make: Callable[[Path], None]
    ) -> None:
        path = tmp_path / "peblar-token"
        make(path)
        result = run(
            "--token-file",
            str(path),
            "status",
            env=with_host(sim, PEBLAR_TOKEN=sim.token),  # not used instead
            state_dir=tmp_path,
        )
        line = self.expect_usage_error(result, sim, f"--token-file {path}:")
        for secret in ("secret", "hunter2", "\\x"):
            assert secret not in line

    @pytest.mark.skipif(
        not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads any file"
    )
    def test_an_unreadable_token_file(self, sim: Simulator, tmp_path: Path) -> None:
        path = tmp_path / "peblar-token"
        path.write_text(sim.token)
        path.chmod(0)
        result = run("--token-file", str(path), "status", env=with_host(sim), state_dir=tmp_path)
        self.expect_usage_error(result, sim, f"--token-file {path}: cannot read it")

    @pytest.mark.parametrize("given", ["", "\n", "  \n"])
    def test_nothing_on_standard_input(self, sim: Simulator, tmp_path: Path, given: str) -> None:
        result = run(
            "--token",
            "-",
            "status",
            env=with_host(sim, PEBLAR_TOKEN=sim.token),
            state_dir=tmp_path,
            input=given,
        )
        self.expect_usage_error(result, sim, "--token - (standard input): empty")

    def test_token_and_token_file_together(self, sim: Simulator, tmp_path: Path) -> None:
        path = tmp_path / "token"
        path.write_text(sim.token)
        result = run("--token", sim.token, "--token-file", str(path), "status", env=with_host(sim))
        assert result.returncode == 2
        assert "not allowed with argument" in result.stderr

    def test_no_token_at_all_says_where_to_put_one(self, sim: Simulator, tmp_path: Path) -> None:
        result = run("status", env=with_host(sim), state_dir=tmp_path)
        self.expect_usage_error(result, sim, "PEBLAR_TOKEN", "--token-file")
