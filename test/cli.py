"""The command line in-process: ``cli(*argv)`` runs ``pyPeblar.cli.main`` against the test's
simulator (its ``sim`` fixture, with the web interface password ``SECRET``), and every output is
searched for the password at the end of the test.

``test/conftest.py`` makes ``cli`` a fixture of every test module; a module that uses it defines
its ``sim`` with the password ``SECRET``.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pyPeblar.cli import main
from pyPeblar.simulator import Simulator

__all__ = ["SECRET", "Cli", "Pipe", "Result", "Terminal", "cli", "ok", "usage_error"]

#: A password no output may ever contain.
SECRET = "Zq9-Pebl4r-s3cret-Xk7"


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def json(self) -> Any:
        assert self.code in {0, 1}, self.err
        return json.loads(self.out)


class Terminal(io.StringIO):
    """Standard input that says it is a terminal (what a person answers is its text)."""

    def isatty(self) -> bool:
        return True


class Pipe(io.StringIO):
    def isatty(self) -> bool:
        return False


Cli = Callable[..., Result]


@pytest.fixture
def cli(
    sim: Simulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Iterator[Cli]:
    """``cli(*argv, password=SECRET, stdin="", tty=False, host=None)``: main(argv) against
    ``sim`` (or the PEBLAR_HOST ``host``).

    Every output of every call is kept and, at the end of the test, searched for the password.
    """
    outputs: list[str] = []

    def call(
        *argv: str,
        password: str | None = SECRET,
        stdin: str = "",
        tty: bool = False,
        host: str | None = None,
    ) -> Result:
        monkeypatch.setenv("PEBLAR_HOST", sim.host if host is None else host)
        monkeypatch.setenv("PEBLAR_TOKEN", sim.token)
        monkeypatch.setenv("PYPEBLAR_STATE_DIR", str(tmp_path / "state"))
        if password is None:
            monkeypatch.delenv("PEBLAR_PASSWORD", raising=False)
        else:
            monkeypatch.setenv("PEBLAR_PASSWORD", password)
        monkeypatch.setattr("sys.stdin", Terminal(stdin) if tty else Pipe(stdin))
        try:
            code = main(list(argv))
        except SystemExit as exit:  # argparse: --help, usage errors
            code = exit.code if isinstance(exit.code, int) else 2
        captured = capsys.readouterr()
        outputs.extend((captured.out, captured.err))
        return Result(code, captured.out, captured.err)

    yield call
    for text in outputs:
        assert SECRET not in text


def ok(result: Result) -> str:
    assert result.code == 0, result.err
    return result.out


def usage_error(result: Result, *words: str) -> str:
    assert result.code == 2, (result.out, result.err)
    assert result.out == ""
    for word in words:
        assert word in result.err
    assert "Traceback" not in result.err
    return result.err
