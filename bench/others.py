"""Measure other Python Peblar clients against pyPeblar's simulator (run by bench/run.py).

    python bench/others.py --serve HOST:PORT TOKEN   # time rounds on request (_lockstep.serve)
    python bench/others.py --serve-web HOST:PORT PASSWORD   # the same, for the web interface

In an interpreter that has the clients installed. The first form lets bench/run.py interleave
rounds of these clients with rounds of its own clients (sections 6 and 7), timed by the same code;
the second does the same for the `peblar` package's web-interface client (section 9).
Both clients are asynchronous, so each runs its calls one after another in one event loop. A
client that is not installed is left out. Standard library only apart from the clients themselves
and bench/_lockstep.py; this file never imports pyPeblar (the older `pypeblar` package's
distribution name clashes with pyPeblar's, which is why they live in another interpreter).
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from importlib.metadata import version
from typing import Any

from _lockstep import serve

AsyncCall = Callable[[], Awaitable[object]]


async def peblar_package(host: str, token: str, stack: AsyncExitStack) -> AsyncCall | None:
    """The `peblar` package's local REST API client (``PeblarApi``), on the simulator's port."""
    try:
        from peblar import PeblarApi
        from yarl import URL
    except ImportError:
        return None
    name, port = host.rsplit(":", 1)
    api = PeblarApi(host=name, token=token)
    # It has no port option (it builds http://host/api/wlac/v1/): point its URL at the port.
    api.url = URL.build(scheme="http", host=name, port=int(port), path="/api/wlac/v1/")

    async def close() -> None:
        if api.session is not None:
            await api.session.close()

    stack.push_async_callback(close)
    call: AsyncCall = api.meter
    return call


async def pypeblar_package(host: str, token: str, stack: AsyncExitStack) -> AsyncCall | None:
    """pyPeblar 0.3.2, the earlier generated asyncio client: ``MeterApi.meter_get``."""
    try:
        import pypeblar
    except ImportError:
        return None
    configuration = pypeblar.Configuration(host=f"http://{host}/api/wlac/v1")
    configuration.api_key["ApiToken"] = token
    client = pypeblar.ApiClient(configuration)
    stack.push_async_callback(client.close)
    api = pypeblar.MeterApi(client)

    async def call() -> Any:
        return await api.meter_get()

    return call


async def peblar_web(host: str, password: str, stack: AsyncExitStack) -> AsyncCall | None:
    """The `peblar` package's web-interface client (``Peblar``), logged in, on the simulator's port.

    Its session needs a cookie jar that takes cookies from an IP address (``unsafe=True``), as
    the one it would make itself.
    """
    try:
        import aiohttp
        from peblar import Peblar
        from yarl import URL
    except ImportError:
        return None
    name, port = host.rsplit(":", 1)
    session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    stack.push_async_callback(session.close)
    client = Peblar(host=name, session=session)
    client.url = URL.build(scheme="http", host=name, port=int(port), path="/api/v1/")
    await client.login(password=password)
    call: AsyncCall = client.user_configuration
    return call


CLIENTS = {
    # key: (label in section 6, label in section 7, distribution, maker)
    "peblar": ("peblar (async, aiohttp)", "peblar {} (PeblarApi.meter)", "peblar", peblar_package),
    "pypeblar": (
        "pypeblar 0.3.2 (generated, async)",
        "pypeblar {} (MeterApi.meter_get)",
        "pypeblar",
        pypeblar_package,
    ),
}


async def serve_all(host: str, token: str) -> None:
    async with AsyncExitStack() as stack:
        contenders = {}
        for key, (_, label, distribution, maker) in CLIENTS.items():
            call = await maker(host, token, stack)
            if call is not None:
                contenders[key] = (label.format(version(distribution)), call)
        await serve(contenders)


async def serve_web(host: str, password: str) -> None:
    async with AsyncExitStack() as stack:
        contenders = {}
        call = await peblar_web(host, password, stack)
        if call is not None:
            label = f"peblar {version('peblar')} (Peblar.user_configuration)"
            contenders["peblar-web"] = (label, call)
        await serve(contenders)


if __name__ == "__main__":
    if sys.argv[1] == "--serve":
        asyncio.run(serve_all(sys.argv[2], sys.argv[3]))
    elif sys.argv[1] == "--serve-web":
        asyncio.run(serve_web(sys.argv[2], sys.argv[3]))
    else:
        sys.exit(__doc__)
