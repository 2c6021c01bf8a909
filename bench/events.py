"""Live events in figures: from a change in the simulator to the event in the program.

    python bench/events.py [--quick] [--others PYTHON]   # section 11 of bench/run.py, alone
    python bench/events.py --engines [--quick]          # the synchronous engine choice

Each contender runs in a child process of its own (``--child NAME``), so its memory is its own and
the simulator (bench/_event_simulator.py, a process of its own too) is never measured with it. The
parent plugs the simulator's car in and out; the simulator says when it changed the state
(``time.monotonic()``, one clock for every process on Linux) and the child when its program got
the event, so each toggle gives one latency. Rounds are interleaved: every contender's block of
toggles once per round, in a shuffled order, so drift in the machine's load hits all alike.
Then each contender follows 10,000 events (quick mode: fewer) and says its resident memory after
the first tenth and at the end: a stream that keeps anything per event grows.

The contenders: ``PeblarWeb.events()``, ``AsyncPeblarWeb.events()``, the ``peblar`` package's
``PeblarWebsocket`` (in this interpreter if it has the package, else in ``--others``), and the
floor: aiohttp's websocket and the ``SessionStatus`` model with nothing around them. With
``--engines``: the two ways a synchronous iterator could be built (docs/events.md says which was
chosen and why), each as a bare engine with the same model, and their import times.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from importlib.util import find_spec
from pathlib import Path
from typing import Any, NamedTuple

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _process import rss_bytes  # noqa: E402 - bench/ is on the path only from here on

TOPIC = "/session/status/connector/1"
SUBSCRIBE = json.dumps({"action": "subscribe", "topic": TOPIC})

SYNC_CLIENT = "PeblarWeb.events()"
ASYNC_CLIENT = "AsyncPeblarWeb.events()"
FLOOR = "aiohttp websocket + model (floor)"
PEBLAR = "peblar"  # its label names the version
WEBSOCKETS_SYNC = "websockets.sync + model"
AIOHTTP_THREAD = "aiohttp on a private thread + model"


class Settings(NamedTuple):
    rounds: int
    toggles: int  # per contender and round
    memory_events: int


FULL = Settings(rounds=6, toggles=100, memory_events=10_000)
QUICK = Settings(rounds=1, toggles=10, memory_events=300)


# -- the child: one contender ---------------------------------------------------------------


def say(document: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(document) + "\n")
    sys.stdout.flush()


class Block(NamedTuple):
    """One request of the parent: follow ``events`` events, note the memory after ``mark``."""

    events: int
    mark: int


def requests() -> Iterator[Block]:
    for line in sys.stdin:
        request = json.loads(line)
        yield Block(int(request["events"]), int(request["mark"]))


class Meter:
    """What the child reports about one block: CPU per event, memory at the mark and the end."""

    def __init__(self, block: Block) -> None:
        self.block = block
        self.count = 0
        self.cpu = time.process_time()
        self.rss_mark = 0

    def got(self) -> None:
        """An event reached the program: when, on the shared clock."""
        say({"t": time.monotonic()})
        self.count += 1
        if self.count == self.block.mark:
            self.rss_mark = rss_bytes()

    @property
    def done(self) -> bool:
        return self.count >= self.block.events

    def report(self) -> None:
        cpu = (time.process_time() - self.cpu) / max(1, self.count)
        say({"cpu_s": cpu, "rss_mark": self.rss_mark, "rss_end": rss_bytes()})


def login_cookie(host: str, password: str) -> str:
    """A web session's cookie, logged in with the standard library (for the bare engines)."""
    import http.client

    address, port = host.rsplit(":", 1)
    connection = http.client.HTTPConnection(address, int(port), timeout=10)
    body = json.dumps({"Password": password, "PersistentSession": False})
    connection.request("POST", "/api/v1/auth/login", body, {"Content-Type": "application/json"})
    answer = connection.getresponse()
    answer.read()
    connection.close()
    return str(answer.getheader("Set-Cookie", "")).split(";", 1)[0]


def child_sync_client(host: str, password: str) -> None:
    from pyPeblar import PeblarWeb

    with PeblarWeb(host, password, rate_limit=False) as web:
        web.login()
        say({"label": SYNC_CLIENT})
        for block in requests():
            with web.events() as stream:
                events = iter(stream)
                next(events)  # the current state, sent on subscribing
                say({"opened": True})
                meter = Meter(block)
                while not meter.done:
                    next(events)
                    meter.got()
                meter.report()


