"""pyPeblar's benchmark: every figure and ratio measured side by side in one run.

    python bench/run.py            # the full run (several minutes), with the cross-check
    python bench/run.py --quick    # a few iterations: CI checks that it runs and prints everything
    python bench/run.py --others PYTHON   # also pyPeblar 0.3.2, installed for PYTHON
    python bench/run.py --default-malloc  # per call with glibc's own malloc thresholds (_rounds)
    python bench/crosscheck.py     # the independent cross-check alone
    python bench/events.py [--quick]        # section 11 alone (live events)
    python bench/engines.py --httpx PYTHON  # aiohttp against httpx (not run in CI)

The simulator runs in its own process on loopback with its rate limit off, so what is measured is
the client. Every contender is measured the same way (``_rounds``): in a process of its own,
started afresh for every block of rounds, with its engine imported first, in interleaved,
shuffled rounds; a ratio is the median of same-round ratios, with its spread. Never compare
absolute figures across runs or machines; compare the ratios within one run.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import events as live_events
from _contenders import WEB_PASSWORD, WEB_PATH
from _process import rss_bytes
from _rounds import Contender, Ratio, Rounds, child_environment, per_call, ratio_of
from _rounds import whole_processes as run_whole_processes
from _simulator_process import SimulatorProcess

HERE = Path(__file__).resolve().parent
SCRIPT = Path(sys.executable).with_name("pypeblar")

#: The issue's targets: reported beside the figures, never asserted (a shared machine is noisy).
SYNC_FLOOR_TARGET = 1.10  # Peblar.meter() CPU per call / its urllib3 floor's
SYNC_PEBLAR_TARGET = 1.0  # Peblar.meter() / the peblar package's PeblarApi.meter()
ASYNC_FLOOR_TARGET = 1.15  # AsyncPeblar.meter() / its aiohttp floor's
ASYNC_PEBLAR_TARGET = 0.95  # AsyncPeblar.meter() / the peblar package's
FIRST_CALL_TARGET = 1.5  # a completed first meter() from a cold start / import urllib3, pydantic
ASYNC_IMPORT_TARGET = 1.2  # importing the async client / importing aiohttp and pydantic

SPREAD = (
    "a ratio is the median of same-round ratios [the middle half of the rounds; "
    "the lowest and highest block's median]"
)


@dataclass
class Settings:
    blocks: int  # per call: fresh processes for each block of rounds
    rounds: int  # per call: rounds per block
    calls: int  # per call: calls per round
    decode_loops: int
    cold_runs: int
    memory_calls: int
    thread_seconds: float
    connection_calls: int
    cross_rounds: int  # crosscheck.py's rounds (0: not run)


FULL = Settings(
    blocks=20,
    rounds=1,
    calls=1000,
    decode_loops=20000,
    cold_runs=15,
    memory_calls=20000,
    thread_seconds=3.0,
    connection_calls=1000,
    cross_rounds=20,
)
QUICK = Settings(
    blocks=1,
    rounds=2,
    calls=20,
    decode_loops=200,
    cold_runs=2,
    memory_calls=500,
    thread_seconds=0.3,
    connection_calls=1000,
    cross_rounds=0,
)


def verdict(ratio: float, target: float | None) -> str:
    if target is None:
        return "no target"
    return f"target <= {target:.2f}x: {'met' if ratio <= target else 'NOT met'}"


# -- 1, 6, 7. per call: the local REST API --------------------------------------------------

SYNC_ROWS = {
    "/meter": ("meter-urllib3", "meter-generated", "meter-client"),
    "/evinterface": ("evinterface-urllib3", "evinterface-generated", "evinterface-client"),
}
#: Not a target's floor, for the reading: the floor with the timeouts any pyPeblar client keeps.
TIMEOUTS_FLOOR = "meter-urllib3-timeouts"
ASYNC_ROWS = ("meter-aiohttp", "meter-generated-asyncio", "meter-async-client")


def has(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def others_python(python: str | None) -> tuple[str | None, str]:
    """The ``--others`` interpreter if it is usable, or None and why not."""
    if not python:
        return None, "no --others interpreter (see docs/performance.md)"
    if not shutil.which(python) and not Path(python).exists():
        return None, f"{python} not found"
    return python, ""


def peer_contenders(
    key: str, distribution: str, python: str | None, why_not: str
) -> tuple[list[Contender], str]:
    """Another package's contender: in this interpreter if installed here (the `peblar` package
    is a development requirement), else in the ``--others`` one; or none, and why."""
    if has(distribution):
        return [Contender(key, "aiohttp", sys.executable)], ""
    if python is not None:
        return [Contender(key, "aiohttp", python)], ""
    return [], why_not


def rest_contenders(python: str | None) -> tuple[list[Contender], dict[str, str]]:
    """Every contender of sections 1, 6 and 7 (one set of rounds), and which were left out."""
    here = sys.executable
    contenders = [Contender(key, "urllib3", here) for keys in SYNC_ROWS.values() for key in keys]
    contenders.append(Contender(TIMEOUTS_FLOOR, "urllib3", here))
    contenders += [Contender(key, "aiohttp", here) for key in ASYNC_ROWS]
    others, why_not = others_python(python)
    skipped = {}
    peblar, skipped["peblar"] = peer_contenders("meter-peblar", "peblar", others, why_not)
    contenders += peblar
    if others is not None:
        contenders.append(Contender("meter-pypeblar", "aiohttp", others))
    return contenders, {name: why for name, why in skipped.items() if why}


def print_rows(rounds: Rounds, keys: tuple[str, ...] | list[str], width: int) -> None:
    print(f"   {'':<{width}} {'CPU/call':>10} {'wall median':>12} {'wall p95':>10}")
    for key in keys:
        if key in rounds.cpus:
            print(
                f"   {rounds.labels[key]:<{width}} {rounds.cpu_us(key):7.0f} us "
                f"{rounds.wall_us(key):9.0f} us {rounds.wall_us(key, 0.95):7.0f} us"
            )


def print_ratio(
    rounds: Rounds, key: str, base: str, target: float | None, base_name: str | None = None
) -> Ratio | None:
    """``key``'s CPU against ``base``'s, with the spread and the verdict; None if one is absent."""
    if key not in rounds.cpus or base not in rounds.cpus:
        return None
    ratio = rounds.ratio(key, base)
    wall = rounds.wall_us(key) / rounds.wall_us(base)
    name = base_name or rounds.labels[base].partition(" (")[0]
    print(
        f"   {rounds.labels[key]} / {name}: CPU {ratio} ({verdict(ratio.median, target)}), "
        f"wall {wall:.2f}x"
    )
    return ratio


def amount(settings: Settings) -> str:
    blocks = f"{settings.blocks} block{'s' if settings.blocks > 1 else ''}"
    return f"{blocks} of fresh processes x {settings.rounds} rounds x {settings.calls} calls"


def print_per_call(settings: Settings, rounds: Rounds) -> None:
    print(
        "1. Per call, sequential on one keep-alive connection, each contender in a process of "
        f"its own\n   ({amount(settings)}; CPU is the process's, the median of the rounds;"
        f"\n   {SPREAD})"
    )
    for path, keys in SYNC_ROWS.items():
        meter = path == "/meter"
        print(f"   GET {path}")
        print_rows(rounds, [*keys, TIMEOUTS_FLOOR] if meter else keys, 36)
        floor, generated, client = keys
        print_ratio(rounds, client, floor, SYNC_FLOOR_TARGET if meter else None, "floor")
        print_ratio(rounds, generated, floor, None, "floor")
        if meter:
            print_ratio(rounds, TIMEOUTS_FLOOR, floor, None, "floor")
            print_ratio(rounds, client, TIMEOUTS_FLOOR, None, "the floor with timeouts")


def print_peer_missing(skipped: dict[str, str]) -> None:
    print(f"   the peblar package: skipped: {skipped.get('peblar', 'not installed')}")


def print_synchronous_against_peblar(rounds: Rounds, skipped: dict[str, str]) -> None:
    """Section 6: the synchronous client against the ``peblar`` package, in section 1's rounds."""
    print(
        "\n6. The synchronous client against the peblar package, GET /meter "
        "(section 1's rounds; each in its own process)"
    )
    if "meter-peblar" not in rounds.cpus:
        print_peer_missing(skipped)
        return
    print_ratio(rounds, "meter-urllib3", "meter-peblar", None)
    print_ratio(rounds, "meter-client", "meter-peblar", SYNC_PEBLAR_TARGET)


