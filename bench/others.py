"""Measure other Python Peblar clients against pyPeblar's simulator (run by bench/run.py).

    python bench/others.py HOST:PORT TOKEN CALLS     # in an interpreter that has them installed

Prints one JSON object: client name -> {"cpu_us", "wall_median_us"} for sequential GET /meter.
Both are asynchronous, so each runs its calls one after another in one event loop. A client that
is not installed is left out. Standard library only apart from the clients themselves; this file
never imports pyPeblar (the older `pypeblar` package's distribution name clashes with pyPeblar's,
which is why they live in another interpreter).
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any


async def measure(call: Callable[[], Awaitable[object]], calls: int) -> dict[str, float]:
    for _ in range(20):
        await call()
    walls = []
    cpu_start = time.thread_time()
    for _ in range(calls):
        started = time.perf_counter()
        await call()
        walls.append(time.perf_counter() - started)
    cpu = (time.thread_time() - cpu_start) / calls
    return {"cpu_us": cpu * 1e6, "wall_median_us": statistics.median(walls) * 1e6}


async def peblar_package(host: str, token: str, calls: int) -> dict[str, float] | None:
    try:
        from peblar import PeblarApi
        from yarl import URL
    except ImportError:
        return None
    name, port = host.rsplit(":", 1)
    api = PeblarApi(host=name, token=token)
    api.url = URL.build(scheme="http", host=name, port=int(port), path="/api/wlac/v1/")
    try:
        return await measure(api.meter, calls)
    finally:
        if api.session is not None:
            await api.session.close()


async def pypeblar_package(host: str, token: str, calls: int) -> dict[str, float] | None:
    try:
        import pypeblar
    except ImportError:
        return None
    configuration = pypeblar.Configuration(host=f"http://{host}/api/wlac/v1")
    configuration.api_key["ApiToken"] = token
    client = pypeblar.ApiClient(configuration)
    api = pypeblar.MeterApi(client)

    async def call() -> Any:
        return await api.meter_get()

    try:
        return await measure(call, calls)
    finally:
        await client.close()


async def main(host: str, token: str, calls: int) -> dict[str, dict[str, float]]:
    results = {}
    for name, runner in (
        ("peblar (async, aiohttp)", peblar_package),
        ("pypeblar 0.3.2 (generated, async)", pypeblar_package),
    ):
        measured = await runner(host, token, calls)
        if measured is not None:
            results[name] = measured
    return results


if __name__ == "__main__":
    host_arg, token_arg, calls_arg = sys.argv[1], sys.argv[2], int(sys.argv[3])
    print(json.dumps(asyncio.run(main(host_arg, token_arg, calls_arg))))
