"""The ``pypeblar`` command: global options, dispatch, and errors mapped to exit statuses.

The entry point, and the only module that imports ``_commands``; the exit statuses themselves are
defined in ``_context``, beside what the commands share, so ``check`` can return one without
importing this module back.

Start-up is the whole cost of a command-line call, so this module imports only the standard
library; a command imports the client (urllib3, pydantic, the generated models) when it runs, and
``pypeblar --help`` never does.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any, Final

from pyPeblar._version import __version__
from pyPeblar.cli._commands import COMMANDS
from pyPeblar.cli._context import (
    EXIT_CODES,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    MODBUS_COMMANDS,
    Context,
    UsageError,
    password_option,
)

__all__ = ["ALL", "EXIT_CODES", "build_parser", "main"]


def add_global_options(parser: argparse.ArgumentParser, *, after_command: bool = False) -> None:
    """The global options, declared once: before the command, and (``after_command``) again on
    a command's own parser, so ``pypeblar meter --json`` works as ``pypeblar --json meter`` does.

    After the command they default to ``SUPPRESS``, so one given before it is kept; a name the
    command uses itself (``authorize --token``, ``scan --timeout``, ``simulate --host``) stays
    the command's.
    """
    taken = parser._option_string_actions  # the names the command declared itself

    def option(target: argparse._ActionsContainer, *names: str, **settings: Any) -> None:
        if any(name in taken for name in names):
            return
        if after_command:
            settings["default"] = argparse.SUPPRESS
        target.add_argument(*names, **settings)

    option(
        parser,
        "--host",
        help="the charger's address, host or host:port (default: $PEBLAR_HOST)",
    )
    token = parser.add_mutually_exclusive_group()
    option(
        token,
        "--token",
        help="the charger's API token, or - to read it from standard input (default: "
        "$PEBLAR_TOKEN); a value here shows in `ps` to every user: prefer $PEBLAR_TOKEN or "
        "--token-file",
    )
    option(
        token, "--token-file", metavar="PATH", help="read the API token from this file (one line)"
    )
    password = parser.add_mutually_exclusive_group()
    option(
        password,
        "--password",
        metavar="-",
        type=password_option,
        help="- reads the web interface password from standard input (default: "
        "$PEBLAR_PASSWORD; asked for on a terminal); nothing else is taken here, so the "
        "password never shows in `ps`",
    )
    option(
        password,
        "--password-file",
        metavar="PATH",
        help="read the web interface password from this file (its final line break removed)",
    )
    option(
        parser,
        "--timeout",
        type=positive_seconds,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help="seconds for one attempt: to connect (at most 5) and for the whole answer; a "
        f"failed attempt is tried again within --deadline (default: {DEFAULT_TIMEOUT:g})",
    )
    option(
        parser,
        "--deadline",
        type=positive_seconds,
        default=DEFAULT_DEADLINE,
        metavar="SECONDS",
        help="seconds for each call to the charger, every attempt, retry and wait included "
        f"(a phase switch also waits up to 30 s for the charger; default: {DEFAULT_DEADLINE:g})",
    )
    option(
        parser,
        "--modbus",
        action="store_true",
        help="use the charger's Modbus TCP API (no token) for "
        f"{', '.join(MODBUS_COMMANDS)}; with check, compare it with the REST API "
        "(needs pyPeblar[modbus])",
    )
    option(
        parser,
        "--modbus-port",
        type=tcp_port,
        metavar="PORT",
        help="the Modbus TCP port on --host's address (default: $PEBLAR_MODBUS_PORT, or 502)",
    )
    option(
        parser,
        "--modbus-unit",
        type=modbus_unit,
        default=255,
        metavar="ID",
        help="the Modbus unit id (default 255; some chargers answer 1)",
    )
    option(
        parser,
        "--json",
        action="store_true",
        help="print one JSON document (JSON lines for watch and events)",
    )
    option(
        parser,
        "-v",
        "--verbose",
        action="store_true",
        help="debug logging on stderr (the token and password are never shown)",
    )
    if not after_command:
        parser.add_argument("--version", action="version", version=f"pypeblar {__version__}")


#: Seconds for one attempt, and for a whole call: the clients' defaults.
DEFAULT_TIMEOUT: Final = 10.0
DEFAULT_DEADLINE: Final = 30.0


def accept_global_options(parser: argparse.ArgumentParser) -> None:
    """The global options after ``parser``'s command, and after each of its own subcommands."""
    add_global_options(parser, after_command=True)
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                accept_global_options(sub)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser: global options, then one subcommand (and the global options again).

    Only ``command``'s own arguments are declared (every command's with ``ALL``): declaring all
    the subcommands' arguments would cost more than the rest of a ``pypeblar --help``.
    """
    parser = argparse.ArgumentParser(
        prog="pypeblar",
        description="Read and control a Peblar EV charger over its local REST API and its web "
        "interface.",
        epilog="Without a charger, try `pypeblar demo`: it runs on the built-in simulator.",
    )
    add_global_options(parser)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, spec in COMMANDS.items():
        sub = commands.add_parser(name, help=spec.help, description=spec.help)
        if command in (name, ALL):
            spec.add_arguments(sub)
            accept_global_options(sub)
        sub.set_defaults(run=spec.run)
    return parser


#: ``build_parser(ALL)`` declares every subcommand's arguments (for tests and documentation).
ALL: Final = "*"


def chosen_command(argv: Sequence[str] | None) -> str | None:
    """The subcommand named in ``argv``, found without declaring any subcommand's arguments."""
    first = argparse.ArgumentParser(prog="pypeblar", add_help=False, exit_on_error=False)
    add_global_options(first)
    first.add_argument("command", nargs="?")
    first.add_argument("rest", nargs=argparse.REMAINDER)
    try:
        known, _ = first.parse_known_args(argv)
    except argparse.ArgumentError:
        return None  # the full parser reports it, with the full usage
    name = known.command
    return name if name in COMMANDS else None


