"""Other Python Peblar clients, as contenders of bench/run.py (made by ``_child.py``).

The `peblar` package (2.1.0, on aiohttp: ``PeblarApi.meter`` and the web interface's
``Peblar.user_configuration``) and pyPeblar 0.3.2 (``pypeblar``, the earlier generated asyncio
client). ``ASYNC`` maps a contender's key to its maker, as in ``_contenders``. Standard library
only apart from the clients themselves; this file never imports pyPeblar: the older `pypeblar`
package's distribution name clashes with pyPeblar's, so it lives in another interpreter
(``run.py --others PYTHON``), which runs this file too. A client that is not installed where its
maker runs raises ``ImportError`` (run.py leaves it out and says so).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from importlib.metadata import version
from typing import Any

__all__ = ["ASYNC", "DISTRIBUTIONS"]

AsyncCall = Callable[[], Awaitable[object]]


async def peblar_package(host: str, token: str, stack: AsyncExitStack) -> tuple[str, AsyncCall]:
    """The `peblar` package's local REST API client (``PeblarApi``), on the simulator's port."""
    from peblar import PeblarApi
    from yarl import URL

    name, port = host.rsplit(":", 1)
    api = PeblarApi(host=name, token=token)
    # It has no port option (it builds http://host/api/wlac/v1/): point its URL at the port.
    api.url = URL.build(scheme="http", host=name, port=int(port), path="/api/wlac/v1/")

    async def close() -> None:
        if api.session is not None:
            await api.session.close()

    stack.push_async_callback(close)
    return f"peblar {version('peblar')} (PeblarApi.meter)", api.meter


async def pypeblar_package(host: str, token: str, stack: AsyncExitStack) -> tuple[str, AsyncCall]:
    """pyPeblar 0.3.2, the earlier generated asyncio client: ``MeterApi.meter_get``."""
    import pypeblar

    configuration = pypeblar.Configuration(host=f"http://{host}/api/wlac/v1")
    configuration.api_key["ApiToken"] = token
    client = pypeblar.ApiClient(configuration)
    stack.push_async_callback(client.close)
    api = pypeblar.MeterApi(client)

    async def call() -> Any:
        return await api.meter_get()

    return f"pypeblar {version('pypeblar')} (MeterApi.meter_get)", call


async def peblar_web(host: str, password: str, stack: AsyncExitStack) -> tuple[str, AsyncCall]:
    """The `peblar` package's web-interface client (``Peblar``), logged in, on the simulator's port.

    Its session needs a cookie jar that takes cookies from an IP address (``unsafe=True``), as
    the one it would make itself.
    """
    import aiohttp
    from peblar import Peblar
    from yarl import URL

    name, port = host.rsplit(":", 1)
    session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    stack.push_async_callback(session.close)
    client = Peblar(host=name, session=session)
    client.url = URL.build(scheme="http", host=name, port=int(port), path="/api/v1/")
    await client.login(password=password)
    return f"peblar {version('peblar')} (Peblar.user_configuration)", client.user_configuration


ASYNC: dict[str, Callable[[str, str, AsyncExitStack], Awaitable[tuple[str, AsyncCall]]]] = {
    "meter-peblar": peblar_package,
    "meter-pypeblar": pypeblar_package,
    "web-peblar": peblar_web,
}
#: The distribution each contender needs.
DISTRIBUTIONS = {"meter-peblar": "peblar", "meter-pypeblar": "pypeblar", "web-peblar": "peblar"}