def print_asyncio(rounds: Rounds, skipped: dict[str, str]) -> None:
    print(
        "\n7. Asyncio, GET /meter: sequential awaited calls, one event loop per process "
        "(section 1's rounds; aiohttp imported first in each)"
    )
    keys = [*ASYNC_ROWS, "meter-peblar", "meter-pypeblar"]
    print_rows(rounds, keys, 36)
    floor, generated, client = ASYNC_ROWS
    print_ratio(rounds, client, floor, ASYNC_FLOOR_TARGET, "floor")
    print_ratio(rounds, generated, floor, None, "floor")
    if "meter-peblar" not in rounds.cpus:
        print_peer_missing(skipped)
        return
    print_ratio(rounds, client, "meter-peblar", ASYNC_PEBLAR_TARGET)
    print_ratio(rounds, generated, "meter-peblar", None)
    print_ratio(rounds, floor, "meter-peblar", None)


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
        loops = settings.decode_loops // 3 or 1
        for _ in range(max(3, settings.rounds)):
            for way, function in ways.items():
                started = time.perf_counter()
                for _ in range(loops):
                    function()
                timings[way].append((time.perf_counter() - started) / loops)
        results[name] = {way: statistics.median(values) * 1e6 for way, values in timings.items()}
    return results


def print_decoding(results: dict[str, dict[str, float]]) -> None:
    print("\n2. Decoding one payload (us per decode)")
    for model, ways in results.items():
        print(f"   {model}")
        for way, micros in ways.items():
            print(f"     {way:<50} {micros:6.1f} us")


