"""pyPeblar's benchmark: every figure and ratio measured side by side in one run.

    python bench/run.py            # the full run (a few minutes)
    python bench/run.py --quick    # a few iterations: CI checks that it runs and prints everything
    python bench/run.py --others PYTHON   # also other Peblar clients installed for PYTHON
    python bench/engines.py --httpx PYTHON  # aiohttp against httpx (not run in CI)
    python bench/events.py [--quick]        # section 11 alone (live events)

The simulator runs in its own process on loopback with its rate limit off, so what is measured is
the client. Timings are medians of interleaved rounds: each round runs every contender once, in a
shuffled order, so drift in machine load hits all of them alike. Never compare absolute figures
across runs or machines; compare the ratios within one run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import events as live_events
from _lockstep import WARM_UP, Remote, timed
from _process import rss_bytes
from _simulator_process import SimulatorProcess

HERE = Path(__file__).resolve().parent
FLOOR = "urllib3 pool + validate (floor)"
ASYNC_FLOOR = "aiohttp session + validate (floor)"
ASYNC_CLIENT = "AsyncPeblar client"
ASYNC_GENERATED = "asyncio generated API class"
#: The issue's targets: reported beside the figures, never asserted (a shared machine is noisy).
ASYNC_CPU_TARGET = 1.0  # AsyncPeblar.meter() CPU per call / the peblar package's
SYNC_CPU_TARGET = 0.9  # Peblar.meter() CPU per call / the peblar package's
SYNC_IN_LOOP = "Peblar client (synchronous)"
SYNC_FLOOR_IN_LOOP = "urllib3 pool + validate (sync floor)"
ASYNC_IMPORT_TARGET = 1.2  # importing the async client / importing aiohttp and pydantic
SCRIPT = Path(sys.executable).with_name("pypeblar")


@dataclass
class Settings:
    rounds: int
    calls: int
    decode_loops: int
    cold_runs: int
    memory_calls: int
    thread_seconds: float
    connection_calls: int


FULL = Settings(
    rounds=15,
    calls=300,
    decode_loops=20000,
    cold_runs=15,
    memory_calls=20000,
    thread_seconds=3.0,
    connection_calls=1000,
)
QUICK = Settings(
    rounds=2,
    calls=20,
    decode_loops=200,
    cold_runs=2,
    memory_calls=500,
    thread_seconds=0.3,
    connection_calls=1000,
)


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


# -- 1. per call ---------------------------------------------------------------------------


def contenders(host: str, token: str, path: str) -> dict[str, Callable[[], object]]:
    """The three ways to GET one endpoint, each warmed up on its own keep-alive connection.

    The floor is the engine itself: one urllib3 ``HTTPConnectionPool.request`` and the model's
    ``model_validate_json`` of the body, with no policy at all.
    """
    import urllib3

    from pyPeblar import ApiClient, Configuration, Peblar, Policy
    from pyPeblar.api import EVInterfaceApi, MeterApi
    from pyPeblar.models import EVInterfaceResponse, MeterResponse

    address, _, port = host.partition(":")
    pool = urllib3.HTTPConnectionPool(address, int(port or 80), maxsize=1)
    url = f"/api/wlac/v1{path}"
    headers = {"Authorization": token, "Accept": "application/json"}
    client = Peblar(host, token, rate_limit=False)
    generated = ApiClient(
        Configuration(host=f"http://{host}/api/wlac/v1", api_key={"ApiToken": token})
    )
    generated.rest_client.policy = Policy(rate_limit=False)
    model: Any
    if path == "/meter":
        api_call: Callable[[], object] = MeterApi(generated).get_meter
        client_call: Callable[[], object] = client.meter
        model = MeterResponse
    else:
        api_call = EVInterfaceApi(generated).get_ev_interface
        client_call = client.ev_interface
        model = EVInterfaceResponse
    return {
        FLOOR: lambda: model.model_validate_json(pool.request("GET", url, headers=headers).data),
        "generated API class": api_call,
        "Peblar client": client_call,
    }


def per_call(settings: Settings, host: str, token: str) -> dict[str, dict[str, dict[str, float]]]:
    results: dict[str, dict[str, dict[str, float]]] = {}
    for path in ("/meter", "/evinterface"):
        calls = contenders(host, token, path)
        walls: dict[str, list[float]] = {name: [] for name in calls}
        cpus: dict[str, list[float]] = {name: [] for name in calls}
        for call in calls.values():
            for _ in range(20):
                call()
        for _ in range(settings.rounds):
            order = list(calls)
            random.shuffle(order)
            for name in order:
                call = calls[name]
                cpu_start = time.thread_time()
                for _ in range(settings.calls):
                    started = time.perf_counter()
                    call()
                    walls[name].append(time.perf_counter() - started)
                cpus[name].append((time.thread_time() - cpu_start) / settings.calls)
        results[path] = {
            name: {
                # Best of the rounds, as timeit reports: other work on the machine only ever adds
                # CPU time (cache misses, wake-ups), so the least-disturbed round is the figure.
                "cpu_us": min(cpus[name]) * 1e6,
                # And the median of this contender's CPU over the floor's, round by round: the two
                # ran back to back, so a slow spell of the machine cancels out. In six runs on the
                # shared development VM, the best-of ratio of one build spread over 0.97x to 1.63x,
                # this one over 1.21x to 1.32x.
                "cpu_paired": statistics.median(
                    mine / floor for mine, floor in zip(cpus[name], cpus[FLOOR], strict=True)
                ),
                "wall_median_us": statistics.median(walls[name]) * 1e6,
                "wall_p95_us": p95(walls[name]) * 1e6,
            }
            for name in calls
        }
    return results


# -- 2. decoding ---------------------------------------------------------------------------


def from_dict(model: Any, text: str) -> object:
    return model.from_dict(json.loads(text))


def decoding(settings: Settings, host: str, token: str) -> dict[str, dict[str, float]]:
    from pyPeblar import Peblar
    from pyPeblar.models import EVInterfaceResponse, MeterResponse

    results: dict[str, dict[str, float]] = {}
    with Peblar(host, token, rate_limit=False) as client:
        payloads: dict[str, tuple[type[Any], bytes]] = {
            "MeterResponse": (MeterResponse, client.raw("GET", "/meter")),
            "EVInterfaceResponse": (EVInterfaceResponse, client.raw("GET", "/evinterface")),
        }
    for name, (model, raw) in payloads.items():
        text = raw.decode()
        ways: dict[str, Callable[[], object]] = {
            "from_json (generated)": partial(model.from_json, text),
            "json.loads + from_dict (upstream's path)": partial(from_dict, model, text),
            "model_validate_json (the ApiClient's path)": partial(model.model_validate_json, raw),
        }
        timings: dict[str, list[float]] = {way: [] for way in ways}
        for _ in range(max(3, settings.rounds)):
            for way, function in ways.items():
                started = time.perf_counter()
                for _ in range(settings.decode_loops // 3 or 1):
                    function()
                timings[way].append(
                    (time.perf_counter() - started) / (settings.decode_loops // 3 or 1)
                )
        results[name] = {way: statistics.median(values) * 1e6 for way, values in timings.items()}
    return results


# -- 3. cold start -------------------------------------------------------------------------


def fresh_processes(
    commands: dict[str, list[str]], runs: int, summary: Callable[[list[float]], float]
) -> dict[str, float]:
    """Each command's time (ms) as a fresh process: ``summary`` of ``runs`` interleaved, shuffled
    rounds, after one unmeasured round.

    Every process reads compiled bytecode, as an installed package does (pip compiles it at
    install time): the children cache it under a temporary ``PYTHONPYCACHEPREFIX``, which the
    unmeasured round fills, and ``PYTHONDONTWRITEBYTECODE`` is not passed on. Without that, a
    machine that sets it (this project's development machines do) timed pyPeblar's modules
    compiled from source on every run against dependencies read from bytecode.
    """
    environment = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("PEBLAR_") and k != "PYTHONDONTWRITEBYTECODE"
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    with tempfile.TemporaryDirectory(prefix="pypeblar-bench-pycache-") as cache:
        environment["PYTHONPYCACHEPREFIX"] = cache
        for _ in range(runs + 1):
            order = list(commands)
            random.shuffle(order)
            for name in order:
                started = time.perf_counter()
                subprocess.run(commands[name], check=True, capture_output=True, env=environment)
                times[name].append(time.perf_counter() - started)
    return {name: summary(values[1:] or values) * 1e3 for name, values in times.items()}


def cold_start(settings: Settings, host: str, token: str) -> dict[str, float]:
    python = sys.executable
    commands = {
        "python -c 'import pydantic, urllib3' (floor)": [python, "-c", "import pydantic, urllib3"],
        "python -c 'import pyPeblar'": [python, "-c", "import pyPeblar"],
        "python -c 'from pyPeblar import Peblar'": [python, "-c", "from pyPeblar import Peblar"],
        "pypeblar --help": [str(SCRIPT), "--help"],
        "pypeblar --json meter": [str(SCRIPT), "--json", "--host", host, "--token", token, "meter"],
    }
    return fresh_processes(commands, settings.cold_runs, statistics.median)


# -- 4. connections and memory ------------------------------------------------------------


def connections_and_memory(settings: Settings) -> dict[str, float]:
    from pyPeblar import Peblar

    with (
        SimulatorProcess() as simulator,
        Peblar(simulator.host, simulator.token, rate_limit=False) as client,
    ):
        for _ in range(settings.connection_calls):
            client.meter()
    with (
        SimulatorProcess() as memory_simulator,
        Peblar(memory_simulator.host, memory_simulator.token, rate_limit=False) as client,
    ):
        for _ in range(200):
            client.meter()
        start = rss_bytes()
        for index in range(settings.memory_calls):
            client.ev_interface() if index % 2 else client.meter()
        growth = rss_bytes() - start
    return {
        "calls": settings.connection_calls,
        "connections": float(simulator.connections if simulator.connections is not None else -1),
        "memory_calls": settings.memory_calls,
        "rss_growth_mib": growth / 2**20,
    }


# -- 5. threads ---------------------------------------------------------------------------


def hammer(client: Any, seconds: float, count: int) -> tuple[int, float, float]:
    """``count`` threads calling ``client.meter()`` for ``seconds``: (calls, elapsed, CPU)."""
    done = [0] * count
    stop = time.perf_counter() + seconds

    def work(slot: int) -> None:
        while time.perf_counter() < stop:
            client.meter()
            done[slot] += 1

    workers = [threading.Thread(target=work, args=(slot,)) for slot in range(count)]
    cpu_start, started = time.process_time(), time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return sum(done), time.perf_counter() - started, time.process_time() - cpu_start


def threads(settings: Settings, host: str, token: str) -> dict[int, dict[str, float]]:
    from pyPeblar import Peblar

    results: dict[int, dict[str, float]] = {}
    for count in (1, 4, 16):
        with Peblar(host, token, rate_limit=False) as client:
            total, elapsed, cpu = hammer(client, settings.thread_seconds, count)
        results[count] = {
            "calls_per_s": total / elapsed,
            "cpu_us_per_call": cpu / max(total, 1) * 1e6,
        }
    return results


# -- 7. asyncio: per call -----------------------------------------------------------------


async def async_contenders(
    host: str, token: str, stack: contextlib.AsyncExitStack
) -> dict[str, Callable[[], Awaitable[object]]]:
    """GET /meter from asyncio, each contender on its own keep-alive connection.

    The floor is the engine itself: an ``aiohttp.ClientSession`` GET and ``model_validate_json``
    of the body, with no policy at all. The synchronous ``Peblar`` and its floor (section 1's)
    are here too, called from the loop's thread (nothing else runs on the loop meanwhile), so that
    they are timed like the ``peblar`` package and in the same rounds: section 6 reads them.
    """
    import aiohttp

    from pyPeblar import AsyncPeblar, Configuration, Policy
    from pyPeblar.aio.api.meter_api import MeterApi
    from pyPeblar.aio.api_client import ApiClient
    from pyPeblar.models import MeterResponse

    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1))
    stack.push_async_callback(session.close)
    url = f"http://{host}/api/wlac/v1/meter"
    headers = {"Authorization": token, "Accept": "application/json"}

    async def floor() -> MeterResponse:
        async with session.get(url, headers=headers) as response:
            return MeterResponse.model_validate_json(await response.read())

    client = AsyncPeblar(host, token, rate_limit=False)
    stack.push_async_callback(client.close)
    generated = ApiClient(
        Configuration(host=f"http://{host}/api/wlac/v1", api_key={"ApiToken": token})
    )
    generated.rest_client.policy = Policy(rate_limit=False)
    stack.push_async_callback(generated.close)
    synchronous = contenders(host, token, "/meter")

    async def sync_floor() -> object:
        return synchronous[FLOOR]()

    async def sync_client() -> object:
        return synchronous["Peblar client"]()

    return {
        ASYNC_FLOOR: floor,
        ASYNC_GENERATED: MeterApi(generated).get_meter,
        ASYNC_CLIENT: client.meter,
        SYNC_FLOOR_IN_LOOP: sync_floor,
        SYNC_IN_LOOP: sync_client,
    }


def start_others(python: str | None, host: str, token: str) -> tuple[Remote | None, str]:
    """``others.py --serve`` in the other interpreter, or None and why not."""
    if not python:
        return None, "no --others interpreter (see docs/performance.md)"
    if not shutil.which(python) and not Path(python).exists():
        return None, f"{python} not found"
    try:
        return Remote([python, str(HERE / "others.py"), "--serve", host, token]), ""
    except (OSError, RuntimeError) as error:
        return None, f"others.py --serve failed: {error}"


async def async_rounds(
    settings: Settings, host: str, token: str, others: Remote | None
) -> dict[str, dict[str, float]]:
    """Interleaved rounds of this process's asyncio contenders and the other interpreter's."""
    async with contextlib.AsyncExitStack() as stack:
        local = await async_contenders(host, token, stack)
        for call in local.values():
            for _ in range(WARM_UP):
                await call()
        remote = others.labels if others is not None else {}
        names = [*local, *remote.values()]
        cpus: dict[str, list[float]] = {name: [] for name in names}
        walls: dict[str, list[float]] = {name: [] for name in names}
        keys = {label: key for key, label in remote.items()}
        for _ in range(settings.rounds):
            order = list(names)
            random.shuffle(order)
            for name in order:
                if name in local:
                    cpu, times = await timed(local[name], settings.calls)
                else:
                    assert others is not None
                    cpu, times = others.measure(keys[name], settings.calls)
                cpus[name].append(cpu)
                walls[name].extend(times)
    return {
        name: {
            "cpu_us": min(cpus[name]) * 1e6,
            "wall_median_us": statistics.median(walls[name]) * 1e6,
            "wall_p95_us": p95(walls[name]) * 1e6,
        }
        for name in names
    }


def asyncio_per_call(
    settings: Settings, host: str, token: str, python: str | None
) -> tuple[dict[str, dict[str, float]], str]:
    """Section 7's rows, and why the other clients were left out ("" if they were not)."""
    others, skipped = start_others(python, host, token)
    try:
        return asyncio.run(async_rounds(settings, host, token, others)), skipped
    finally:
        if others is not None:
            others.close()


def print_asyncio(settings: Settings, rows: dict[str, dict[str, float]], skipped: str) -> None:
    print(
        f"\n7. Asyncio, GET /meter: sequential awaited calls in one event loop\n"
        f"   ({settings.rounds} rounds x {settings.calls} calls, one keep-alive connection each; "
        "CPU is the whole process's)"
    )
    print(f"   {'':<36} {'CPU/call':>10} {'wall median':>12} {'wall p95':>10}")
    for name, row in rows.items():
        print(
            f"   {name:<36} {row['cpu_us']:7.0f} us {row['wall_median_us']:9.0f} us "
            f"{row['wall_p95_us']:7.0f} us"
        )
    floor = rows[ASYNC_FLOOR]
    for name in (ASYNC_CLIENT, ASYNC_GENERATED):
        row = rows[name]
        print(
            f"   {name} / floor: CPU {row['cpu_us'] / floor['cpu_us']:.2f}x, "
            f"wall {row['wall_median_us'] / floor['wall_median_us']:.2f}x"
        )
    peblar = peblar_row(rows, skipped)
    if peblar is None:
        return
    print_against(rows, peblar, {ASYNC_CLIENT: ASYNC_CPU_TARGET, ASYNC_GENERATED: None})


def peblar_row(rows: dict[str, dict[str, float]], skipped: str) -> str | None:
    """The ``peblar`` package's row in ``rows``; or None, having said why it is missing."""
    peblar = next((name for name in rows if name.startswith("peblar ")), None)
    if peblar is None:
        print(f"   the peblar package: skipped: {skipped or 'not installed for --others'}")
    return peblar


def print_against(
    rows: dict[str, dict[str, float]], peblar: str, goals: dict[str, float | None]
) -> None:
    """Each of ``goals``' contenders' CPU per call against the ``peblar`` package's row."""
    for name, goal in goals.items():
        ratio = rows[name]["cpu_us"] / rows[peblar]["cpu_us"]
        met = "met" if goal is not None and ratio <= goal else "NOT met"
        verdict = f"target <= {goal:.1f}x: {met}" if goal is not None else "no target"
        print(f"   {name} / {peblar.partition(' (')[0]}: CPU {ratio:.2f}x ({verdict})")


def print_synchronous_against_others(rows: dict[str, dict[str, float]], skipped: str) -> None:
    """Section 6: the synchronous client against the ``peblar`` package, from section 7's rounds."""
    print(
        "\n6. The synchronous client against other Python Peblar clients, GET /meter\n"
        "   (timed in section 7's rounds, as those clients are: CPU is the whole process's)"
    )
    peblar = peblar_row(rows, skipped)
    if peblar is None:
        return
    print_against(rows, peblar, {SYNC_FLOOR_IN_LOOP: None, SYNC_IN_LOOP: SYNC_CPU_TARGET})


# -- 8. asyncio: importing ----------------------------------------------------------------

ASYNC_IMPORT_FLOOR = "python -c 'import aiohttp, pydantic' (floor)"
ASYNC_IMPORT_MODELS = "python -c 'import aiohttp; from pydantic import BaseModel'"
ASYNC_IMPORT_ONE_MODEL = "python -c 'import aiohttp; ...; class M(BaseModel): a: int = Field(gt=0)'"
#: One pydantic model with one constrained field, defined: what any client with models pays.
ONE_MODEL_CODE = (
    "import aiohttp\n"
    "from pydantic import BaseModel, Field\n"
    "class M(BaseModel):\n"
    "    a: int = Field(gt=0)\n"
)
ASYNC_IMPORT = "python -c 'from pyPeblar import AsyncPeblar; import pyPeblar.aio.api_client, ...'"
ASYNC_IMPORT_CODE = (
    "from pyPeblar import AsyncPeblar; import pyPeblar.aio.api_client, pyPeblar.aio.api.meter_api"
)


def async_import(settings: Settings) -> dict[str, float]:
    """Fresh interpreters: the async client ready to call against aiohttp and pydantic alone.

    The best of the runs (ms), interleaved and shuffled, after one unmeasured run of each.
    """
    python = sys.executable
    commands = {
        ASYNC_IMPORT_FLOOR: [python, "-c", "import aiohttp, pydantic"],
        # Not a target, for the reading: `import pydantic` defers BaseModel; a client needs it.
        ASYNC_IMPORT_MODELS: [python, "-c", "import aiohttp; from pydantic import BaseModel"],
        # Nor this: the least any client with a pydantic model pays (pydantic's fields,
        # annotated_types, and the first model's build).
        ASYNC_IMPORT_ONE_MODEL: [python, "-c", ONE_MODEL_CODE],
        ASYNC_IMPORT: [python, "-c", ASYNC_IMPORT_CODE],
    }
    return fresh_processes(commands, settings.cold_runs, min)


def print_async_import(settings: Settings, starts: dict[str, float]) -> None:
    print(f"\n8. Importing the async client, whole processes (best of {settings.cold_runs})")
    floor = starts[ASYNC_IMPORT_FLOOR]
    for name, millis in starts.items():
        print(f"   {name:<80} {millis:6.0f} ms  {millis / floor:4.2f}x")
    ratio = starts[ASYNC_IMPORT] / floor
    verdict = "met" if ratio <= ASYNC_IMPORT_TARGET else "NOT met"
    print(
        f"   async client import / floor: {ratio:.2f}x "
        f"(target <= {ASYNC_IMPORT_TARGET:.1f}x: {verdict})"
    )


# -- 9. web interface: per call -------------------------------------------------------------

#: The simulator's web-interface password (its default; SimulatorProcess keeps it).
WEB_PASSWORD = "peblar"
WEB_PATH = "/api/v1/config/user"
WEB_FLOOR = "urllib3 pool + cookie + validate (floor)"
WEB_CLIENT = "PeblarWeb client"
WEB_ASYNC_FLOOR = "aiohttp session + cookie + validate (floor)"
WEB_ASYNC_CLIENT = "AsyncPeblarWeb client"
LOGIN_BODY = json.dumps({"Password": WEB_PASSWORD, "PersistentSession": False})


def timed_sync(call: Callable[[], object], calls: int) -> tuple[float, list[float]]:
    """``_lockstep.timed`` for a blocking call: process CPU seconds per call, each call's wall."""
    walls = []
    cpu_start = time.process_time()
    for _ in range(calls):
        started = time.perf_counter()
        call()
        walls.append(time.perf_counter() - started)
    return (time.process_time() - cpu_start) / calls, walls


def web_sync_contenders(
    host: str, stack: contextlib.AsyncExitStack
) -> dict[str, Callable[[], object]]:
    """GET config/user, blocking: the bare engine with the session cookie, and ``PeblarWeb``.

    Both log in here, once, before anything is timed.
    """
    import urllib3

    from pyPeblar import PeblarWeb
    from pyPeblar.webui.models import UserConfiguration

    address, _, port = host.partition(":")
    pool = urllib3.HTTPConnectionPool(address, int(port or 80), maxsize=1)
    stack.callback(pool.close)
    login = pool.request(
        "POST",
        "/api/v1/auth/login",
        body=LOGIN_BODY,
        headers={"Content-Type": "application/json"},
    )
    cookie = str(login.headers["Set-Cookie"]).split(";", 1)[0]
    headers = {"Cookie": cookie, "Accept": "application/json"}

    def floor() -> UserConfiguration:
        answer = pool.request("GET", WEB_PATH, headers=headers)
        return UserConfiguration.model_validate_json(answer.data)

    web = PeblarWeb(host, WEB_PASSWORD, rate_limit=False)
    stack.callback(web.close)
    web.login()
    return {WEB_FLOOR: floor, WEB_CLIENT: web.user_configuration}


async def web_async_contenders(
    host: str, stack: contextlib.AsyncExitStack
) -> dict[str, Callable[[], Awaitable[object]]]:
    """GET config/user from asyncio: aiohttp with the session cookie, and ``AsyncPeblarWeb``."""
    import aiohttp

    from pyPeblar import AsyncPeblarWeb
    from pyPeblar.webui.models import UserConfiguration

    session = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=1), cookie_jar=aiohttp.DummyCookieJar()
    )
    stack.push_async_callback(session.close)
    async with session.post(
        f"http://{host}/api/v1/auth/login",
        data=LOGIN_BODY,
        headers={"Content-Type": "application/json"},
    ) as login:
        cookie = login.headers["Set-Cookie"].split(";", 1)[0]
    url = f"http://{host}{WEB_PATH}"
    headers = {"Cookie": cookie, "Accept": "application/json"}

    async def floor() -> UserConfiguration:
        async with session.get(url, headers=headers) as response:
            return UserConfiguration.model_validate_json(await response.read())

    web = await stack.enter_async_context(AsyncPeblarWeb(host, WEB_PASSWORD, rate_limit=False))
    await web.login()
    return {WEB_ASYNC_FLOOR: floor, WEB_ASYNC_CLIENT: web.user_configuration}


