"""pyPeblar's contenders in bench/run.py, and the bare engines they are held against.

Each is made in a process of its own by ``_child.py``, after its engine was imported, and called
there in lockstep rounds (``_lockstep``). ``BLOCKING`` and ``ASYNC`` map a contender's key to a
maker, which takes the simulator's ``host:port``, the secret (the API token, or the web
interface's password for the ``web-`` contenders) and an exit stack for what must be closed, and
returns the contender's label and its call. Every contender makes sequential ``GET`` calls on one
keep-alive connection, with the rate limiter off.

The floors are the engine itself, with no policy at all: one urllib3 ``HTTPConnectionPool``
request, or one ``aiohttp.ClientSession`` GET with a default session, plus the model's
``model_validate_json`` of the body (for the web interface, after one log-in of their own, with
the session cookie).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack, ExitStack
from typing import Any

__all__ = ["ASYNC", "BLOCKING", "WEB_PASSWORD", "WEB_PATH"]

BlockingCall = Callable[[], object]
AsyncCall = Callable[[], Awaitable[object]]

#: The simulator's web-interface password (its default; SimulatorProcess keeps it).
WEB_PASSWORD = "peblar"
WEB_PATH = "/api/v1/config/user"
API = "/api/wlac/v1"
#: The local REST API's paths timed, and the model each answers with.
PATHS = {
    "meter": ("/meter", "MeterResponse"),
    "evinterface": ("/evinterface", "EVInterfaceResponse"),
}


def _model(name: str) -> Any:
    import pyPeblar.models

    return getattr(pyPeblar.models, name)


# -- the local REST API, blocking ------------------------------------------------------------


def urllib3_floor(
    which: str, *, timeouts: bool = False
) -> Callable[[str, str, ExitStack], tuple[str, BlockingCall]]:
    """The floor; with ``timeouts``, the floor of a client that keeps timeouts (as pyPeblar's
    default 5 s and 10 s): a socket with a timeout costs a poll() before each send and receive."""

    def make(host: str, token: str, stack: ExitStack) -> tuple[str, BlockingCall]:
        import urllib3

        path, model_name = PATHS[which]
        model = _model(model_name)
        address, _, port = host.partition(":")
        timeout = urllib3.Timeout(connect=5.0, read=10.0) if timeouts else None
        pool = stack.enter_context(
            urllib3.HTTPConnectionPool(address, int(port), maxsize=1, timeout=timeout)
        )
        url = f"{API}{path}"
        headers = {"Authorization": token, "Accept": "application/json"}

        def call() -> object:
            return model.model_validate_json(pool.request("GET", url, headers=headers).data)

        if timeouts:
            return "urllib3 pool + timeouts + validate", call
        return "urllib3 pool + validate (floor)", call

    return make


def generated(which: str) -> Callable[[str, str, ExitStack], tuple[str, BlockingCall]]:
    def make(host: str, token: str, stack: ExitStack) -> tuple[str, BlockingCall]:
        from pyPeblar import ApiClient, Configuration, Policy
        from pyPeblar.api import EVInterfaceApi, MeterApi

        configuration = Configuration(host=f"http://{host}{API}", api_key={"ApiToken": token})
        api_client = ApiClient(configuration)
        api_client.rest_client.policy = Policy(rate_limit=False)
        stack.callback(api_client.rest_client.close)
        if which == "meter":
            return "generated API class", MeterApi(api_client).get_meter
        return "generated API class", EVInterfaceApi(api_client).get_ev_interface

    return make


def client(which: str) -> Callable[[str, str, ExitStack], tuple[str, BlockingCall]]:
    def make(host: str, token: str, stack: ExitStack) -> tuple[str, BlockingCall]:
        from pyPeblar import Peblar

        charger = stack.enter_context(Peblar(host, token, rate_limit=False))
        return "Peblar client", charger.meter if which == "meter" else charger.ev_interface

    return make


# -- the local REST API, asyncio --------------------------------------------------------------


async def aiohttp_floor(host: str, token: str, stack: AsyncExitStack) -> tuple[str, AsyncCall]:
    import aiohttp

    from pyPeblar.models import MeterResponse

    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1))
    stack.push_async_callback(session.close)
    url = f"http://{host}{API}/meter"
    headers = {"Authorization": token, "Accept": "application/json"}

    async def call() -> MeterResponse:
        async with session.get(url, headers=headers) as response:
            return MeterResponse.model_validate_json(await response.read())

    return "aiohttp session + validate (floor)", call


async def generated_asyncio(host: str, token: str, stack: AsyncExitStack) -> tuple[str, AsyncCall]:
    from pyPeblar import Configuration, Policy
    from pyPeblar.aio.api.meter_api import MeterApi
    from pyPeblar.aio.api_client import ApiClient

    configuration = Configuration(host=f"http://{host}{API}", api_key={"ApiToken": token})
    api_client = ApiClient(configuration)
    api_client.rest_client.policy = Policy(rate_limit=False)
    stack.push_async_callback(api_client.close)
    return "asyncio generated API class", MeterApi(api_client).get_meter


async def async_client(host: str, token: str, stack: AsyncExitStack) -> tuple[str, AsyncCall]:
    from pyPeblar import AsyncPeblar

    charger = await stack.enter_async_context(AsyncPeblar(host, token, rate_limit=False))
    return "AsyncPeblar client", charger.meter


# -- the web interface ------------------------------------------------------------------------


def web_urllib3_floor(host: str, password: str, stack: ExitStack) -> tuple[str, BlockingCall]:
    import urllib3

    from pyPeblar.webui.models import UserConfiguration

    address, _, port = host.partition(":")
    pool = stack.enter_context(urllib3.HTTPConnectionPool(address, int(port), maxsize=1))
    login = pool.request(
        "POST",
        "/api/v1/auth/login",
        body=json.dumps({"Password": password, "PersistentSession": False}),
        headers={"Content-Type": "application/json"},
    )
    cookie = str(login.headers["Set-Cookie"]).split(";", 1)[0]
    headers = {"Cookie": cookie, "Accept": "application/json"}

    def call() -> UserConfiguration:
        return UserConfiguration.model_validate_json(
            pool.request("GET", WEB_PATH, headers=headers).data
        )

    return "urllib3 pool + cookie + validate (floor)", call


def web_client(host: str, password: str, stack: ExitStack) -> tuple[str, BlockingCall]:
    from pyPeblar import PeblarWeb

    web = stack.enter_context(PeblarWeb(host, password, rate_limit=False))
    web.login()
    return "PeblarWeb client", web.user_configuration


async def web_aiohttp_floor(
    host: str, password: str, stack: AsyncExitStack
) -> tuple[str, AsyncCall]:
    import aiohttp

    from pyPeblar.webui.models import UserConfiguration

    session = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=1), cookie_jar=aiohttp.DummyCookieJar()
    )
    stack.push_async_callback(session.close)
    async with session.post(
        f"http://{host}/api/v1/auth/login",
        data=json.dumps({"Password": password, "PersistentSession": False}),
        headers={"Content-Type": "application/json"},
    ) as login:
        cookie = login.headers["Set-Cookie"].split(";", 1)[0]
    url = f"http://{host}{WEB_PATH}"
    headers = {"Cookie": cookie, "Accept": "application/json"}

    async def call() -> UserConfiguration:
        async with session.get(url, headers=headers) as response:
            return UserConfiguration.model_validate_json(await response.read())

    return "aiohttp session + cookie + validate (floor)", call


async def web_async_client(
    host: str, password: str, stack: AsyncExitStack
) -> tuple[str, AsyncCall]:
    from pyPeblar import AsyncPeblarWeb

    web = await stack.enter_async_context(AsyncPeblarWeb(host, password, rate_limit=False))
    await web.login()
    return "AsyncPeblarWeb client", web.user_configuration


# -- Modbus -------------------------------------------------------------------------------------

#: The meter's registers, as a raw read decodes them (the same layout as pyPeblar's map, written
#: out here so that the floor owes nothing to pyPeblar's code): field, first word, words.
METER_WORDS = (
    ("energy_total", 0, 4),
    ("energy_session", 4, 4),
    ("power_phase1", 8, 2),
    ("power_phase2", 10, 2),
    ("power_phase3", 12, 2),
    ("power_total", 14, 2),
    ("voltage_phase1", 16, 2),
    ("voltage_phase2", 18, 2),
    ("voltage_phase3", 20, 2),
    ("current_phase1", 22, 2),
    ("current_phase2", 24, 2),
    ("current_phase3", 26, 2),
)


def meter_of(words: list[int]) -> Any:
    """The floors' decoding: registers 30000-30027 into a ``MeterResponse``."""
    from pyPeblar.models import MeterResponse

    fields = {}
    for name, first, size in METER_WORDS:
        value = 0
        for word in words[first : first + size]:
            value = value << 16 | word
        fields[name] = value - (1 << 16 * size) if value >> (16 * size - 1) else value
    return MeterResponse.model_validate(fields)