# -- 3, 8, 10. whole processes ---------------------------------------------------------------


def python_c(code: str, *arguments: str) -> list[str]:
    return [sys.executable, "-c", code, *arguments]


def print_whole_processes(
    title: str, times: dict[str, list[float]], targets: dict[str, float]
) -> None:
    """Each command's CPU (median of the rounds) and its ratio to the first one, the floor."""
    print(title)
    floor_name = next(iter(times))
    for name, values in times.items():
        ratio = ratio_of(values, times[floor_name])
        line = f"   {name:<82} {statistics.median(values) * 1e3:6.0f} ms  {ratio}"
        if name in targets:
            line += f" ({verdict(ratio.median, targets[name])})"
        print(line)


FIRST_METER = "first Peblar.meter() from a cold start"
FIRST_METER_CODE = (
    "import sys\nfrom pyPeblar import Peblar\nPeblar(sys.argv[1], sys.argv[2]).meter()"
)
#: The least any first call pays on this engine and model: urllib3, the meter's model, one GET.
FIRST_CALL_FLOOR_CODE = """import sys, urllib3
from pyPeblar.models.meter_response import MeterResponse
address, port = sys.argv[1].rsplit(":", 1)
pool = urllib3.HTTPConnectionPool(address, int(port))
headers = {"Authorization": sys.argv[2]}
MeterResponse.model_validate_json(pool.request("GET", "/api/wlac/v1/meter", headers=headers).data)
"""
FIRST_METER_MODULES = """import json, sys
from pyPeblar import Peblar
Peblar(sys.argv[1], sys.argv[2]).meter()
generated = ("pyPeblar.api.", "pyPeblar.models.")
print(json.dumps(sorted(m for m in sys.modules if m.startswith(generated))))
"""


def cold_start(settings: Settings, host: str, token: str) -> dict[str, list[float]]:
    commands = {
        "python -c 'import pydantic, urllib3' (floor)": python_c("import pydantic, urllib3"),
        "python -c 'import pyPeblar'": python_c("import pyPeblar"),
        "python -c 'from pyPeblar import Peblar'": python_c("from pyPeblar import Peblar"),
        "pypeblar --help": [str(SCRIPT), "--help"],
        "pypeblar --json meter": [str(SCRIPT), "--json", "--host", host, "--token", token, "meter"],
        FIRST_METER: python_c(FIRST_METER_CODE, host, token),
        # Not targets, for the reading: what a first call cannot go below on these dependencies.
        "python -c 'import urllib3; from pydantic import BaseModel'": python_c(
            "import urllib3; from pydantic import BaseModel"
        ),
        "urllib3 GET + MeterResponse.model_validate_json, cold": python_c(
            FIRST_CALL_FLOOR_CODE, host, token
        ),
    }
    return run_whole_processes(commands, settings.cold_runs)


def first_meter_modules(host: str, token: str) -> list[str]:
    """The generated API modules and models a first ``Peblar.meter()`` imports."""
    result = subprocess.run(
        python_c(FIRST_METER_MODULES, host, token),
        capture_output=True,
        text=True,
        check=True,
        env=child_environment(),
        cwd=tempfile.gettempdir(),  # as whole_processes: what is installed, not this checkout
    )
    modules: list[str] = json.loads(result.stdout)
    return modules