async def web_rounds(
    settings: Settings, host: str, others: Remote | None
) -> dict[str, dict[str, float]]:
    """Interleaved rounds of the blocking, the asyncio and the other interpreter's web clients."""
    async with contextlib.AsyncExitStack() as stack:
        blocking = web_sync_contenders(host, stack)
        local = await web_async_contenders(host, stack)
        for call in blocking.values():
            for _ in range(WARM_UP):
                call()
        for async_call in local.values():
            for _ in range(WARM_UP):
                await async_call()
        remote = others.labels if others is not None else {}
        names = [*blocking, *local, *remote.values()]
        cpus: dict[str, list[float]] = {name: [] for name in names}
        walls: dict[str, list[float]] = {name: [] for name in names}
        keys = {label: key for key, label in remote.items()}
        for _ in range(settings.rounds):
            order = list(names)
            random.shuffle(order)
            for name in order:
                if name in blocking:
                    cpu, times = timed_sync(blocking[name], settings.calls)
                elif name in local:
                    cpu, times = await timed(local[name], settings.calls)
                else:
                    assert others is not None
                    cpu, times = others.measure(keys[name], settings.calls)
                cpus[name].append(cpu)
                walls[name].extend(times)
    return {
        name: {
            "cpu_us": min(cpus[name]) * 1e6,
            "wall_median_us": statistics.median(walls[name]) * 1e6,
            "wall_p95_us": p95(walls[name]) * 1e6,
        }
        for name in names
    }


