"""What every ``pypeblar`` command shares: its ``Context``, ``UsageError`` and the exit statuses.

This module exists so that imports in the command line run one way. ``_commands`` registers the
commands and (lazily) imports the modules that implement the larger ones (``_check``, ``_demo``,
``_scan``, ``_watch``, ``_web_commands``); those need the ``Context`` they are handed, the
``UsageError`` they raise and the statuses they return. Were these defined in ``_commands`` (or
``_app``), each command module would import the module that imports it: a cycle. Here they sit
below all of them::

    _app -> _commands -> _check, _demo, _events, _scan, _watch, _web_commands -> _context, _render
    _app -> _report (a failed command) -> _context;  _app -> _waiting (the wait line)

so this module imports nothing from ``pyPeblar.cli`` (test/test_cli_layout.py holds the layout),
and, like the rest of the start-up path, only the standard library until a command runs.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final, NamedTuple, Protocol, TextIO

if TYPE_CHECKING:
    from pathlib import Path

    from pyPeblar._local.client import Peblar
    from pyPeblar._modbus.client import PeblarModbus
    from pyPeblar._web.client import PeblarWeb

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
    "LOCAL_API",
    "MAX_COUNT",
    "MODBUS_API",
    "MODBUS_COMMANDS",
    "PASSWORD",
    "TOKEN",
    "WEB_INTERFACE",
    "Context",
    "RefusedError",
    "Secret",
    "UsageError",
    "WaitShower",
    "checked_count",
    "count_option",
    "events_installed",
    "no_arguments",
    "password_option",
    "read_secret",
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
    EXIT_USAGE: "usage error: bad arguments, or no charger (or no token or password) given; a "
    "file or folder that cannot be read or written (--token-file, dump --output, the state "
    "folder); an address `simulate` cannot listen on (a port in use); also `update` or "
    "`reboot` without --yes when standard input is not a terminal",
    EXIT_CONNECTION: "the charger could not be reached, or did not answer in time",
    EXIT_AUTHENTICATION: "the token (or web interface password) was rejected",
    EXIT_REFUSED: "the charger refused (read-only mode, unsupported, a bad value, a missing "
    "operation) or pyPeblar's relay protection did",
    EXIT_CHARGER: "the charger failed or answered something unusable (5xx, rate limited, bad JSON)",
    EXIT_INTERRUPTED: "interrupted by Ctrl-C (SIGINT); `watch`, `events` and `simulate` end with "
    "0 instead",
}


#: The commands that run over Modbus with --modbus (``check`` compares it with the REST API).
MODBUS_COMMANDS: Final = (
    "meter",
    "ev",
    "system",
    "status",
    "watch",
    "set-current",
    "pause",
    "resume",
    "phases",
    "check",
)

#: The two APIs a command talks to (``Context.api``): errors get hints that fit the one in use.
LOCAL_API: Final = "local REST API"
WEB_INTERFACE: Final = "web interface"
MODBUS_API: Final = "Modbus TCP API"


class UsageError(Exception):
    """A mistake in how pypeblar was called (exit status 2)."""


class RefusedError(Exception):
    """What pypeblar refuses to send, having asked the charger (exit status 5), with a hint."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.hint = hint


def state_file() -> Path:
    """Where the command line remembers paused limits and relay switches between calls."""
    from pathlib import Path

    base = os.environ.get("PYPEBLAR_STATE_DIR") or os.path.join(
        os.environ.get("XDG_STATE_HOME") or os.path.expanduser("~/.local/state"), "pypeblar"
    )
    return Path(base) / "memory.json"


#: The longest error line shown (a message can repeat what it was given).
MAX_LINE: Final = 2000

#: More than any token or password needs: a file naming a large file (or /dev/zero) is a mistake.
MAX_SECRET_BYTES: Final = 4096


class Secret(NamedTuple):
    """A secret the command line reads: where from, and how what was read becomes the secret."""

    what: str  # "token" or "password", for messages
    option: str  # "--token": ``-`` reads standard input
    file_option: str  # "--token-file"
    variable: str  # "PEBLAR_TOKEN"
    prompt: str  # asked without echo on a terminal
    #: (what was given, whether from a file or standard input) -> the secret; a ``ValueError``
    #: when it cannot be one (never showing what was given)
    clean: Callable[[str, bool], str]


def clean_token(text: str, read: bool) -> str:
    """A token: surrounding whitespace is never part of it, and the rest must be a token."""
    from pyPeblar._shared.options import check_token

    return check_token(text.strip())


