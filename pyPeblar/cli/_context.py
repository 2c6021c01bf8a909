"""What every ``pypeblar`` command shares: its ``Context``, ``UsageError`` and the exit statuses.

This module exists so that imports in the command line run one way. ``_commands`` registers the
commands and (lazily) imports the modules that implement the larger ones (``_check``, ``_demo``,
``_scan``, ``_watch``); those need the ``Context`` they are handed, the ``UsageError`` they raise
and the statuses they return. Were these defined in ``_commands`` (or ``_app``), each command
module would import the module that imports it: a cycle. Here they sit below all of them::

    _app -> _commands -> _check, _demo, _scan, _watch -> _context

so this module imports nothing from ``pyPeblar.cli`` (test/test_cli_layout.py holds the layout),
and, like the rest of the start-up path, only the standard library until a command runs.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import TYPE_CHECKING, Any, Final, TextIO

if TYPE_CHECKING:
    from pathlib import Path

    from pyPeblar._client import Peblar

__all__ = [
    "EXIT_AUTHENTICATION",
    "EXIT_CHARGER",
    "EXIT_CODES",
    "EXIT_CONNECTION",
    "EXIT_DRIFT",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_REFUSED",
    "EXIT_USAGE",
    "Context",
    "UsageError",
    "read_token",
    "state_file",
]

#: Exit statuses, documented in docs/cli.md; scripts can tell these failures apart.
EXIT_OK: Final = 0
EXIT_DRIFT: Final = 1
EXIT_USAGE: Final = 2
EXIT_CONNECTION: Final = 3
EXIT_AUTHENTICATION: Final = 4
EXIT_REFUSED: Final = 5
EXIT_CHARGER: Final = 6
EXIT_INTERRUPTED: Final = 130

EXIT_CODES: Final = {
    EXIT_OK: "success",
    EXIT_DRIFT: "`check` found the charger differs from the spec",
    EXIT_USAGE: "usage error: bad arguments, or no charger given",
    EXIT_CONNECTION: "the charger could not be reached, or did not answer in time",
    EXIT_AUTHENTICATION: "the token (or web password) was rejected",
    EXIT_REFUSED: "the charger refused (read-only mode, unsupported, a bad value, a missing "
    "operation) or pyPeblar's relay protection did",
    EXIT_CHARGER: "the charger failed or answered something unusable (5xx, rate limited, bad JSON)",
    EXIT_INTERRUPTED: "interrupted by Ctrl-C (SIGINT); `watch` and `simulate` end with 0 instead",
}


class UsageError(Exception):
    """A mistake in how pypeblar was called (exit status 2)."""


def state_file() -> Path:
    """Where the command line remembers paused limits and relay switches between calls."""
    from pathlib import Path

    base = os.environ.get("PYPEBLAR_STATE_DIR") or os.path.join(
        os.environ.get("XDG_STATE_HOME") or os.path.expanduser("~/.local/state"), "pypeblar"
    )
    return Path(base) / "memory.json"


#: More than any token needs: a --token-file naming a large file (or /dev/zero) is a mistake.
MAX_TOKEN_BYTES: Final = 4096


def read_token(path: str | None, option: str | None) -> str:
    """The API token: from the file ``path`` (--token-file), from ``option`` (--token; ``-`` reads
    one line of standard input), or from $PEBLAR_TOKEN, stripped of surrounding whitespace;
    ``""`` when none is given.

    A file or standard input named on the command line must give a token: otherwise, as for a
    token that is not one, a ``UsageError`` names the source. What was read is never put in an
    error message: it may be the token, or whatever else the file holds.
    """
    if path is not None:
        source, token = f"--token-file {path}", read_token_file(path)
    elif option == "-":
        source, token = "--token - (standard input)", read_token_line()
    elif option:
        source, token = "--token", option
    else:
        source, token = "PEBLAR_TOKEN", os.environ.get("PEBLAR_TOKEN", "")
    token = token.strip()
    if not token:
        if source == "PEBLAR_TOKEN":
            return ""  # not given: the command says what is missing, if it needs a token
        raise UsageError(f"{source}: empty, there is no token in it")
    from pyPeblar._base import check_token

    try:
        return check_token(token)
    except ValueError as error:
        raise UsageError(f"{source}: {error}") from None


def read_token_file(path: str) -> str:
    """What the file at ``path`` holds; a ``UsageError`` naming it if it cannot."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_TOKEN_BYTES + 1)
    except FileNotFoundError:
        raise UsageError(f"--token-file {path}: no such file") from None
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise UsageError(f"--token-file {path}: cannot read it ({reason})") from None
    if len(data) > MAX_TOKEN_BYTES:
        raise UsageError(f"--token-file {path}: over {MAX_TOKEN_BYTES} bytes, too long for a token")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"--token-file {path}: not a text file") from None


def read_token_line() -> str:
    """One line of standard input; asked for without echo on a terminal."""
    if sys.stdin.isatty():
        import getpass

        return getpass.getpass("API token: ")
    return sys.stdin.readline(MAX_TOKEN_BYTES)


class Context:
    """What a command needs: its arguments, the charger (connected on first use), and output."""

    def __init__(self, args: argparse.Namespace, out: TextIO | None = None) -> None:
        self.args = args
        self.out = out or sys.stdout
        self._charger: Peblar | None = None
        self._token: str | None = None  # "" once looked for and not found

    @property
    def json(self) -> bool:
        return bool(self.args.json)

    def host(self) -> str | None:
        return self.args.host or os.environ.get("PEBLAR_HOST") or None

    def token(self) -> str | None:
        """The API token from --token-file, --token (``-``: standard input) or $PEBLAR_TOKEN.

        Read once (standard input cannot be read twice), stripped of surrounding whitespace and
        checked; a problem is a ``UsageError`` that names where the token came from and never
        shows what was read.
        """
        if self._token is None:
            self._token = read_token(self.args.token_file, self.args.token)
        return self._token or None

    def charger(self) -> Peblar:
        """The client for --host and the token (see ``token``), made once."""
        if self._charger is None:
            host = self.host()
            token = self.token()
            if not host or not token:
                missing = " and ".join(
                    name
                    for name, value in (
                        ("--host HOST (or PEBLAR_HOST)", host),
                        ("a token (PEBLAR_TOKEN or --token-file PATH)", token),
                    )
                    if not value
                )
                raise UsageError(
                    f"no charger given: give {missing}; `pypeblar token --host HOST` fetches a "
                    "token, and `pypeblar demo` runs on the built-in simulator"
                )
            from pyPeblar._client import Peblar
            from pyPeblar._memory import ChargerMemory

            self._charger = Peblar(
                host,
                token,
                timeout=(min(self.args.timeout, 5.0), self.args.timeout),
                memory=ChargerMemory(state_file()),
            )
        return self._charger

    def emit(self, document: Any, human: str) -> None:
        """Print the result: ``document`` as JSON with --json, else ``human``."""
        if self.json:
            self.out.write(json.dumps(document, indent=2, default=str) + "\n")
        else:
            self.out.write(human.rstrip("\n") + "\n")
        self.out.flush()

    def say(self, text: str) -> None:
        """Progress for people: on stdout in human mode, on stderr with --json (stdout is data)."""
        stream = sys.stderr if self.json else self.out
        stream.write(text + "\n")
        stream.flush()

    def close(self) -> None:
        if self._charger is not None:
            self._charger.close()