def tcp_port(text: str) -> int:
    """A TCP port for --modbus-port: 1 to 65535."""
    return whole_number(text, 1, 65535, "a TCP port")


def modbus_unit(text: str) -> int:
    """A Modbus unit id for --modbus-unit: 0 to 255 (said in one line, not 256 choices)."""
    return whole_number(text, 0, 255, "a Modbus unit id")


def whole_number(text: str, low: int, high: int, what: str) -> int:
    """``text`` as a whole number from ``low`` to ``high``; a short usage error otherwise."""
    from pyPeblar._transport.shown import shown

    if not (text.isascii() and text.isdigit()) or not low <= int(text) <= high:
        raise argparse.ArgumentTypeError(f"{shown(text)} is not {what} ({low} to {high})")
    return int(text)


def positive_seconds(text: str) -> float:
    """Seconds for --timeout and --deadline: more than 0, at most an hour (NaN is neither)."""
    from pyPeblar._transport.shown import shown

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{shown(text)} is not a number of seconds") from None
    if not 0 < value <= 3600:
        raise argparse.ArgumentTypeError(
            f"{shown(text)} must be more than 0 and at most 3600 seconds"
        )
    return value


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; return its exit status (see ``EXIT_CODES``)."""
    args = build_parser(chosen_command(argv)).parse_args(argv)
    # pydantic looks for third-party plugins (an entry-point scan) when the first model is built;
    # a short-lived command needs none, and the scan costs more than the request itself.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    if args.verbose:
        import logging

        logging.basicConfig(
            level=logging.DEBUG, stream=sys.stderr, format="%(asctime)s %(name)s: %(message)s"
        )
    context = Context(args)
    if not args.verbose and sys.stderr.isatty():  # -v logs every wait; a pipe or a file gets none
        from pyPeblar.cli._waiting import WaitLine

        waits = WaitLine(sys.stderr)
        context.show_waits(waits)
        waits.start()
    try:
        if args.modbus and args.command not in MODBUS_COMMANDS:
            raise UsageError(
                f"{args.command} has no Modbus counterpart (Modbus speaks "
                f"{', '.join(MODBUS_COMMANDS)}): run it without --modbus"
            )
        return int(args.run(context))
    except KeyboardInterrupt:
        context.quiet()
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`pypeblar watch | head -3`): not an error, and nothing to say.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except (UsageError, ValueError) as error:
        # A ValueError is the SDK refusing an argument before sending anything.
        context.warn(f"pypeblar: {error}")
        return EXIT_USAGE
    except Exception as error:
        from pyPeblar.cli._report import report

        return report(error, context)
    finally:
        context.close()