def start_others_web(python: str | None, host: str) -> tuple[Remote | None, str]:
    """``others.py --serve-web`` in the other interpreter, or None and why not."""
    if not python:
        return None, "no --others interpreter (see docs/performance.md)"
    if not shutil.which(python) and not Path(python).exists():
        return None, f"{python} not found"
    try:
        command = [python, str(HERE / "others.py"), "--serve-web", host, WEB_PASSWORD]
        return Remote(command), ""
    except (OSError, RuntimeError) as error:
        return None, f"others.py --serve-web failed: {error}"


def web_per_call(
    settings: Settings, host: str, python: str | None
) -> tuple[dict[str, dict[str, float]], str]:
    """Section 9's rows, and why the peblar package was left out ("" if it was not)."""
    others, skipped = start_others_web(python, host)
    try:
        return asyncio.run(web_rounds(settings, host, others)), skipped
    finally:
        if others is not None:
            others.close()


def print_web(settings: Settings, rows: dict[str, dict[str, float]], skipped: str) -> None:
    print(
        f"\n9. Web interface, GET {WEB_PATH}: sequential calls, logged in once beforehand\n"
        f"   ({settings.rounds} rounds x {settings.calls} calls, one keep-alive connection each; "
        "the asyncio ones in one event loop; CPU is the whole process's)"
    )
    print(f"   {'':<44} {'CPU/call':>10} {'wall median':>12} {'wall p95':>10}")
    for name, row in rows.items():
        print(
            f"   {name:<44} {row['cpu_us']:7.0f} us {row['wall_median_us']:9.0f} us "
            f"{row['wall_p95_us']:7.0f} us"
        )
    for name, floor_name in ((WEB_CLIENT, WEB_FLOOR), (WEB_ASYNC_CLIENT, WEB_ASYNC_FLOOR)):
        row, floor = rows[name], rows[floor_name]
        print(
            f"   {name} / floor: CPU {row['cpu_us'] / floor['cpu_us']:.2f}x, "
            f"wall {row['wall_median_us'] / floor['wall_median_us']:.2f}x"
        )
    peblar = peblar_row(rows, skipped)
    if peblar is None:
        return
    print_against(rows, peblar, {WEB_CLIENT: None, WEB_ASYNC_CLIENT: None})