def modbus_floor(host: str, _: str, stack: ExitStack) -> tuple[str, BlockingCall]:
    """A raw pymodbus read of registers 30000-30027, decoded into the same model."""
    from pymodbus.client import ModbusTcpClient

    address, _, port = host.partition(":")
    raw: Any = ModbusTcpClient(address, port=int(port), retries=0)
    raw.connect()
    stack.callback(raw.close)

    def call() -> object:
        return meter_of(raw.read_input_registers(30000, count=28, device_id=255).registers)

    return "pymodbus read + MeterResponse (floor)", call


async def modbus_asyncio_floor(host: str, _: str, stack: AsyncExitStack) -> tuple[str, AsyncCall]:
    """The same read with pymodbus's ``AsyncModbusTcpClient``."""
    from pymodbus.client import AsyncModbusTcpClient

    address, _, port = host.partition(":")
    raw: Any = AsyncModbusTcpClient(address, port=int(port), retries=0)
    await raw.connect()
    stack.callback(raw.close)

    async def call() -> object:
        return meter_of((await raw.read_input_registers(30000, count=28, device_id=255)).registers)

    return "pymodbus asyncio read + model (floor)", call


async def modbus_async_client(host: str, _: str, stack: AsyncExitStack) -> tuple[str, AsyncCall]:
    from pyPeblar import AsyncPeblarModbus

    modbus = await stack.enter_async_context(AsyncPeblarModbus(host))
    return "AsyncPeblarModbus client", modbus.meter


