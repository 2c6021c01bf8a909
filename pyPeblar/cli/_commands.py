"""The ``pypeblar`` subcommands: each registered in ``COMMANDS`` with its help and arguments.

Each command declares its own arguments and returns an exit status; the charger connection, the
output (human or ``--json``) and the error handling live in ``Context`` (``_context``) and
``_app``, so no command repeats them. Commands import the client when they run, never at import
time. The larger commands live in their own modules, imported here only when needed; they take
what they share from ``_context``, never from here, so imports run one way.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any, NamedTuple

from pyPeblar._transport.shown import shown
from pyPeblar.cli._context import Context, UsageError, no_arguments

__all__ = ["COMMANDS", "Command"]


class Command(NamedTuple):
    """A subcommand: its help line, how it declares its arguments, and what it runs."""

    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[Context], int]


COMMANDS: dict[str, Command] = {}


def command(
    name: str, help: str, arguments: Callable[[argparse.ArgumentParser], None] = no_arguments
) -> Callable[[Callable[[Context], int]], Callable[[Context], int]]:
    """Register ``run`` as the subcommand ``name``."""

    def register(run: Callable[[Context], int]) -> Callable[[Context], int]:
        COMMANDS[name] = Command(help=help, add_arguments=arguments, run=run)
        return run

    return register


# -- reading ----------------------------------------------------------------------------------


#: The four GET endpoints: command name, help, path, the client method, and its renderer.
ENDPOINTS = (
    (
        "health",
        "the API version and access mode (needs no token)",
        "/health",
        "health",
        "render_health",
    ),
    (
        "system",
        "identity, firmware, phases, signal strength, error and warning codes",
        "/system",
        "system",
        "render_system",
    ),
    (
        "meter",
        "power, per-phase current and voltage, session and total energy",
        "/meter",
        "meter",
        "render_meter",
    ),
    (
        "ev",
        "the EV interface: vehicle state, current limits, single-phase charging",
        "/evinterface",
        "ev_interface",
        "render_ev",
    ),
)


def charger_document(context: Context, path: str) -> Any:
    """What the charger answered on ``path``, as parsed JSON, unchanged.

    With --json a read prints the charger's own document: its key names and values as sent,
    including ones this version of pyPeblar does not know, and without loading pydantic (so a
    `pypeblar --json meter` in a cron job costs little more than starting Python).
    """
    if context.modbus:  # the model's document, with the REST API's key names
        method = next(method for _, _, where, method, _ in ENDPOINTS if where == path)
        return getattr(context.modbus_charger(), method)().to_dict()
    from pyPeblar._errors import PeblarInvalidResponseError

    data = context.rest().raw("GET", path)
    try:
        return json.loads(data)
    except ValueError:
        raise PeblarInvalidResponseError(
            f"GET {path}: the charger's answer is not JSON", status=200
        ) from None


def endpoint_command(path: str, method: str, renderer: str) -> Callable[[Context], int]:
    """A read command: the raw document with --json, else the model rendered for people."""

    def run(context: Context) -> int:
        if context.json:
            context.emit(charger_document(context, path), "")
            return 0
        from pyPeblar.cli import _render

        result = getattr(context.charger(), method)()
        context.emit(None, getattr(_render, renderer)(result))
        return 0

    return run


for _name, _help, _path, _method, _renderer in ENDPOINTS:
    command(_name, _help)(endpoint_command(_path, _method, _renderer))


@command("status", "one screen: vehicle, limits, phases, power, energy, firmware, errors")
def status(context: Context) -> int:
    if context.json:
        document = {
            key: charger_document(context, path)
            for key, path in (
                ("health", "/health"),
                ("system", "/system"),
                ("evinterface", "/evinterface"),
                ("meter", "/meter"),
            )
            if not (context.modbus and path == "/health")  # Modbus has no health registers
        }
        context.emit(document, "")
        return 0
    from pyPeblar.cli._render import render_status

    charger = context.charger()
    health = None if context.modbus else context.rest().health()
    system, ev, meter = charger.system(), charger.ev_interface(), charger.meter()
    context.emit(None, render_status(health, system, ev, meter))
    return 0


# -- control ----------------------------------------------------------------------------------


def show_write(context: Context, done: str, result: Any) -> int:
    """Print a write's resulting EV interface state, after a line saying what was done."""
    from pyPeblar.cli._render import render_ev

    context.emit(result.to_dict(), f"{done}\n\n{render_ev(result)}")
    return 0