async def child_async_client(host: str, password: str) -> None:
    from pyPeblar import AsyncPeblarWeb

    async with AsyncPeblarWeb(host, password, rate_limit=False) as web:
        await web.login()
        say({"label": ASYNC_CLIENT})
        for block in requests():  # the loop is idle while the parent talks: reading may block
            async with web.events() as stream:
                await stream.__anext__()
                say({"opened": True})
                meter = Meter(block)
                async for _ in stream:
                    meter.got()
                    if meter.done:
                        break
                meter.report()


async def child_peblar(host: str, password: str) -> None:
    """The ``peblar`` package: its web client logs in, its ``PeblarWebsocket`` follows."""
    from importlib.metadata import version

    import aiohttp
    from peblar import Peblar
    from yarl import URL

    name, port = host.rsplit(":", 1)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        client = Peblar(host=name, session=session)
        # It has no port option (http://host/api/v1/, ws://host/api/v1/ws): point both at it.
        client.url = URL.build(scheme="http", host=name, port=int(port), path="/api/v1/")
        await client.login(password=password)
        say({"label": f"peblar {version('peblar')} (PeblarWebsocket)"})
        for block in requests():
            websocket = client.websocket()
            websocket.url = URL.build(scheme="ws", host=name, port=int(port), path="/api/v1/ws")
            first = asyncio.Event()
            finished = asyncio.Event()
            meter = Meter(block)

            def on_status(
                status: Any,
                meter: Meter = meter,
                first: asyncio.Event = first,
                finished: asyncio.Event = finished,
            ) -> None:
                if not first.is_set():
                    first.set()  # the current state, sent on subscribing
                    return
                meter.got()
                if meter.done:
                    finished.set()

            async with websocket:
                await websocket.subscribe_session_status(on_status)
                await first.wait()
                say({"opened": True})
                await finished.wait()
                meter.report()


async def child_floor(host: str, password: str) -> None:
    """aiohttp's websocket and the generated model, nothing around them."""
    import aiohttp

    from pyPeblar.webui.models.session_status import SessionStatus

    cookie = login_cookie(host, password)
    async with aiohttp.ClientSession() as session:
        say({"label": FLOOR})
        for block in requests():
            url = f"ws://{host}/api/v1/ws"
            async with session.ws_connect(url, headers={"Cookie": cookie}) as socket:
                await socket.send_str(SUBSCRIBE)
                await socket.receive()  # the acknowledgement
                SessionStatus.model_validate(json.loads((await socket.receive()).data)["data"])
                say({"opened": True})
                meter = Meter(block)
                while not meter.done:
                    message = json.loads((await socket.receive()).data)
                    SessionStatus.model_validate(message["data"])
                    meter.got()
                meter.report()


def child_websockets_sync(host: str, password: str) -> None:
    """A synchronous engine candidate: the ``websockets`` library's threading client."""
    from websockets.sync.client import connect

    from pyPeblar.webui.models.session_status import SessionStatus

    cookie = login_cookie(host, password)
    say({"label": WEBSOCKETS_SYNC})
    for block in requests():
        with connect(
            f"ws://{host}/api/v1/ws",
            additional_headers={"Cookie": cookie},
            compression=None,
            proxy=None,
        ) as socket:
            socket.send(SUBSCRIBE)
            socket.recv(timeout=10)  # the acknowledgement
            SessionStatus.model_validate(json.loads(socket.recv(timeout=10))["data"])
            say({"opened": True})
            meter = Meter(block)
            while not meter.done:
                # In slices, as a stream that must notice a stop request would wait.
                try:
                    text = socket.recv(timeout=0.1)
                except TimeoutError:
                    continue
                SessionStatus.model_validate(json.loads(text)["data"])
                meter.got()
            meter.report()