# -- 10. web interface: importing -------------------------------------------------------------

WEB_IMPORT_FLOOR = "python -c 'import pydantic, urllib3' (floor)"
WEB_IMPORT_MODELS = "python -c 'import urllib3; from pydantic import BaseModel'"
WEB_IMPORT = "python -c 'from pyPeblar import PeblarWeb'"
WEB_IMPORT_READY = (
    "python -c 'from pyPeblar import PeblarWeb; import pyPeblar.webui.api_client, ...'"
)
WEB_IMPORT_READY_CODE = (
    "from pyPeblar import PeblarWeb; "
    "import pyPeblar.webui.api_client, pyPeblar.webui.api.settings_api"
)


def web_import(settings: Settings) -> dict[str, float]:
    """Fresh interpreters: the web client, and the imports of its first call, against the floor
    of section 3 (``import pydantic, urllib3``), timed as section 3 times it: the median of the
    runs (ms), interleaved and shuffled, after one unmeasured run of each.
    """
    python = sys.executable
    commands = {
        WEB_IMPORT_FLOOR: [python, "-c", "import pydantic, urllib3"],
        # Not the floor, for the reading: `import pydantic` defers BaseModel; a client needs it.
        WEB_IMPORT_MODELS: [python, "-c", "import urllib3; from pydantic import BaseModel"],
        WEB_IMPORT: [python, "-c", "from pyPeblar import PeblarWeb"],
        WEB_IMPORT_READY: [python, "-c", WEB_IMPORT_READY_CODE],
    }
    return fresh_processes(commands, settings.cold_runs, statistics.median)


