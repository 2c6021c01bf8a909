"""An independent check of bench/run.py's per-call verdicts, written apart from it.

    python bench/crosscheck.py [--rounds N] [--calls N] [--quick] [--json] [--default-malloc]

It shares no code with the benchmark: it uses only urllib3, aiohttp, the `peblar` package and
pyPeblar's public interface (``Peblar``, ``AsyncPeblar``, the models, ``python -m
pyPeblar.simulator``), and measures differently: every round starts a fresh process for every
contender, in a shuffled order, and each process imports its engine before anything else, makes
50 calls to warm up, then CALLS sequential ``GET /meter`` calls on one keep-alive connection, and
reports its own CPU time (``getrusage``, user and system) per call. A ratio is the median, over
the rounds, of the two contenders' figures in the same round. As the benchmark does by default,
the contenders' processes run with glibc's malloc thresholds fixed (``--default-malloc``: glibc's
own, which decide per process whether every asyncio receive maps a fresh 256 KiB buffer).
bench/run.py runs it in its full mode and prints both; they should agree within 5 %.
"""

from __future__ import annotations

import sys

# A contender's own process (--one NAME ...) imports its engine before anything else.
if __name__ == "__main__" and sys.argv[1:2] == ["--one"]:
    if sys.argv[2] in ("urllib3 floor", "Peblar.meter()"):
        import urllib3  # noqa: F401
    else:
        import aiohttp  # noqa: F401

import argparse
import json
import os
import random
import re
import resource
import statistics
import subprocess
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack

CONTENDERS = {
    # name: engine imported first
    "urllib3 floor": "urllib3",
    "Peblar.meter()": "urllib3",
    "aiohttp floor": "aiohttp",
    "AsyncPeblar.meter()": "aiohttp",
    "peblar": "aiohttp",
}
RATIOS = {
    "Peblar.meter() / urllib3 floor": ("Peblar.meter()", "urllib3 floor"),
    "Peblar.meter() / peblar": ("Peblar.meter()", "peblar"),
    "AsyncPeblar.meter() / aiohttp floor": ("AsyncPeblar.meter()", "aiohttp floor"),
    "AsyncPeblar.meter() / peblar": ("AsyncPeblar.meter()", "peblar"),
}
WARM_UP = 50


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def one_contender(name: str, host: str, token: str, calls: int) -> float:
    """In the contender's own process (its engine imported already): CPU seconds per call."""
    if CONTENDERS[name] == "urllib3":
        call = blocking_call(name, host, token)
        for _ in range(WARM_UP):
            call()
        started = cpu_seconds()
        for _ in range(calls):
            call()
        return (cpu_seconds() - started) / calls

    import asyncio

    async def run() -> float:
        async with AsyncExitStack() as stack:
            call = await awaited_call(name, host, token, stack)
            for _ in range(WARM_UP):
                await call()
            started = cpu_seconds()
            for _ in range(calls):
                await call()
            return (cpu_seconds() - started) / calls

    return asyncio.run(run())


def blocking_call(name: str, host: str, token: str) -> Callable[[], object]:
    if name == "Peblar.meter()":
        from pyPeblar import Peblar

        return Peblar(host, token, rate_limit=False).meter
    import urllib3

    from pyPeblar.models import MeterResponse

    address, port = host.rsplit(":", 1)
    pool = urllib3.HTTPConnectionPool(address, int(port), maxsize=1)
    headers = {"Authorization": token, "Accept": "application/json"}

    def floor() -> object:
        response = pool.request("GET", "/api/wlac/v1/meter", headers=headers)
        return MeterResponse.model_validate_json(response.data)

    return floor


async def awaited_call(
    name: str, host: str, token: str, stack: AsyncExitStack
) -> Callable[[], Awaitable[object]]:
    if name == "AsyncPeblar.meter()":
        from pyPeblar import AsyncPeblar

        client = AsyncPeblar(host, token, rate_limit=False)
        stack.push_async_callback(client.close)
        return client.meter
    import aiohttp

    if name == "peblar":
        from peblar import PeblarApi
        from yarl import URL

        address, port = host.rsplit(":", 1)
        peer = PeblarApi(host=address, token=token)
        peer.url = URL.build(scheme="http", host=address, port=int(port), path="/api/wlac/v1/")
        stack.push_async_callback(peer.close)
        return peer.meter
    from pyPeblar.models import MeterResponse

    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1))
    stack.push_async_callback(session.close)
    url = f"http://{host}/api/wlac/v1/meter"
    headers = {"Authorization": token, "Accept": "application/json"}

    async def floor() -> object:
        async with session.get(url, headers=headers) as response:
            return MeterResponse.model_validate_json(await response.read())

    return floor


#: glibc's thresholds, fixed: no process maps and unmaps its receive buffers on every call.
FIXED_MALLOC = {"MALLOC_MMAP_THRESHOLD_": "1048576", "MALLOC_TRIM_THRESHOLD_": "4194304"}


def measure(rounds: int, calls: int, *, fixed_malloc: bool) -> dict[str, list[float]]:
    """Every contender once per round, each in a fresh process: CPU seconds per call."""
    simulator = subprocess.Popen(
        [sys.executable, "-m", "pyPeblar.simulator", "--port", "0", "--no-rate-limit"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert simulator.stdout is not None
    found = re.search(r"http://([^/\s]+)", simulator.stdout.readline())
    token = simulator.stdout.readline().split()[-1]
    assert found, "the simulator did not start"
    host = found.group(1)
    figures: dict[str, list[float]] = {name: [] for name in CONTENDERS}
    try:
        for _ in range(rounds):
            order = list(CONTENDERS)
            random.shuffle(order)
            for name in order:
                command = [sys.executable, __file__, "--one", name, host, token, str(calls)]
                environment = {**os.environ, **FIXED_MALLOC} if fixed_malloc else None
                answer = subprocess.run(
                    command, capture_output=True, text=True, check=True, env=environment
                )
                figures[name].append(float(answer.stdout))
    finally:
        simulator.terminate()
        simulator.wait()
    return figures


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--one":
        name, host, token, count = sys.argv[2:6]
        print(one_contender(name, host, token, int(count)))
        return 0
    parser = argparse.ArgumentParser(description="bench/run.py's cross-check")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--quick", action="store_true", help="2 rounds of 50 calls")
    parser.add_argument("--json", action="store_true", help="the ratios' medians, as JSON")
    parser.add_argument("--default-malloc", action="store_true", help="glibc's own thresholds")
    arguments = parser.parse_args()
    rounds, calls = (2, 50) if arguments.quick else (arguments.rounds, arguments.calls)
    figures = measure(rounds, calls, fixed_malloc=not arguments.default_malloc)
    ratios = {
        title: [a / b for a, b in zip(figures[mine], figures[base], strict=True)]
        for title, (mine, base) in RATIOS.items()
    }
    if arguments.json:
        print(json.dumps({title: statistics.median(values) for title, values in ratios.items()}))
        return 0
    print(f"Cross-check: {rounds} rounds x {calls} calls, a fresh process per contender and round")
    for name, values in figures.items():
        print(f"   {name:<22} {statistics.median(values) * 1e6:6.0f} us CPU per call")
    for title, values in ratios.items():
        print(
            f"   {title:<38} {statistics.median(values):.2f}x "
            f"(rounds {min(values):.2f}-{max(values):.2f})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