def child_aiohttp_thread(host: str, password: str) -> None:
    """The other candidate: aiohttp's websocket on an event loop in a private thread, each
    receive handed to it (``run_coroutine_threadsafe``) and waited for by the caller."""
    import aiohttp

    from pyPeblar.webui.models.session_status import SessionStatus

    cookie = login_cookie(host, password)
    loop = asyncio.new_event_loop()
    threading.Thread(target=loop.run_forever, daemon=True).start()

    def call(coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, loop).result()

    async def make_session() -> aiohttp.ClientSession:
        return aiohttp.ClientSession()

    session = call(make_session())
    say({"label": AIOHTTP_THREAD})
    for block in requests():
        socket = call(session.ws_connect(f"ws://{host}/api/v1/ws", headers={"Cookie": cookie}))
        call(socket.send_str(SUBSCRIBE))
        call(socket.receive(timeout=10))
        SessionStatus.model_validate(json.loads(call(socket.receive(timeout=10)).data)["data"])
        say({"opened": True})
        meter = Meter(block)
        while not meter.done:
            future = asyncio.run_coroutine_threadsafe(socket.receive(), loop)
            while True:  # in slices, as a stream that must notice a stop request would wait
                try:
                    message = future.result(timeout=0.1)
                    break
                except TimeoutError:
                    continue
            SessionStatus.model_validate(json.loads(message.data)["data"])
            meter.got()
        call(socket.close())
        meter.report()
    call(session.close())


CHILDREN: dict[str, Callable[[str, str], Any]] = {
    SYNC_CLIENT: child_sync_client,
    ASYNC_CLIENT: child_async_client,
    PEBLAR: child_peblar,
    FLOOR: child_floor,
    WEBSOCKETS_SYNC: child_websockets_sync,
    AIOHTTP_THREAD: child_aiohttp_thread,
}


def run_child(name: str, host: str, password: str) -> None:
    result = CHILDREN[name](host, password)
    if asyncio.iscoroutine(result):
        asyncio.run(result)


# -- the parent ---------------------------------------------------------------------------


class Process:
    """A child process speaking one JSON object a line."""

    def __init__(self, command: list[str]) -> None:
        self._name = " ".join(command[2:4])
        self._process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )

    def send(self, document: dict[str, Any] | str) -> None:
        assert self._process.stdin is not None
        line = document if isinstance(document, str) else json.dumps(document)
        self._process.stdin.write(line + "\n")
        self._process.stdin.flush()

    def read(self) -> dict[str, Any]:
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line:
            raise RuntimeError(f"{self._name} ended (exit {self._process.wait()})")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def close(self) -> None:
        if self._process.stdin is not None:
            self._process.stdin.close()
        try:
            self._process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()


class Contender:
    """A child process following the simulator's events as one client does."""

    def __init__(self, name: str, python: str, host: str, password: str) -> None:
        self.process = Process([python, str(Path(__file__)), "--child", name, host, password])
        self.label = str(self.process.read()["label"])
        self.latencies: list[float] = []
        self.cpus: list[float] = []
        self.memory: dict[str, float] = {}

    def block(self, simulator: Process, events: int, mark: int) -> dict[str, Any]:
        """Follow ``events`` toggles of the simulator's car: their latencies, then the report."""
        self.process.send({"events": events, "mark": mark})
        assert self.process.read().get("opened"), self.label
        for _ in range(events):
            simulator.send("toggle")
            changed = float(simulator.read()["t"])
            received = float(self.process.read()["t"])
            self.latencies.append(received - changed)
        return self.process.read()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def has_peblar(python: str) -> bool:
    if python == sys.executable:
        return find_spec("peblar") is not None
    probe = subprocess.run(
        [python, "-c", "import peblar, aiohttp, yarl"], capture_output=True, check=False
    )
    return probe.returncode == 0


def measure(
    settings: Settings, names: list[str], others: str | None
) -> tuple[dict[str, Contender], str]:
    """Every contender's latencies, CPU per event and memory; why ``peblar`` is missing."""
    skipped = ""
    pythons = dict.fromkeys(names, sys.executable)
    if PEBLAR in names:
        python = next((p for p in (sys.executable, others) if p and has_peblar(p)), None)
        if python is None:
            names = [name for name in names if name != PEBLAR]
            skipped = "the peblar package is not installed here or for --others"
        else:
            pythons[PEBLAR] = python
    simulator = Process([sys.executable, str(HERE / "_event_simulator.py")])
    contenders: dict[str, Contender] = {}
    try:
        hello = simulator.read()
        host, password = str(hello["host"]), str(hello["password"])
        for name in names:
            contenders[name] = Contender(name, pythons[name], host, password)
        for _ in range(settings.rounds):
            order = list(contenders.values())
            random.shuffle(order)
            for contender in order:
                report = contender.block(simulator, settings.toggles, settings.toggles)
                contender.cpus.append(float(report["cpu_s"]))
        for contender in contenders.values():
            mark = settings.memory_events // 10
            report = contender.block(simulator, settings.memory_events, mark)
            contender.memory = {
                "mark_mib": report["rss_mark"] / 2**20,
                "end_mib": report["rss_end"] / 2**20,
            }
    finally:
        for contender in contenders.values():
            contender.process.close()
        simulator.close()
    return {contender.label: contender for contender in contenders.values()}, skipped