def print_web_import(settings: Settings, starts: dict[str, float]) -> None:
    print(f"\n10. Importing the web client, whole processes (median of {settings.cold_runs})")
    floor = starts[WEB_IMPORT_FLOOR]
    for name, millis in starts.items():
        print(f"   {name:<80} {millis:6.0f} ms  {millis / floor:4.2f}x")


# -- 12. Modbus: per call --------------------------------------------------------------------

MODBUS_FLOOR = "pymodbus read + MeterResponse (floor)"
MODBUS_CLIENT = "PeblarModbus client"
MODBUS_HTTP = "Peblar client, over HTTP"
MODBUS_ASYNC_FLOOR = "pymodbus asyncio read + model (floor)"
MODBUS_ASYNC_CLIENT = "AsyncPeblarModbus client"
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
    """The floor's decoding: registers 30000-30027 into a ``MeterResponse``."""
    from pyPeblar.models import MeterResponse

    fields = {}
    for field, first, size in METER_WORDS:
        value = 0
        for word in words[first : first + size]:
            value = value << 16 | word
        fields[field] = value - (1 << 16 * size) if value >> (16 * size - 1) else value
    return MeterResponse.model_validate(fields)


def modbus_contenders(
    rest_host: str, token: str, modbus_host: str, stack: contextlib.ExitStack
) -> dict[str, Callable[[], object]]:
    """meter(): a raw pymodbus read of registers 30000-30027 decoded into the same model (the
    floor), ``PeblarModbus.meter()``, and ``Peblar.meter()`` over HTTP, each on one connection."""
    from pymodbus.client import ModbusTcpClient

    from pyPeblar import Peblar, PeblarModbus

    address, _, port = modbus_host.partition(":")
    raw: Any = ModbusTcpClient(address, port=int(port), retries=0)
    raw.connect()
    stack.callback(raw.close)

    def floor() -> object:
        return meter_of(raw.read_input_registers(30000, count=28, device_id=255).registers)

    modbus = stack.enter_context(PeblarModbus(modbus_host))
    rest = stack.enter_context(Peblar(rest_host, token, rate_limit=False))
    return {MODBUS_FLOOR: floor, MODBUS_CLIENT: modbus.meter, MODBUS_HTTP: rest.meter}