def print_cold_start(
    settings: Settings, starts: dict[str, list[float]], modules: list[str]
) -> None:
    print_whole_processes(
        f"\n3. Cold start, whole processes (CPU time, median of {settings.cold_runs} rounds)",
        starts,
        {FIRST_METER: FIRST_CALL_TARGET},
    )
    alone = modules == ["pyPeblar.api.meter_api", "pyPeblar.models.meter_response"]
    print(
        f"   generated modules the first meter() loads: {', '.join(modules)} "
        f"(target: the meter's alone: {'met' if alone else 'NOT met'})"
    )


ASYNC_IMPORT_FLOOR = "python -c 'import aiohttp, pydantic' (floor)"
ASYNC_IMPORT = "python -c 'from pyPeblar import AsyncPeblar; import pyPeblar.aio.api_client, ...'"
#: One pydantic model with one constrained field, defined: what any client with models pays.
ONE_MODEL_CODE = (
    "import aiohttp\n"
    "from pydantic import BaseModel, Field\n"
    "class M(BaseModel):\n"
    "    a: int = Field(gt=0)\n"
)


def async_import(settings: Settings) -> dict[str, list[float]]:
    """Fresh interpreters: the async client ready to call against aiohttp and pydantic alone."""
    return run_whole_processes(
        {
            ASYNC_IMPORT_FLOOR: python_c("import aiohttp, pydantic"),
            # Not targets, for the reading: `import pydantic` defers BaseModel; a client needs it,
            # and the least any client with a pydantic model pays (its fields, the first build).
            "python -c 'import aiohttp; from pydantic import BaseModel'": python_c(
                "import aiohttp; from pydantic import BaseModel"
            ),
            "python -c 'import aiohttp; ...; class M(BaseModel): a: int = Field(gt=0)'": python_c(
                ONE_MODEL_CODE
            ),
            ASYNC_IMPORT: python_c(
                "from pyPeblar import AsyncPeblar; "
                "import pyPeblar.aio.api_client, pyPeblar.aio.api.meter_api"
            ),
        },
        settings.cold_runs,
    )


WEB_IMPORT = "python -c 'from pyPeblar import PeblarWeb; import pyPeblar.webui.api_client, ...'"


def web_import(settings: Settings) -> dict[str, list[float]]:
    """Fresh interpreters: the web client, and the imports of its first call."""
    return run_whole_processes(
        {
            "python -c 'import pydantic, urllib3' (floor)": python_c("import pydantic, urllib3"),
            "python -c 'import urllib3; from pydantic import BaseModel'": python_c(
                "import urllib3; from pydantic import BaseModel"
            ),
            "python -c 'from pyPeblar import PeblarWeb'": python_c(
                "from pyPeblar import PeblarWeb"
            ),
            WEB_IMPORT: python_c(
                "from pyPeblar import PeblarWeb; "
                "import pyPeblar.webui.api_client, pyPeblar.webui.api.settings_api"
            ),
        },
        settings.cold_runs,
    )


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
        # Both calls the loop makes, before it: each imports its API module on first use.
        for _ in range(200):
            client.meter()
            client.ev_interface()
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


def print_connections_and_memory(usage: dict[str, float]) -> None:
    print("\n4. Connections and memory")
    print(
        f"   connections the simulator saw for {usage['calls']:.0f} sequential calls: "
        f"{usage['connections']:.0f}"
    )
    growth = usage["rss_growth_mib"]
    print(f"   resident memory growth over {usage['memory_calls']:.0f} calls: {growth:.2f} MiB")


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


def print_threads(settings: Settings, results: dict[int, dict[str, float]]) -> None:
    print(f"\n5. Threads sharing one client ({settings.thread_seconds:g} s each)")
    for count, row in results.items():
        plural = "s" if count > 1 else " "
        print(
            f"   {count:>2} thread{plural}  {row['calls_per_s']:7.0f} calls/s  "
            f"{row['cpu_us_per_call']:5.0f} us CPU per call"
        )


# -- 9. web interface: per call -------------------------------------------------------------

WEB_ROWS = ("web-urllib3", "web-client", "web-aiohttp", "web-async-client")


def web_contenders(python: str | None) -> tuple[list[Contender], dict[str, str]]:
    here = sys.executable
    engines = ("urllib3", "urllib3", "aiohttp", "aiohttp")
    contenders = [
        Contender(key, engine, here) for key, engine in zip(WEB_ROWS, engines, strict=True)
    ]
    others, why_not = others_python(python)
    peblar, why = peer_contenders("web-peblar", "peblar", others, why_not)
    return contenders + peblar, {"peblar": why} if why else {}