def print_events(
    settings: Settings,
    contenders: dict[str, Contender],
    skipped: str,
    title: str = "11. Live events",
) -> None:
    print(
        f"\n{title}: from a change in the simulator to the event in the program\n"
        f"   ({settings.rounds} rounds x {settings.toggles} changes each, interleaved; every "
        "contender in a process of its own; CPU is that process's, the best round's)"
    )
    print(f"   {'':<44} {'median':>9} {'p99':>9} {'CPU/event':>10}")
    for label, contender in contenders.items():
        median = statistics.median(contender.latencies) * 1e6
        p99 = percentile(contender.latencies, 0.99) * 1e6
        cpu = min(contender.cpus) * 1e6
        print(f"   {label:<44} {median:6.0f} us {p99:6.0f} us {cpu:7.0f} us")
    floor = next((c for label, c in contenders.items() if label == FLOOR), None)
    if floor is not None:
        for label, contender in contenders.items():
            if label != FLOOR:
                ratio = statistics.median(contender.latencies) / statistics.median(floor.latencies)
                print(f"   {label} / floor: latency {ratio:.2f}x")
    if skipped:
        print(f"   the peblar package: skipped: {skipped}")
    events = settings.memory_events
    print(f"   resident memory while following {events} events (after {events // 10}, at the end)")
    for label, contender in contenders.items():
        memory = contender.memory
        print(
            f"   {label:<44} {memory['mark_mib']:6.1f} MiB {memory['end_mib']:6.1f} MiB  "
            f"growth {memory['end_mib'] - memory['mark_mib']:+.2f} MiB"
        )


def import_times(runs: int) -> dict[str, float]:
    """Fresh interpreters: each engine imported with pydantic, the best of ``runs`` (CPU ms),
    timed as bench/run.py times every import (compiled bytecode, interleaved, shuffled)."""
    from _rounds import whole_processes

    codes = {
        "python -c 'import pydantic' (floor)": "import pydantic",
        "python -c 'import pydantic; from websockets.sync.client import connect'": (
            "import pydantic; from websockets.sync.client import connect"
        ),
        "python -c 'import pydantic, aiohttp' (+ a loop thread)": (
            "import pydantic, aiohttp, asyncio, threading; l = asyncio.new_event_loop(); "
            "threading.Thread(target=l.run_forever, daemon=True).start()"
        ),
    }
    commands = {name: [sys.executable, "-c", code] for name, code in codes.items()}
    return {name: min(times) * 1e3 for name, times in whole_processes(commands, runs).items()}


def engines(settings: Settings) -> None:
    contenders, _ = measure(settings, [WEBSOCKETS_SYNC, AIOHTTP_THREAD, FLOOR], None)
    title = "The plain iterator's engine, two candidates bare with the same model"
    print_events(settings, contenders, "", title)
    print("\nImporting each engine with pydantic, whole processes (best of the runs)")
    for name, millis in import_times(3 if settings is QUICK else 15).items():
        print(f"   {name:<74} {millis:6.0f} ms")


def section(settings: Settings, others: str | None) -> tuple[dict[str, Contender], str]:
    """Section 11 of bench/run.py: pyPeblar's two streams, the floor and the peblar package."""
    return measure(settings, [FLOOR, SYNC_CLIENT, ASYNC_CLIENT, PEBLAR], others)


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        run_child(sys.argv[2], sys.argv[3], sys.argv[4])
        return 0
    parser = argparse.ArgumentParser(description="Live events in figures (bench/run.py's 11)")
    parser.add_argument("--quick", action="store_true", help="few events (CI)")
    parser.add_argument("--engines", action="store_true", help="the synchronous engine choice")
    parser.add_argument(
        "--others", metavar="PYTHON", default=os.environ.get("PYPEBLAR_BENCH_OTHERS")
    )
    args = parser.parse_args()
    settings = QUICK if args.quick else FULL
    if args.engines:
        engines(settings)
    else:
        print_events(settings, *section(settings, args.others))
    return 0


if __name__ == "__main__":
    sys.exit(main())