def modbus_per_call(settings: Settings) -> dict[str, dict[str, float]]:
    """Interleaved, shuffled rounds of the three, against a simulator with a Modbus server (its
    own process); whole-process CPU per call, and each one's ratio to the floor round by round."""
    with SimulatorProcess("--modbus-port", "0") as simulator, contextlib.ExitStack() as stack:
        calls = modbus_contenders(simulator.host, simulator.token, simulator.modbus_host, stack)
        if calls[MODBUS_CLIENT]() != calls[MODBUS_FLOOR]():
            raise RuntimeError("the floor and the client do not read the same meter")
        for call in calls.values():
            for _ in range(WARM_UP):
                call()
        cpus: dict[str, list[float]] = {name: [] for name in calls}
        walls: dict[str, list[float]] = {name: [] for name in calls}
        for _ in range(settings.rounds):
            order = list(calls)
            random.shuffle(order)
            for name in order:
                cpu, times = timed_sync(calls[name], settings.calls)
                cpus[name].append(cpu)
                walls[name].extend(times)
        rows = modbus_rows(cpus, walls, MODBUS_FLOOR)
        rows.update(asyncio.run(modbus_async_rounds(settings, simulator.modbus_host)))
    return rows


async def modbus_async_rounds(settings: Settings, modbus_host: str) -> dict[str, dict[str, float]]:
    """The asyncio pair, in rounds of their own: ``AsyncPeblarModbus.meter()`` and a raw read of
    pymodbus's ``AsyncModbusTcpClient`` into the same model (its floor)."""
    from pymodbus.client import AsyncModbusTcpClient

    from pyPeblar import AsyncPeblarModbus

    address, _, port = modbus_host.partition(":")
    raw: Any = AsyncModbusTcpClient(address, port=int(port), retries=0)
    await raw.connect()

    async def floor() -> object:
        return meter_of((await raw.read_input_registers(30000, count=28, device_id=255)).registers)

    try:
        async with AsyncPeblarModbus(modbus_host) as modbus:
            calls = {MODBUS_ASYNC_FLOOR: floor, MODBUS_ASYNC_CLIENT: modbus.meter}
            if await modbus.meter() != await floor():
                raise RuntimeError("the asyncio floor and client do not read the same meter")
            for call in calls.values():
                for _ in range(WARM_UP):
                    await call()
            cpus: dict[str, list[float]] = {name: [] for name in calls}
            walls: dict[str, list[float]] = {name: [] for name in calls}
            for _ in range(settings.rounds):
                order = list(calls)
                random.shuffle(order)
                for name in order:
                    cpu, times = await timed(calls[name], settings.calls)
                    cpus[name].append(cpu)
                    walls[name].extend(times)
    finally:
        raw.close()
    return modbus_rows(cpus, walls, MODBUS_ASYNC_FLOOR)