def print_web(settings: Settings, rounds: Rounds, skipped: dict[str, str]) -> None:
    print(
        f"\n9. Web interface, GET {WEB_PATH}: sequential calls, logged in once beforehand,"
        f"\n   each contender in a process of its own ({amount(settings)}; as section 1)"
    )
    print_rows(rounds, [*WEB_ROWS, "web-peblar"], 44)
    print_ratio(rounds, "web-client", "web-urllib3", None, "floor")
    print_ratio(rounds, "web-async-client", "web-aiohttp", None, "floor")
    if "web-peblar" not in rounds.cpus:
        print_peer_missing(skipped)
        return
    print_ratio(rounds, "web-client", "web-peblar", None)
    print_ratio(rounds, "web-async-client", "web-peblar", None)


# -- 12. Modbus ---------------------------------------------------------------------------------

MODBUS_ROWS = (
    "modbus-pymodbus",
    "modbus-client",
    "modbus-http",
    "modbus-pymodbus-asyncio",
    "modbus-async-client",
)


def modbus_per_call(
    settings: Settings, fixed_malloc: bool
) -> tuple[Rounds, dict[str, list[float]]]:
    """``meter()``: a raw pymodbus read decoded into the same model (the floor),
    ``PeblarModbus.meter()`` and ``Peblar.meter()`` over HTTP, and the asyncio pair (a raw read
    of pymodbus's ``AsyncModbusTcpClient``, ``AsyncPeblarModbus.meter()``), measured as section 1
    measures (pymodbus imported first in the Modbus ones' processes), against a simulator with a
    Modbus server; and ``pypeblar --json meter`` over each API as whole processes."""
    here = sys.executable
    with SimulatorProcess("--modbus-port", "0") as simulator:
        modbus = simulator.modbus_host
        contenders = [
            Contender("modbus-pymodbus", "pymodbus", here, host=modbus),
            Contender("modbus-client", "pymodbus", here, host=modbus),
            Contender("modbus-http", "urllib3", here),
            Contender("modbus-pymodbus-asyncio", "pymodbus", here, host=modbus),
            Contender("modbus-async-client", "pymodbus", here, host=modbus),
        ]
        rounds = per_call(
            contenders,
            simulator.host,
            simulator.token,
            blocks=settings.blocks,
            rounds=settings.rounds,
            calls=settings.calls,
            fixed_malloc=fixed_malloc,
        )
        rest = [str(SCRIPT), "--json", "--host", simulator.host, "--token", simulator.token]
        port = modbus.rpartition(":")[2]
        starts = run_whole_processes(
            {
                "pypeblar --json meter": [*rest, "meter"],
                "pypeblar --modbus --json meter": [
                    *rest,
                    "--modbus",
                    "--modbus-port",
                    port,
                    "meter",
                ],
            },
            settings.cold_runs,
        )
    return rounds, starts


def print_modbus(settings: Settings, rounds: Rounds, starts: dict[str, list[float]]) -> None:
    print(
        f"\n12. Modbus, meter(): sequential calls, each contender in a process of its own\n"
        f"   ({amount(settings)}; as section 1)"
    )
    print_rows(rounds, MODBUS_ROWS, 40)
    floor, client, http, async_floor, async_client = MODBUS_ROWS
    print_ratio(rounds, client, floor, None, "floor")
    print_ratio(rounds, http, floor, None, "floor")
    print_ratio(rounds, client, http, None)
    print_ratio(rounds, async_client, async_floor, None, "asyncio floor")
    print_whole_processes(
        f"   cold start, whole processes (CPU time, median of {settings.cold_runs} rounds):",
        starts,
        {},
    )


# -- the cross-check -------------------------------------------------------------------------

#: The ratios both bench/run.py and bench/crosscheck.py measure: (name, contender, its base).
CROSS_CHECKED = {
    "Peblar.meter() / urllib3 floor": ("meter-client", "meter-urllib3"),
    "Peblar.meter() / peblar": ("meter-client", "meter-peblar"),
    "AsyncPeblar.meter() / aiohttp floor": ("meter-async-client", "meter-aiohttp"),
    "AsyncPeblar.meter() / peblar": ("meter-async-client", "meter-peblar"),
}
AGREEMENT = 0.05