def current_argument(text: str) -> int:
    """AMPS as a checked limit in mA; anything else is a usage error (argparse names AMPS)."""
    from pyPeblar._shared.current import BelowChargingError, parse_current

    try:
        return parse_current(text)
    except BelowChargingError as error:  # the SDK's advice is Python's: pause()
        advice = "`pypeblar pause` pauses"
        raise argparse.ArgumentTypeError(str(BelowChargingError(error.milliamps, advice))) from None
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    except ArithmeticError:  # a number too large to scale to mA ("1" and 307 zeros)
        raise argparse.ArgumentTypeError(f"{shown(text, 20)} is far outside 6 to 32 A") from None


def set_current_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "current", type=current_argument, metavar="AMPS", help="6 to 32 A: 10, 10.5, 10A or 16000mA"
    )


@command("set-current", "set the charge current limit", set_current_arguments)
def set_current(context: Context) -> int:
    milliamps = context.args.current
    result = context.charger().set_charge_current_limit(milliamps=milliamps)
    return show_write(context, f"Charge current limit set to {milliamps / 1000:g} A.", result)


def unless_already(context: Context, paused: bool, done: str) -> int | None:
    """Say ``done`` with the state, and return 0, when charging is already ``paused`` (or not):
    the command then sends nothing, and must not claim it did something."""
    from pyPeblar._shared.control import is_paused

    state = context.charger().ev_interface()
    if is_paused(state) is not paused:
        return None
    return show_write(context, done, state)


@command("pause", "pause charging (resume restores the limit)")
def pause(context: Context) -> int:
    already = unless_already(context, True, "Charging is already paused.")
    if already is not None:
        return already
    return show_write(context, "Charging paused.", context.charger().pause())


def resume_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "current",
        type=current_argument,
        metavar="AMPS",
        nargs="?",
        help="resume at this limit instead of the one the pause replaced",
    )


@command("resume", "resume charging at the limit the pause replaced", resume_arguments)
def resume(context: Context) -> int:
    milliamps = context.args.current
    if milliamps is None:
        already = unless_already(context, False, "Charging is not paused: nothing to resume.")
        if already is not None:
            return already
    result = context.charger().resume(milliamps=milliamps)
    limit = result.charge_current_limit
    at = "" if limit is None else f" at {limit / 1000:g} A"
    return show_write(context, f"Charging resumed{at}.", result)


def phases_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("phases", type=int, choices=(1, 3), help="1: single phase; 3: all phases")


@command(
    "phases",
    "charge on one phase or all phases (waits until the charger switched)",
    phases_arguments,
)
def phases(context: Context) -> int:
    single = context.args.phases == 1
    result = context.charger().force_single_phase(single)
    return show_write(context, f"Charging on {'one phase' if single else 'all phases'}.", result)


def authorize_arguments(parser: argparse.ArgumentParser) -> None:
    card = parser.add_mutually_exclusive_group(required=True)
    card.add_argument("--token", dest="rfid_token", metavar="UID", help="the RFID card's UID")
    card.add_argument("--name", dest="rfid_name", metavar="NAME", help="the card's description")


@command(
    "authorize",
    "act as an RFID card: start a waiting session, or stop a running one",
    authorize_arguments,
)
def authorize(context: Context) -> int:
    charger = context.rest()
    charger.authorize_charge_session(token=context.args.rfid_token, name=context.args.rfid_name)
    result = charger.ev_interface()
    return show_write(context, "Sent; the charger acts on it in a moment.", result)


# -- the web interface (password) ----------------------------------------------------------------