def modbus_rows(
    cpus: dict[str, list[float]], walls: dict[str, list[float]], floor: str
) -> dict[str, dict[str, float]]:
    """Each contender's row: CPU per call, its per-round ratio to ``floor``, wall times."""
    return {
        name: {
            "cpu_us": min(cpus[name]) * 1e6,
            "cpu_paired": statistics.median(
                mine / base for mine, base in zip(cpus[name], cpus[floor], strict=True)
            ),
            "wall_median_us": statistics.median(walls[name]) * 1e6,
            "wall_p95_us": p95(walls[name]) * 1e6,
        }
        for name in cpus
    }


def modbus_cold_start(settings: Settings) -> dict[str, float]:
    """``pypeblar --json meter`` over each API, as fresh processes (median of the runs, ms)."""
    with SimulatorProcess("--modbus-port", "0") as simulator:
        modbus_port = simulator.modbus_host.rpartition(":")[2]
        rest = [str(SCRIPT), "--json", "--host", simulator.host, "--token", simulator.token]
        modbus = [*rest, "--modbus", "--modbus-port", modbus_port]
        commands = {
            "pypeblar --json meter": [*rest, "meter"],
            "pypeblar --modbus --json meter": [*modbus, "meter"],
        }
        return fresh_processes(commands, settings.cold_runs, statistics.median)