def cross_check(settings: Settings, *, default_malloc: bool) -> dict[str, float] | str:
    """``crosscheck.py``'s ratios (its JSON), with the same malloc thresholds, or why none."""
    if not settings.cross_rounds:
        return "not run in quick mode (python bench/crosscheck.py --quick runs it alone)"
    result = subprocess.run(
        [
            sys.executable,
            str(HERE / "crosscheck.py"),
            "--rounds",
            str(settings.cross_rounds),
            "--json",
        ],
        capture_output=True,
        text=True,
        check=False,
        env=child_environment(),
    )
    if result.returncode != 0:
        return f"crosscheck.py failed: {result.stderr.strip().splitlines()[-1:]}"
    ratios: dict[str, float] = json.loads(result.stdout)
    return ratios


def print_cross_check(rounds: Rounds, crossed: dict[str, float] | str) -> None:
    print(
        "\n13. The cross-check: bench/crosscheck.py, written independently with urllib3, aiohttp"
        "\n    and the peblar package only (a fresh process per contender and round)"
    )
    if isinstance(crossed, str):
        print(f"   skipped: {crossed}")
        return
    print(f"   {'':<40} {'run.py':>8} {'crosscheck':>11} {'apart':>7}")
    for name, (key, base) in CROSS_CHECKED.items():
        if name not in crossed or key not in rounds.cpus or base not in rounds.cpus:
            continue
        mine = rounds.ratio(key, base).median
        apart = abs(mine / crossed[name] - 1)
        agree = "agree" if apart <= AGREEMENT else "DISAGREE"
        print(f"   {name:<40} {mine:7.2f}x {crossed[name]:10.2f}x {apart:6.1%}  {agree}")


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
    print("Simulator in its own process on loopback, rate limit off.")
    if args.default_malloc:
        print("Per call with glibc's own malloc thresholds (--default-malloc).")
    else:
        print("Per call with glibc's malloc thresholds fixed in every contender's process.")
    print()
    measure = partial(
        per_call,
        blocks=settings.blocks,
        rounds=settings.rounds,
        calls=settings.calls,
        fixed_malloc=not args.default_malloc,
    )
    with SimulatorProcess() as simulator:
        host, token = simulator.host, simulator.token
        contenders, skipped = rest_contenders(args.others)
        rounds = measure(contenders, host, token)
        print_per_call(settings, rounds)
        print_decoding(decoding(settings, host, token))
        print_cold_start(
            settings, cold_start(settings, host, token), first_meter_modules(host, token)
        )
        thread_rows = threads(settings, host, token)
        contenders, web_skipped = web_contenders(args.others)
        web_rounds = measure(contenders, host, WEB_PASSWORD)
    starts_async = async_import(settings)
    starts_web = web_import(settings)
    print_connections_and_memory(connections_and_memory(settings))
    print_threads(settings, thread_rows)
    print_synchronous_against_peblar(rounds, skipped)
    print_asyncio(rounds, skipped)
    print_whole_processes(
        f"\n8. Importing the async client, whole processes (CPU time, median of "
        f"{settings.cold_runs} rounds)",
        starts_async,
        {ASYNC_IMPORT: ASYNC_IMPORT_TARGET},
    )
    print_web(settings, web_rounds, web_skipped)
    print_whole_processes(
        f"\n10. Importing the web client, whole processes (CPU time, median of "
        f"{settings.cold_runs} rounds)",
        starts_web,
        {},
    )
    event_settings = live_events.QUICK if args.quick else live_events.FULL
    live_events.print_events(event_settings, *live_events.section(event_settings, args.others))
    print_modbus(settings, *modbus_per_call(settings, not args.default_malloc))
    print_cross_check(rounds, cross_check(settings, default_malloc=args.default_malloc))


def main() -> int:
    parser = argparse.ArgumentParser(description="pyPeblar's benchmark (see docs/performance.md)")
    parser.add_argument("--quick", action="store_true", help="few iterations (CI)")
    parser.add_argument(
        "--others",
        metavar="PYTHON",
        default=os.environ.get("PYPEBLAR_BENCH_OTHERS"),
        help="an interpreter with the `pypeblar` 0.3.2 package (and `peblar`, if not in this one)",
    )
    parser.add_argument(
        "--default-malloc",
        action="store_true",
        help="per call (sections 1, 6, 7, 9, 12) with glibc's own malloc thresholds",
    )
    report(parser.parse_args())
    return 0


if __name__ == "__main__":
    sys.exit(main())