#: The web interface's commands and their help; ``_web_commands`` declares and runs them.
WEB_COMMAND_HELP = (
    ("config", "the web interface's settings; `config set KEY=VALUE ...` changes them"),
    ("smart-charging", "show or switch the smart (solar) charging mode"),
    ("rfid", "list, add or remove the RFID cards allowed to charge"),
    ("history", "the meter's charging sessions as CSV (or the charger's JSON)"),
    ("versions", "the firmware and customization, installed and available"),
    ("update", "install the available firmware or customization (asks first)"),
    ("identify", "make the charger blink its LED, to find it"),
    ("reboot", "reboot the charger (asks first)"),
)


def web_command(name: str, help: str) -> None:
    """Register the web-interface command ``name``; its module is imported when it is chosen."""

    def arguments(parser: argparse.ArgumentParser) -> None:
        from pyPeblar.cli._web_commands import WEB_COMMANDS

        WEB_COMMANDS[name].add_arguments(parser)

    def run(context: Context) -> int:
        from pyPeblar.cli._web_commands import WEB_COMMANDS

        return WEB_COMMANDS[name].run(context)

    command(name, help, arguments)(run)


for _name, _help in WEB_COMMAND_HELP:
    web_command(_name, _help)


# -- live, discovery, setup ---------------------------------------------------------------------


def watch_arguments(parser: argparse.ArgumentParser) -> None:
    from pyPeblar.cli._watch import add_arguments

    add_arguments(parser)


@command("watch", "a live view; one line (or JSON line) per sample when piped", watch_arguments)
def watch(context: Context) -> int:
    from pyPeblar.cli._watch import run

    return run(context)


def events_arguments(parser: argparse.ArgumentParser) -> None:
    from pyPeblar.cli._events import add_arguments

    add_arguments(parser)


@command(
    "events",
    "the charger's live events (web interface password) until Ctrl-C; JSON lines with --json",
    events_arguments,
)
def events(context: Context) -> int:
    from pyPeblar.cli._events import run

    return run(context)


def scan_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--timeout",
        dest="scan_timeout",
        type=float,
        default=3.0,
        help="seconds to listen (default 3)",
    )


@command(
    "scan", "find chargers on the local network (mDNS; needs pyPeblar[discovery])", scan_arguments
)
def scan(context: Context) -> int:
    from pyPeblar.cli._scan import run

    return run(context)


def token_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--read-only",
        action="store_true",
        help="enable the API in ReadOnly mode (default ReadWrite)",
    )


@command("token", "log in with the web password, enable the API, print its token", token_arguments)
def token(context: Context) -> int:
    if not context.host():
        raise UsageError("token needs --host HOST (or PEBLAR_HOST)")
    web = context.web()  # the password from where every web command takes it
    api_token = web.local_api_token("ReadOnly" if context.args.read_only else "ReadWrite")
    context.emit({"host": web.host, "token": api_token}, api_token)
    return 0


def simulate_arguments(parser: argparse.ArgumentParser) -> None:
    from pyPeblar.simulator._cli import add_arguments

    add_arguments(parser)


@command(
    "simulate",
    "run the built-in charger simulator (local REST API and web interface) until Ctrl-C",
    simulate_arguments,
)
def simulate(context: Context) -> int:
    from pyPeblar.simulator._cli import run

    return run(context.args)


@command("demo", "a scripted session on the built-in simulator (or a read-only tour of yours)")
def demo(context: Context) -> int:
    from pyPeblar.cli._demo import run

    return run(context)


# -- firmware drift -------------------------------------------------------------------------------


@command("check", "compare the charger's answers with the spec (exit 1 when they differ)")
def check(context: Context) -> int:
    from pyPeblar.cli._check import check as run

    return run(context)


def dump_arguments(parser: argparse.ArgumentParser) -> None:
    from pyPeblar.cli._check import add_dump_arguments

    add_dump_arguments(parser)


@command("dump", "save the charger's raw answers, for fixtures or a bug report", dump_arguments)
def dump(context: Context) -> int:
    from pyPeblar.cli._check import dump as run

    return run(context)
