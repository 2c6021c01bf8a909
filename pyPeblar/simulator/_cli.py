"""``python -m pyPeblar.simulator`` and ``pypeblar simulate``: one set of options, one run loop."""

from __future__ import annotations

import argparse
import sys

from pyPeblar._signals import stopped_by_signals

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The simulator's options, for its own command line and for ``pypeblar simulate``."""
    from pyPeblar.simulator._profiles import PROFILES

    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    parser.add_argument(
        "--port", type=int, default=8080, help="port (default 8080; 0: any free port)"
    )
    parser.add_argument("--token", help="the API token to accept (default: a new 64-character one)")
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
    parser.add_argument("--password", default="peblar", help="the web interface password")
    parser.add_argument(
        "--modbus-port",
        type=int,
        metavar="PORT",
        help="also serve the Modbus TCP API on this port (0: any free port; needs "
        "pyPeblar[modbus])",
    )


def run(args: argparse.Namespace) -> int:
    """Serve until Ctrl-C or SIGTERM; exit status 0."""
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
    # a flag (pyPeblar._signals says why an Event deadlocked here under load).
    with stopped_by_signals() as stop, simulator:
        print(f"Simulated Peblar ({simulator.profile.name}) serving {simulator.url}", flush=True)
        print(f"API token: {simulator.token}", flush=True)
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
