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
from typing import TYPE_CHECKING, Final

from pyPeblar._version import __version__
from pyPeblar.cli._commands import COMMANDS
from pyPeblar.cli._context import (
    EXIT_AUTHENTICATION,
    EXIT_CHARGER,
    EXIT_CODES,
    EXIT_CONNECTION,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_REFUSED,
    EXIT_USAGE,
    MODBUS_COMMANDS,
    Context,
    UsageError,
    password_option,
)

if TYPE_CHECKING:
    from pyPeblar._errors import PeblarError

__all__ = ["ALL", "EXIT_CODES", "build_parser", "main"]


def add_global_options(parser: argparse.ArgumentParser) -> None:
    """The options that come before the command, declared once."""
    parser.add_argument(
        "--host", help="the charger's address, host or host:port (default: $PEBLAR_HOST)"
    )
    token = parser.add_mutually_exclusive_group()
    token.add_argument(
        "--token",
        help="the charger's API token, or - to read it from standard input (default: "
        "$PEBLAR_TOKEN); a value here shows in `ps` to every user: prefer $PEBLAR_TOKEN or "
        "--token-file",
    )
    token.add_argument(
        "--token-file", metavar="PATH", help="read the API token from this file (one line)"
    )
    password = parser.add_mutually_exclusive_group()
    password.add_argument(
        "--password",
        metavar="-",
        type=password_option,
        help="- reads the web interface password from standard input (default: "
        "$PEBLAR_PASSWORD; asked for on a terminal); nothing else is taken here, so the "
        "password never shows in `ps`",
    )
    password.add_argument(
        "--password-file",
        metavar="PATH",
        help="read the web interface password from this file (its final line break removed)",
    )
    parser.add_argument(
        "--timeout",
        type=positive_seconds,
        default=10.0,
        help="seconds to wait for the charger (default: 10)",
    )
    parser.add_argument(
        "--modbus",
        action="store_true",
        help="use the charger's Modbus TCP API (no token) for "
        f"{', '.join(MODBUS_COMMANDS)}; with check, compare it with the REST API "
        "(needs pyPeblar[modbus])",
    )
    parser.add_argument(
        "--modbus-port",
        type=tcp_port,
        metavar="PORT",
        help="the Modbus TCP port on --host's address (default: $PEBLAR_MODBUS_PORT, or 502)",
    )
    parser.add_argument(
        "--modbus-unit",
        type=int,
        default=255,
        choices=range(256),
        metavar="ID",
        help="the Modbus unit id (default 255; some chargers answer 1)",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="print one JSON document (JSON lines for watch and events)",
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="debug logging on stderr (the token and password are never shown)",
    )
    parser.add_argument("--version", action="version", version=f"pypeblar {__version__}")


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser: global options, then one subcommand.

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
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise argparse.ArgumentTypeError(f"{text!r} is not a TCP port (1 to 65535)")
    return int(text)


def positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 < value <= 3600:
        raise argparse.ArgumentTypeError(f"{text} must be more than 0 and at most 3600 seconds")
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
    try:
        if args.modbus and args.command not in MODBUS_COMMANDS:
            raise UsageError(
                f"{args.command} has no Modbus counterpart (Modbus speaks "
                f"{', '.join(MODBUS_COMMANDS)}): run it without --modbus"
            )
        return int(args.run(context))
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`pypeblar watch | head -3`): not an error, and nothing to say.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except UsageError as error:
        print(f"pypeblar: {error}", file=sys.stderr)
        return EXIT_USAGE
    except ValueError as error:
        print(f"pypeblar: {error}", file=sys.stderr)
        return EXIT_USAGE
    except Exception as error:
        return report(error, verbose=args.verbose)
    finally:
        context.close()


def report(error: Exception, *, verbose: bool) -> int:
    """One readable line on stderr (with a hint) and the exit status for ``error``."""
    from pyPeblar._errors import (
        PeblarAuthenticationError,
        PeblarConnectionError,
        PeblarError,
        PeblarResponseError,
        PeblarServerError,
    )

    if verbose or not isinstance(error, PeblarError):
        import traceback

        traceback.print_exception(error, file=sys.stderr)
    if not isinstance(error, PeblarError):
        return EXIT_CHARGER
    message, hint = for_the_command_line(error)
    print(f"pypeblar: {message}.{f' Hint: {hint}' if hint else ''}", file=sys.stderr)
    if isinstance(error, PeblarConnectionError):
        return EXIT_CONNECTION
    if isinstance(error, PeblarAuthenticationError):
        return EXIT_AUTHENTICATION
    if isinstance(error, PeblarServerError) or (
        isinstance(error, PeblarResponseError) and error.status in (200, 429)
    ):
        return EXIT_CHARGER
    return EXIT_REFUSED


#: The command line's own advice where the SDK's is Python (``Peblar(..., protect_relays=False)``).
RELAY_HINT: Final = (
    "Wait that long, then run the command again: pypeblar counts pauses and phase switches "
    "across calls, to spare the charger's relays."
)


def for_the_command_line(error: PeblarError) -> tuple[str, str]:
    """``error``'s message and hint, in words for a command line (not Python)."""
    from pyPeblar._errors import PeblarRelayProtectionError

    if isinstance(error, PeblarRelayProtectionError):
        # The message ends with how to turn the check off in Python: not a command-line answer.
        return str(error).partition(" (Peblar(")[0], RELAY_HINT
    return str(error), error.hint