def clean_password(text: str, read: bool) -> str:
    """A password is used as written; from a file or standard input, less its final line break."""
    if read:
        text = text.removesuffix("\n").removesuffix("\r")
    return text


TOKEN: Final = Secret(
    "token", "--token", "--token-file", "PEBLAR_TOKEN", "API token: ", clean_token
)
PASSWORD: Final = Secret(
    "password",
    "--password",
    "--password-file",
    "PEBLAR_PASSWORD",
    "Web interface password: ",
    clean_password,
)


def read_secret(secret: Secret, path: str | None, option: str | None, prompt: str = "") -> str:
    """The secret: from the file ``path`` (``--token-file``), from ``option`` (``--token``;
    ``-`` reads one line of standard input), or from its environment variable, cleaned as
    ``secret.clean`` says; ``""`` when none is given.

    Only one of ``option`` and ``path`` may be given: each is taken before or after the command,
    where no parser sees the two together. A file or standard input named on the command line
    must give one: otherwise a ``UsageError`` names the source. What was read is never put in an
    error message: it may be the secret, or whatever else the file holds.
    """
    if option is not None and path is not None:
        raise UsageError(f"give {secret.option} or {secret.file_option}, not both")
    read = path is not None or option == "-"
    if path is not None:
        source, text = f"{secret.file_option} {path}", read_secret_file(secret, path)
    elif option == "-":
        source = f"{secret.option} - (standard input)"
        text = read_secret_line(prompt or secret.prompt)
    elif option:
        source, text = secret.option, option
    else:
        source, text = secret.variable, os.environ.get(secret.variable, "")
    if not text.strip():
        if source == secret.variable:
            return ""  # not given: the command says what is missing, if it needs it
        raise UsageError(f"{source}: empty, there is no {secret.what} in it")
    try:
        return secret.clean(text, read)
    except ValueError as error:
        raise UsageError(f"{source}: {error}") from None


def read_secret_file(secret: Secret, path: str) -> str:
    """What the file at ``path`` holds; a ``UsageError`` naming it if it cannot."""
    name = f"{secret.file_option} {path}"
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_SECRET_BYTES + 1)
    except FileNotFoundError:
        raise UsageError(f"{name}: no such file") from None
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise UsageError(f"{name}: cannot read it ({reason})") from None
    if len(data) > MAX_SECRET_BYTES:
        raise UsageError(f"{name}: over {MAX_SECRET_BYTES} bytes, too long for a {secret.what}")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"{name}: not a text file") from None


def read_secret_line(prompt: str) -> str:
    """One line of standard input; asked for without echo on a terminal."""
    if sys.stdin.isatty():
        import getpass

        return getpass.getpass(prompt)
    return sys.stdin.readline(MAX_SECRET_BYTES)


def no_arguments(parser: argparse.ArgumentParser) -> None:
    """How a command that takes no arguments declares them."""


#: More than this is "until stopped": leave --count out (10**400 is not a count).
MAX_COUNT: Final = 1_000_000


def count_option(parser: argparse.ArgumentParser, what: str) -> None:
    """``--count N``: a command that runs until stopped (``watch``, ``events``) ends after N."""
    parser.add_argument(
        "--count", type=int, metavar="N", help=f"stop after this many {what} (1 to {MAX_COUNT:,})"
    )


def checked_count(count: int | None) -> int | None:
    """``--count``'s value, or a ``UsageError`` naming its range."""
    if count is not None and not 1 <= count <= MAX_COUNT:
        raise UsageError(f"--count must be from 1 to {MAX_COUNT:,} (without it: until stopped)")
    return count


def events_installed() -> bool:
    """Whether the ``events`` extra (the websockets library ``PeblarWeb.events()`` runs on) is
    installed: ``events`` needs it, ``watch`` follows the session with it when it can."""
    try:
        import websockets  # noqa: F401
    except ImportError:
        return False
    return True


def password_option(text: str) -> str:
    """``--password`` takes only ``-``: a password written on the command line shows in ``ps``.

    The message never repeats what was given (it would be the password).
    """
    if text != "-":
        raise argparse.ArgumentTypeError(
            "takes only - (read the password from standard input): a password written on the "
            "command line shows in `ps`; use $PEBLAR_PASSWORD or --password-file PATH"
        )
    return text


class WaitShower(Protocol):
    """What shows a command's waits (``_waiting.WaitLine``), as a ``Context`` uses it."""

    def clear(self) -> None: ...

    def stop(self) -> None: ...