def modbus_client(host: str, _: str, stack: ExitStack) -> tuple[str, BlockingCall]:
    from pyPeblar import PeblarModbus

    modbus = stack.enter_context(PeblarModbus(host))
    return "PeblarModbus client", modbus.meter


def modbus_http(host: str, token: str, stack: ExitStack) -> tuple[str, BlockingCall]:
    label, call = client("meter")(host, token, stack)
    return f"{label}, over HTTP", call


BLOCKING: dict[str, Callable[[str, str, ExitStack], tuple[str, BlockingCall]]] = {
    "meter-urllib3": urllib3_floor("meter"),
    "meter-urllib3-timeouts": urllib3_floor("meter", timeouts=True),
    "meter-generated": generated("meter"),
    "meter-client": client("meter"),
    "evinterface-urllib3": urllib3_floor("evinterface"),
    "evinterface-generated": generated("evinterface"),
    "evinterface-client": client("evinterface"),
    "web-urllib3": web_urllib3_floor,
    "web-client": web_client,
    "modbus-pymodbus": modbus_floor,
    "modbus-client": modbus_client,
    "modbus-http": modbus_http,
}
ASYNC: dict[str, Callable[[str, str, AsyncExitStack], Awaitable[tuple[str, AsyncCall]]]] = {
    "meter-aiohttp": aiohttp_floor,
    "meter-generated-asyncio": generated_asyncio,
    "meter-async-client": async_client,
    "web-aiohttp": web_aiohttp_floor,
    "web-async-client": web_async_client,
    "modbus-pymodbus-asyncio": modbus_asyncio_floor,
    "modbus-async-client": modbus_async_client,
}
