"""``python -m pyPeblar.simulator`` and ``pypeblar simulate``: one set of options, one run loop.

Every option is checked as it is parsed (a usage error, status 2, names it); an address the
simulator cannot listen on (a port in use, an address not on this machine) is one too, saying
which and what to do, never a traceback.
"""

from __future__ import annotations

import argparse
import errno
import sys
from typing import Final

from pyPeblar._shared.signals import stopped_by_signals
from pyPeblar._transport.shown import shown

__all__ = ["DESCRIPTION", "add_arguments", "run"]

#: What the simulator is, for both command lines' help.
DESCRIPTION: Final = (
    "Serve a simulated Peblar charger on this machine: its local REST API (with an API token) "
    "and its web interface's API (with a password), until Ctrl-C."
)

#: The longest web interface password the simulator takes: what ``--password-file`` reads.
MAX_PASSWORD: Final = 4096


def port(text: str) -> int:
    """A TCP port, 0 to 65535 (0: any free one)."""
    try:
        number = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{shown(text)} is not a port number") from None
    if not 0 <= number <= 65535:
        raise argparse.ArgumentTypeError(
            f"{shown(text, 20)} is not a port: from 0 (any free port) to 65535"
        )
    return number


def address(text: str) -> str:
    """An address to listen on: a name or an IP address, never empty (which would mean every
    interface, unasked)."""
    if not text.strip():
        raise argparse.ArgumentTypeError(
            "give an address: 127.0.0.1 for this machine only, 0.0.0.0 for every interface"
        )
    if len(text) > 253 or not text.isprintable() or any(c.isspace() for c in text):
        raise argparse.ArgumentTypeError(f"{shown(text)} is not a host name or an IP address")
    return text


def token(text: str) -> str:
    """The API token to accept: one a client can send (printable ASCII, no spaces)."""
    from pyPeblar._shared.options import check_token

    try:
        return check_token(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def password(text: str) -> str:
    """The web interface password: one a client can give (``--password-file`` reads one line)."""
    if not text or not text.isprintable() or len(text) > MAX_PASSWORD:
        raise argparse.ArgumentTypeError(
            f"the password must be 1 to {MAX_PASSWORD} printable characters"
        )
    return text


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The simulator's options, for its own command line and for ``pypeblar simulate``."""
    from pyPeblar.simulator._profiles import PROFILES

    parser.add_argument(
        "--host", type=address, default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    parser.add_argument(
        "--port", type=port, default=8080, help="port (default 8080; 0: any free port)"
    )
    parser.add_argument(
        "--token", type=token, help="the API token to accept (default: a new 64-character one)"
    )
    parser.add_argument(
        "--profile",
        default="three-phase-socket",
        choices=sorted(PROFILES),
        help="the kind of charger",
    )
    parser.add_argument("--read-only", action="store_true", help="the API in ReadOnly mode")
    parser.add_argument(
        "--no-rate-limit", action="store_true", help="never answer 429 (for benchmarks)"
    )
    parser.add_argument(
        "--password",
        type=password,
        default="peblar",
        help="the web interface password (default: peblar)",
    )
    parser.add_argument(
        "--modbus-port",
        type=port,
        metavar="PORT",
        help="also serve the Modbus TCP API on this port (0: any free port; needs "
        "pyPeblar[modbus])",
    )


def run(args: argparse.Namespace, prog: str = "pypeblar") -> int:
    """Serve until Ctrl-C or SIGTERM: exit status 0; 2 (``prog`` says why on stderr) when it
    cannot listen where asked."""
    from pyPeblar.simulator import Simulator

    simulator = Simulator(
        host=args.host,
        port=args.port,
        token=args.token,
        profile=args.profile,
        access_mode="ReadOnly" if args.read_only else "ReadWrite",
        rate_limit=not args.no_rate_limit,
        password=args.password,
        modbus_port=args.modbus_port,
    )
    # The signals stop it from the first moment, so one arriving while the banner is printed stops
    # the simulator cleanly instead of raising KeyboardInterrupt mid-print; the handler only sets
    # a flag (pyPeblar._shared.signals says why an Event deadlocked here under load).
    with stopped_by_signals() as stop:
        try:
            simulator.start()
        except (OSError, UnicodeError) as error:  # UnicodeError: a host name IDNA cannot encode
            print(f"{prog}: {cannot_listen(args, error)}", file=sys.stderr)
            return 2
        with simulator:
            print(
                f"Simulated Peblar ({simulator.profile.name}) serving {simulator.url}", flush=True
            )
            print(f"API token: {simulator.token}", flush=True)
            print(f"Web interface password: {args.password}", flush=True)
            if args.modbus_port is not None:
                print(f"Modbus TCP on {simulator.modbus_host} (unit id: any)", flush=True)
            print(
                f"Try: PEBLAR_HOST={simulator.host} PEBLAR_TOKEN={simulator.token} pypeblar status",
                flush=True,
            )
            print("Ctrl-C stops it.", file=sys.stderr, flush=True)
            while not stop.wait(0.5):
                pass
    stats = simulator.stats()
    print(
        f"Served {stats.requests_total} requests on {stats.connections_opened} connections.",
        file=sys.stderr,
        flush=True,
    )
    return 0


def cannot_listen(args: argparse.Namespace, error: BaseException) -> str:
    """Why the simulator cannot listen on --host and --port (or --modbus-port), and what to do."""
    from pyPeblar.simulator._simulator import ModbusPortError

    modbus = isinstance(error, ModbusPortError)
    port, option = (args.modbus_port, "--modbus-port") if modbus else (args.port, "--port")
    what = "Modbus port" if modbus else "port"
    where = f"{args.host}:{port}"
    number = getattr(error, "errno", None)
    if number == errno.EADDRINUSE:
        return (
            f"{what} {port} on {args.host} is in use (another simulator, or another program): "
            f"stop it, or choose another with {option} ({option} 0 takes any free port)"
        )
    if number in (errno.EACCES, errno.EPERM):
        return (
            f"not allowed to listen on {where} (ports below 1024 need privileges): choose "
            f"another with {option}"
        )
    if number == errno.EADDRNOTAVAIL:
        return f"{args.host} is not an address of this machine: choose another with --host"
    reason = getattr(error, "strerror", None) or str(error) or type(error).__name__
    return f"cannot listen on {shown(where)}: {reason}; check --host and {option}"
