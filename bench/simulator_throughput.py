"""How many sequential keep-alive requests per second the simulator serves on one connection.

The simulator must never be what limits a client benchmark. Usage:

    python bench/simulator_throughput.py            # 3 s
    python bench/simulator_throughput.py --quick    # 0.5 s, for CI
"""

from __future__ import annotations

import argparse
import http.client
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _simulator_process import SimulatorProcess


def measure(seconds: float) -> tuple[float, int, int | None]:
    """(requests per second, requests made, connections the simulator saw)."""
    with SimulatorProcess() as simulator:
        host, port = simulator.host.rsplit(":", 1)
        connection = http.client.HTTPConnection(host, int(port), timeout=5)
        headers = {"Authorization": simulator.token}
        count = 0
        started = time.perf_counter()
        deadline = started + seconds
        while time.perf_counter() < deadline:
            connection.request("GET", "/api/wlac/v1/meter", headers=headers)
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                raise RuntimeError(f"the simulator answered {response.status}")
            count += 1
        elapsed = time.perf_counter() - started
        connection.close()
    return count / elapsed, count, simulator.connections


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="measure for 0.5 s only")
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    rate, count, connections = measure(0.5 if args.quick else args.seconds)
    print(
        f"simulator: {rate:,.0f} sequential keep-alive GET /meter per second "
        f"({count} requests on {connections} connection{'s' if connections != 1 else ''})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