class Context:
    """What a command needs: its arguments, the charger (connected on first use), and output."""

    def __init__(self, args: argparse.Namespace, out: TextIO | None = None) -> None:
        self.args = args
        self.out = out or sys.stdout
        #: The API the command last reached for (``charger()``: the local REST API, ``web()``:
        #: the web interface), so that an error's hint fits what failed.
        self.api: str = LOCAL_API
        self._charger: Peblar | None = None
        self._modbus: PeblarModbus | None = None
        self._web: PeblarWeb | None = None
        self._token: str | None = None  # "" once looked for and not found
        self._password: str | None = None  # the same
        self._waits: WaitShower | None = None

    @property
    def json(self) -> bool:
        return bool(self.args.json)

    @property
    def modbus(self) -> bool:
        """Whether --modbus asks for the charger's Modbus TCP API."""
        return bool(getattr(self.args, "modbus", False))

    def host(self) -> str | None:
        return self.args.host or os.environ.get("PEBLAR_HOST") or None

    def timeouts(self) -> dict[str, Any]:
        """The clients' ``timeout`` (connect, read: --timeout, connecting at most 5 s) and
        ``deadline`` (--deadline)."""
        timeout = float(self.args.timeout)
        return {"timeout": (min(timeout, 5.0), timeout), "deadline": float(self.args.deadline)}

    def token(self) -> str | None:
        """The API token from --token-file, --token (``-``: standard input) or $PEBLAR_TOKEN.

        Read once (standard input cannot be read twice), stripped of surrounding whitespace and
        checked; a problem is a ``UsageError`` that names where the token came from and never
        shows what was read.
        """
        if self._token is None:
            self.one_reader_of_standard_input()
            self._token = read_secret(TOKEN, self.args.token_file, self.args.token)
        return self._token or None

    def password(self, *, ask: bool = True) -> str | None:
        """The web interface password from --password-file, --password - (standard input) or
        $PEBLAR_PASSWORD; with none of them, asked for (not echoed) when ``ask`` and standard
        input is a terminal.

        Read once, used as written (a file's or standard input's final line break removed);
        like the token, never shown in a message.
        """
        if self._password is None:
            self.one_reader_of_standard_input()
            self.quiet()
            prompt = f"Web interface password for {self.host() or 'the charger'}: "
            password = read_secret(PASSWORD, self.args.password_file, self.args.password, prompt)
            if not password and ask and sys.stdin.isatty():
                password = read_secret(PASSWORD, None, "-", prompt)
            self._password = password
        return self._password or None

    def one_reader_of_standard_input(self) -> None:
        if self.args.token == "-" and self.args.password == "-":
            raise UsageError(
                "--token - and --password - would both read standard input: give one of them "
                "from a file (--token-file, --password-file) or the environment"
            )

    def charger(self) -> Peblar | PeblarModbus:
        """The client of the API the command runs on: Modbus with --modbus, else REST."""
        return self.modbus_charger() if self.modbus else self.rest()

    def modbus_charger(self) -> PeblarModbus:
        """The Modbus client for --host's address, --modbus-port and --modbus-unit, made once."""
        self.api = MODBUS_API
        if self._modbus is None:
            host = self.host()
            if not host:
                raise UsageError(
                    "no charger given: give --host HOST (or PEBLAR_HOST); `pypeblar simulate "
                    "--modbus-port 5020` runs the built-in simulator with Modbus"
                )
            from pyPeblar._modbus.client import PeblarModbus
            from pyPeblar._shared.memory import ChargerMemory
            from pyPeblar._transport.address import parse_address
            from pyPeblar._transport.shown import shown

            address = parse_address(host)  # the REST API's port, if --host names one, is not ours
            port = self.args.modbus_port or os.environ.get("PEBLAR_MODBUS_PORT", "").strip()
            if isinstance(port, str) and port and not (port.isascii() and port.isdigit()):
                raise UsageError(f"PEBLAR_MODBUS_PORT={shown(port)} is not a TCP port")
            self._modbus = PeblarModbus(
                f"[{address.host}]" if ":" in address.host else address.host,
                port=int(port) if port else None,
                unit=self.args.modbus_unit,
                memory=ChargerMemory(state_file()),
                **self.timeouts(),
            )
        return self._modbus

    def rest(self) -> Peblar:
        """The client of the local REST API for --host and the token (see ``token``), made
        once."""
        self.api = LOCAL_API
        if self._charger is None:
            host = self.host()
            token = self.token()
            self.require(
                host,
                ("token", "a token (PEBLAR_TOKEN or --token-file PATH)", token),
                "`pypeblar token --host HOST` fetches a token, and `pypeblar demo` runs on the "
                "built-in simulator",
            )
            assert host and token
            from pyPeblar._local.client import Peblar
            from pyPeblar._shared.memory import ChargerMemory

            self._charger = Peblar(
                host, token, memory=ChargerMemory(state_file()), **self.timeouts()
            )
        return self._charger

    def host_and_password(self) -> tuple[str, str]:
        """--host and the web interface password (see ``password``); a ``UsageError`` naming
        what is missing."""
        self.api = WEB_INTERFACE
        host = self.host()
        password = self.password(ask=bool(host))  # never asked for a charger not named
        self.require(
            host,
            (
                "web interface password",
                "the web interface password (PEBLAR_PASSWORD, --password-file PATH or "
                "--password - for standard input)",
                password,
            ),
            "`pypeblar simulate` runs a charger whose web interface password is peblar",
        )
        assert host and password
        return host, password

    def web(self) -> PeblarWeb:
        """The web-interface client for --host and the password, made once."""
        self.api = WEB_INTERFACE
        if self._web is None:
            host, password = self.host_and_password()
            from pyPeblar._web.client import PeblarWeb

            self._web = PeblarWeb(host, password, **self.timeouts())
        return self._web

    @staticmethod
    def require(host: str | None, secret: tuple[str, str, str | None], hint: str) -> None:
        """A ``UsageError`` naming what is missing of the host and ``secret`` (what it is, where
        it comes from, its value): "no charger given" only when the host is missing."""
        what, sources, value = secret
        if not host:
            missing = "--host HOST (or PEBLAR_HOST)" + ("" if value else f" and {sources}")
            raise UsageError(f"no charger given: give {missing}; {hint}")
        if not value:
            raise UsageError(f"no {what} given for {host}: give {sources}; {hint}")

    def confirmable(self, doing: str) -> None:
        """Refuse (a ``UsageError``) a command that asks first when nobody can answer: without
        --yes, standard input must be a terminal. Called before anything is sent."""
        if not getattr(self.args, "yes", False) and not sys.stdin.isatty():
            raise UsageError(
                f"{self.args.command} asks before it {doing}, and standard input is not a "
                "terminal: add --yes to go ahead without asking"
            )

    def confirm(self, question: str, doing: str) -> bool:
        """True with --yes; else ``question`` answered y or yes on the terminal (default no)."""
        self.confirmable(doing)
        if getattr(self.args, "yes", False):
            return True
        self.quiet()
        sys.stderr.write(f"{question} [y/N] ")
        sys.stderr.flush()
        answer = sys.stdin.readline()
        return answer.strip().lower() in ("y", "yes")

    def emit(self, document: Any, human: str) -> None:
        """Print the result: ``document`` as JSON with --json, else ``human``."""
        self.quiet()
        if self.json:
            self.out.write(json.dumps(document, indent=2, default=str) + "\n")
        else:
            self.out.write(human.rstrip("\n") + "\n")
        self.out.flush()

    def say(self, text: str) -> None:
        """Progress for people: on stdout in human mode, on stderr with --json (stdout is data)."""
        self.quiet()
        stream = sys.stderr if self.json else self.out
        stream.write(text + "\n")
        stream.flush()

    def warn(self, text: str) -> None:
        """A line for people on stderr: an error, a warning; cut when a value it repeats (a
        100,000-character host) makes it longer than anyone reads."""
        self.quiet()
        if len(text) > MAX_LINE:
            text = f"{text[: MAX_LINE - 40]}... ({len(text):,} characters in all)"
        print(text, file=sys.stderr, flush=True)

    def show_waits(self, waits: WaitShower) -> None:
        """From now on, ``waits`` says what the command waits for (``_waiting.WaitLine``, which
        ``main`` gives on a terminal); ``quiet`` erases it before anything else is written."""
        self._waits = waits

    def quiet(self) -> None:
        """Take the wait line away before anything else is written (and forget the wait)."""
        if self._waits is not None:
            self._waits.clear()

    def close(self) -> None:
        if self._waits is not None:
            self._waits.stop()
            self._waits = None
        if self._charger is not None:
            self._charger.close()
        if self._modbus is not None:
            self._modbus.close()
        if self._web is not None:
            self._web.close()