def print_modbus(
    settings: Settings, rows: dict[str, dict[str, float]], starts: dict[str, float]
) -> None:
    print(
        f"\n12. Modbus, meter(): sequential calls ({settings.rounds} rounds x {settings.calls} "
        "calls, one connection each; CPU is the whole process's)"
    )
    print(f"   {'':<40} {'CPU/call':>10} {'wall median':>12} {'wall p95':>10}")
    for name, row in rows.items():
        print(
            f"   {name:<40} {row['cpu_us']:7.0f} us {row['wall_median_us']:9.0f} us "
            f"{row['wall_p95_us']:7.0f} us"
        )
    for name, floor_name in (
        (MODBUS_CLIENT, MODBUS_FLOOR),
        (MODBUS_HTTP, MODBUS_FLOOR),
        (MODBUS_ASYNC_CLIENT, MODBUS_ASYNC_FLOOR),
    ):
        row, floor = rows[name], rows[floor_name]
        print(
            f"   {name} / {'asyncio floor' if floor_name == MODBUS_ASYNC_FLOOR else 'floor'}: "
            f"CPU {row['cpu_us'] / floor['cpu_us']:.2f}x "
            f"(per-round median {row['cpu_paired']:.2f}x), "
            f"wall {row['wall_median_us'] / floor['wall_median_us']:.2f}x"
        )
    http, modbus = rows[MODBUS_HTTP], rows[MODBUS_CLIENT]
    print(f"   {MODBUS_CLIENT} / {MODBUS_HTTP}: CPU {modbus['cpu_us'] / http['cpu_us']:.2f}x")
    print(f"   cold start, whole processes (median of {settings.cold_runs}):")
    for name, millis in starts.items():
        print(f"     {name:<38} {millis:6.0f} ms")


# -- the report ----------------------------------------------------------------------------


def machine() -> str:
    import pydantic
    import urllib3

    return (
        f"Python {platform.python_version()} on {platform.system()} {platform.machine()}, "
        f"{os.cpu_count()} CPUs; pydantic {pydantic.VERSION}, urllib3 {urllib3.__version__}"  # type: ignore[attr-defined]
    )


def report(args: argparse.Namespace) -> None:
    settings = QUICK if args.quick else FULL
    print(f"pyPeblar benchmark{' (quick mode: figures are rough)' if args.quick else ''}")
    print(machine())
    print(
        "Simulator in its own process on loopback, rate limit off; medians of interleaved rounds.\n"
    )
    with SimulatorProcess() as simulator:
        host, token = simulator.host, simulator.token
        calls = per_call(settings, host, token)
        print(
            f"1. Per call, sequential on one keep-alive connection ({settings.rounds} rounds x "
            f"{settings.calls} calls)"
        )
        for path, rows in calls.items():
            print(f"   GET {path:<14} {'CPU/call':>10} {'wall median':>12} {'wall p95':>10}")
            for name, row in rows.items():
                print(
                    f"   {name:<33} {row['cpu_us']:7.0f} us {row['wall_median_us']:9.0f} us "
                    f"{row['wall_p95_us']:7.0f} us"
                )
            floor = rows[FLOOR]
            for name in ("Peblar client", "generated API class"):
                row = rows[name]
                print(
                    f"   {name} / floor: CPU {row['cpu_us'] / floor['cpu_us']:.2f}x "
                    f"(per-round median {row['cpu_paired']:.2f}x), "
                    f"wall {row['wall_median_us'] / floor['wall_median_us']:.2f}x"
                )
        print("\n2. Decoding one payload (us per decode)")
        for model, ways in decoding(settings, host, token).items():
            print(f"   {model}")
            for way, micros in ways.items():
                print(f"     {way:<50} {micros:6.1f} us")
        print(f"\n3. Cold start, whole processes (median of {settings.cold_runs})")
        starts = cold_start(settings, host, token)
        floor_ms = next(iter(starts.values()))
        for name, millis in starts.items():
            print(f"   {name:<48} {millis:6.0f} ms  {millis / floor_ms:4.2f}x")
        print(f"\n5. Threads sharing one client ({settings.thread_seconds:g} s each)")
        for count, row in threads(settings, host, token).items():
            plural = "s" if count > 1 else " "
            print(
                f"   {count:>2} thread{plural}  {row['calls_per_s']:7.0f} calls/s  "
                f"{row['cpu_us_per_call']:5.0f} us CPU per call"
            )
        async_rows, async_skipped = asyncio_per_call(settings, host, token, args.others)
        web_rows, web_skipped = web_per_call(settings, host, args.others)
    starts_async = async_import(settings)
    starts_web = web_import(settings)
    usage = connections_and_memory(settings)
    print("\n4. Connections and memory")
    print(
        f"   connections the simulator saw for {usage['calls']:.0f} sequential calls: "
        f"{usage['connections']:.0f}"
    )
    growth = usage["rss_growth_mib"]
    print(f"   resident memory growth over {usage['memory_calls']:.0f} calls: {growth:.2f} MiB")
    print_synchronous_against_others(async_rows, async_skipped)
    print_asyncio(settings, async_rows, async_skipped)
    print_async_import(settings, starts_async)
    print_web(settings, web_rows, web_skipped)
    print_web_import(settings, starts_web)
    event_settings = live_events.QUICK if args.quick else live_events.FULL
    live_events.print_events(event_settings, *live_events.section(event_settings, args.others))
    print_modbus(settings, modbus_per_call(settings), modbus_cold_start(settings))


def main() -> int:
    parser = argparse.ArgumentParser(description="pyPeblar's benchmark (see docs/performance.md)")
    parser.add_argument("--quick", action="store_true", help="few iterations (CI)")
    parser.add_argument(
        "--others",
        metavar="PYTHON",
        default=os.environ.get("PYPEBLAR_BENCH_OTHERS"),
        help="an interpreter with the `peblar` and `pypeblar` packages installed",
    )
    report(parser.parse_args())
    return 0


if __name__ == "__main__":
    sys.exit(main())
