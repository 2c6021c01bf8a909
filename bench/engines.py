"""The asyncio engine choice in figures: aiohttp against httpx, bare, against the simulator.

    python bench/engines.py --httpx PYTHON [--quick]

PYTHON is an interpreter with httpx and the same pydantic as this one (not run in CI; see
docs/performance.md for the set-up). Each engine makes sequential GET /meter calls on one
keep-alive connection from one event loop and validates each body with
``MeterResponse.model_validate_json``, the floor under any asyncio client (no policy at all).
Each engine is timed in a child process of its own interpreter (this one for aiohttp, PYTHON for
httpx) by the same code (``_lockstep``), in interleaved, shuffled rounds; the CPU figure is the
child process's, the best of the rounds. Then the cost of importing each engine with pydantic, in
fresh interpreters, the best of the runs.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from importlib.metadata import version
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _lockstep import Remote, serve

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


async def engine_get(
    engine: str, url: str, headers: dict[str, str], stack: AsyncExitStack
) -> Callable[[], Awaitable[bytes]]:
    """One GET of ``url`` with ``engine`` on a kept-alive connection: the body."""
    if engine == "aiohttp":
        import aiohttp

        session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1))
        stack.push_async_callback(session.close)

        async def get() -> bytes:
            async with session.get(url, headers=headers) as response:
                return await response.read()

        return get
    # httpx lives only in the other interpreter, so it is not a static import here.
    httpx = importlib.import_module("httpx")
    client = httpx.AsyncClient(limits=httpx.Limits(max_connections=1), trust_env=False)
    stack.push_async_callback(client.aclose)

    async def get_httpx() -> bytes:
        response = await client.get(url, headers=headers)
        body: bytes = response.content
        return body

    return get_httpx


async def child(engine: str, host: str, token: str) -> None:
    from pyPeblar.models.meter_response import MeterResponse

    url = f"http://{host}/api/wlac/v1/meter"
    headers = {"Authorization": token, "Accept": "application/json"}
    async with AsyncExitStack() as stack:
        get = await engine_get(engine, url, headers, stack)

        async def call() -> MeterResponse:
            return MeterResponse.model_validate_json(await get())

        label = f"{engine} {version(engine)} GET + validate"
        await serve({engine: (label, call)})


def imports(pythons: dict[str, str], runs: int) -> dict[str, float]:
    """``import ENGINE, pydantic`` in fresh interpreters: the best of ``runs`` (ms)."""
    commands = {
        f"import {engine}, pydantic": [python, "-c", f"import {engine}, pydantic"]
        for engine, python in pythons.items()
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs + 1):
        order = list(commands)
        random.shuffle(order)
        for name in order:
            started = time.perf_counter()
            subprocess.run(commands[name], check=True, capture_output=True)
            times[name].append(time.perf_counter() - started)
    return {name: min(values[1:] or values) * 1e3 for name, values in times.items()}


def report(httpx_python: str, quick: bool) -> None:
    from _simulator_process import SimulatorProcess

    rounds, calls, runs = (2, 20, 2) if quick else (15, 300, 15)
    pythons = {"aiohttp": sys.executable, "httpx": httpx_python}
    environment = dict(os.environ)
    environment["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT), *filter(None, [environment.get("PYTHONPATH")])]
    )
    print(f"aiohttp against httpx{' (quick mode: figures are rough)' if quick else ''}")
    print(f"Python {sys.version.split()[0]}; pydantic {version('pydantic')} in both")
    cpus: dict[str, list[float]] = {}
    walls: dict[str, list[float]] = {}
    with SimulatorProcess() as simulator:
        remotes = {
            engine: Remote(
                [python, __file__, "--serve", engine, simulator.host, simulator.token],
                env=environment,
            ).ready()
            for engine, python in pythons.items()
        }
        try:
            for _ in range(rounds):
                order = list(remotes)
                random.shuffle(order)
                for engine in order:
                    cpu, times = remotes[engine].measure(engine, calls)
                    cpus.setdefault(engine, []).append(cpu)
                    walls.setdefault(engine, []).extend(times)
        finally:
            for remote in remotes.values():
                remote.close()
    print(
        f"\nGET /meter + MeterResponse.model_validate_json, sequential, one keep-alive "
        f"connection\n({rounds} rounds x {calls} calls; CPU is the process's, best round)"
    )
    for engine, remote in remotes.items():
        print(
            f"   {remote.labels[engine]:<36} {min(cpus[engine]) * 1e6:6.0f} us CPU "
            f"{statistics.median(walls[engine]) * 1e6:7.0f} us wall median"
        )
    print(f"   httpx / aiohttp: CPU {min(cpus['httpx']) / min(cpus['aiohttp']):.2f}x")
    print(f"\nImporting the engine with pydantic, fresh interpreters (best of {runs})")
    starts = imports(pythons, runs)
    for name, millis in starts.items():
        command = f"python -c '{name}'"
        print(f"   {command:<36} {millis:6.0f} ms")
    aiohttp_ms, httpx_ms = starts["import aiohttp, pydantic"], starts["import httpx, pydantic"]
    print(f"   httpx / aiohttp: {httpx_ms / aiohttp_ms:.2f}x")


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--serve":
        engine, host, token = sys.argv[2:5]
        asyncio.run(child(engine, host, token))
        return 0
    parser = argparse.ArgumentParser(description="aiohttp against httpx (docs/performance.md)")
    parser.add_argument("--httpx", metavar="PYTHON", required=True, help="has httpx and pydantic")
    parser.add_argument("--quick", action="store_true", help="few iterations")
    arguments = parser.parse_args()
    report(arguments.httpx, arguments.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
