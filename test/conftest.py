"""Shared test helpers: charger-shaped fixtures, the spec, and a simulator with a client.

Every client test talks HTTP to a real simulator on loopback; nothing of pyPeblar is mocked.
"""

from __future__ import annotations

import json
import shutil
import socket
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pyPeblar import ChargerMemory, Peblar
from pyPeblar.simulator import Simulator
from test.cli import cli  # noqa: F401 - the in-process command line, a fixture for every module
from test.clients import (
    CLIENTS,
    MODBUS_CLIENTS,
    WEB_CLIENTS,
    BlockingAsyncPeblar,
    modbus_class,
    run,
    web_client_class,
)

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"

#: Fast retries and short timeouts, so failure paths are exercised for real without slowing tests.
FAST: dict[str, Any] = {"timeout": (1.0, 2.0), "backoff": 0.01}


def wait_until(
    condition: Callable[[], bool],
    seconds: float = 20.0,
    message: str = "the simulator never got there",
) -> None:
    """Wait (polling, never a fixed sleep) for ``condition``, which the simulator's own threads
    or a charger acting after its answer make true; fail with ``message`` after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, message
        time.sleep(0.01)


def wait_until_back(port: int) -> None:
    """Wait (up to 60 s, however busy the machine) until a rebooted simulator accepts connections
    on ``port`` of loopback again."""
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=5).close()
            return
        except ConnectionRefusedError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def fixture_text(name: str) -> str:
    """A captured-style charger response, exactly as a charger formats it."""
    return (FIXTURES / name).read_text(encoding="utf-8")


def fixture_json(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(fixture_text(name))
    return data


#: Variables pyPeblar reads that lead to the user's own files or charger: a test sets what it needs.
USER_VARIABLES = (
    "PYPEBLAR_STATE_DIR",  # the command line's state file (pause memory, relay history)
    "PYPEBLAR_MDNS_INTERFACES",  # where `pypeblar scan` listens
    "PEBLAR_HOST",
    "PEBLAR_MODBUS_PORT",
    "PEBLAR_TOKEN",
    "PEBLAR_PASSWORD",
)


def home_variables(home: Path) -> dict[str, str]:
    """The variables that say where a user's files are, all pointing into ``home``."""
    return {
        "HOME": str(home),
        "USERPROFILE": str(home),  # what os.path.expanduser reads on Windows
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_STATE_HOME": str(home / ".local" / "state"),
    }


def footprint(folder: Path) -> dict[str, int]:
    """Every file and folder under ``folder`` (itself left out), with its modification time."""
    if not folder.exists():
        return {}
    return {str(path): path.lstat().st_mtime_ns for path in folder.rglob("*")}


def escaped_into(home: Path) -> str | None:
    """What ``home`` (a run's own home, where nothing should be written) now holds, said."""
    written = sorted(footprint(home))
    if not written:
        return None
    more = len(written) - 10
    shown = ", ".join(written[:10]) + (f" and {more} more" if more > 0 else "")
    return f"the tests wrote outside their own temporary folders, into {home}: {shown}"


#: Where Hypothesis keeps its example database and caches during the run (``pytest_configure``).
HYPOTHESIS_FOLDER = pytest.StashKey[Path]()


def pytest_configure(config: pytest.Config) -> None:
    """Point Hypothesis's storage at a temporary folder before anything is collected.

    Its default is ``.hypothesis`` in the current folder (the checkout, when the suite runs from
    it), written already while collecting (its plugin caches the constants of the test modules):
    the tests write only inside temporary folders (test/test_isolation.py checks this one).
    """
    from hypothesis.configuration import set_hypothesis_home_dir

    folder = Path(tempfile.mkdtemp(prefix="pypeblar-hypothesis-"))
    config.stash[HYPOTHESIS_FOLDER] = folder
    set_hypothesis_home_dir(folder)


def pytest_unconfigure(config: pytest.Config) -> None:
    """Remove the run's Hypothesis folder."""
    folder = config.stash.get(HYPOTHESIS_FOLDER, None)
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def hypothesis_folder(pytestconfig: pytest.Config) -> Path:
    """The run's Hypothesis folder (``pytest_configure``)."""
    return pytestconfig.stash[HYPOTHESIS_FOLDER]


@pytest.fixture(scope="session", autouse=True)
def session_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The home of the whole run (of each xdist worker): the tests' own, never the user's.

    What runs outside a test (session and module fixtures, and everything a test's own home does
    not catch) sees this home, not the user's: HOME and the XDG folders point into it, and the
    variables naming the user's state folder or charger are removed. Every test then gets an
    empty home of its own (``isolated_home``), so nothing should ever be written here. At the end
    of the run it must still be empty: a test that wrote outside its temporary folders fails the
    run, whatever the rest of the machine (a user running ``pypeblar`` meanwhile) does to the
    user's own home, which the tests never look at.
    """
    home = tmp_path_factory.mktemp("session-home")
    with pytest.MonkeyPatch.context() as patch:
        for name, value in home_variables(home).items():
            patch.setenv(name, value)
        for name in USER_VARIABLES:
            patch.delenv(name, raising=False)
        yield home
    escaped = escaped_into(home)
    if escaped:
        raise AssertionError(escaped)


@pytest.fixture(autouse=True)
def isolated_home(
    session_home: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Every test gets an empty home of its own, and so does every process it starts.

    HOME and the XDG folders point into a fresh temporary folder (outside ``tmp_path``, so a test's
    own folder holds only what it made), and the variables that name the user's state folder or
    charger are removed. Set on ``os.environ``, so subprocesses inherit them: ``~/.local/state``
    of the user running the tests is never read or written, nor is the run's ``session_home``
    (test/test_isolation.py proves it).
    """
    home = tmp_path_factory.mktemp("home")
    for name, value in home_variables(home).items():
        monkeypatch.setenv(name, value)
    for name in USER_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return home


@pytest.fixture(autouse=True)
def fresh_process_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test starts with empty in-process relay history and pause memory, as a script run in
    its own process does.

    The relay history is kept per charger host, and every simulator is a charger on 127.0.0.1:
    without this, pauses made by one test (a docs example, say) would count against the next
    test's charger in the same worker process.
    """
    import pyPeblar._shared.memory

    monkeypatch.setattr(pyPeblar._shared.memory, "_PROCESS_MEMORY", ChargerMemory())


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    """Where a command-line test keeps the state file (pause memory, relay history)."""
    return tmp_path / "state"


@pytest.fixture(scope="session")
def spec() -> dict[str, Any]:
    """The checked-in OpenAPI spec."""
    import yaml

    data: dict[str, Any] = yaml.safe_load((ROOT / "openapi" / "peblar.yaml").read_text())
    return data


def schema_errors(spec: dict[str, Any], name: str, instance: object) -> list[str]:
    """What is wrong with ``instance`` as a ``name`` of the spec (strict: what the spec says)."""
    from openapi_schema_validator import OAS30Validator

    validator = OAS30Validator(
        {"$ref": f"#/components/schemas/{name}", "components": spec["components"]}
    )
    return sorted(error.message for error in validator.iter_errors(instance))


def client_for(simulator: Simulator, **options: Any) -> Peblar:
    """A client of ``simulator`` with fast test settings and its own relay memory."""
    settings: dict[str, Any] = {**FAST, "memory": ChargerMemory(), **options}
    return Peblar(simulator.host, simulator.token, **settings)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrise ``each_client`` with both clients, except for a test that runs once per road.

    A test taking ``road_name`` already runs with ``Peblar`` and ``AsyncPeblar`` (they are two of
    the roads); running it once more per client would only repeat it.
    """
    if "each_client" in metafunc.fixturenames and "road_name" not in metafunc.fixturenames:
        metafunc.parametrize("each_client", CLIENTS, indirect=True)


@pytest.fixture
def each_client(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Runs a test once per client: ``Peblar``, then ``AsyncPeblar``.

    For the second run, the name ``Peblar`` in the test's module and in this one (``client_for``,
    the ``charger`` fixture) means ``BlockingAsyncPeblar``: the real ``AsyncPeblar`` with its
    coroutines awaited on a background event loop (test/clients.py). One test body, both clients.
    Use it with ``pytestmark = pytest.mark.usefixtures("each_client")``; a test that takes
    ``road_name`` runs once per road instead (``pytest_generate_tests``).
    """
    name: str = getattr(request, "param", "Peblar")
    if name == "AsyncPeblar":
        monkeypatch.setattr(sys.modules[__name__], "Peblar", BlockingAsyncPeblar)
        if getattr(request.module, "Peblar", None) is not None:
            monkeypatch.setattr(request.module, "Peblar", BlockingAsyncPeblar)
    return name


@pytest.fixture(params=WEB_CLIENTS)
def web_class(request: pytest.FixtureRequest) -> Any:
    """The web client class under test: each test taking it runs with ``PeblarWeb`` and with
    ``AsyncPeblarWeb`` awaited on a background loop (test/clients.py)."""
    return web_client_class(request.param)


@pytest.fixture
def web(web_class: Any, sim: Simulator, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A web client (``web_class``) of ``sim``, logged in with the module's ``PASSWORD`` (the
    password its ``sim`` fixture gives the simulator) or the simulator's default one."""
    password = getattr(request.module, "PASSWORD", "peblar")
    with web_class(sim.host, password, **FAST) as client:
        yield client


@pytest.fixture
def closed_port() -> int:
    """A port on loopback that nobody listens on (bound and let go: not given out again at once)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A port on loopback that is in use (listening, never accepting)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        yield listener.getsockname()[1]


@pytest.fixture
def sim() -> Iterator[Simulator]:
    """The default simulator: three-phase socket charger, ReadWrite, rate limit on."""
    with Simulator(phase_switch_delay=0.2) as simulator:
        yield simulator


@pytest.fixture
def charger(sim: Simulator) -> Iterator[Peblar]:
    """A client of ``sim``."""
    with client_for(sim) as client:
        yield client


# -- the two roads to a charger ---------------------------------------------------------------

#: ``Peblar`` and ``AsyncPeblar``, and the plain openapi-generator usage (a generated API class on
#: ``ApiClient(Configuration(host=..., api_key=...))``), synchronous and asyncio: the promises
#: hold on every one.
ROADS = ["Peblar", "AsyncPeblar", "generated", "generated-asyncio"]


class Road:
    """One way of calling a charger, with the calls both roads have."""

    def __init__(self, name: str, host: str, token: str, **options: Any) -> None:
        self.name = name
        self.asyncio = name.endswith("asyncio") or name.startswith("Async")
        self.charger: Any = None
        if name in MODBUS_CLIENTS:  # the Modbus road: host is the Modbus server's, no token
            self.charger = modbus_class(name)(host, **{"memory": ChargerMemory(), **options})
            return
        if name in ("Peblar", "AsyncPeblar"):
            kind = Peblar if name == "Peblar" else BlockingAsyncPeblar
            self.charger = kind(host, token, **{"memory": ChargerMemory(), **options})
            self.api_client = self.charger.api_client
            return
        from pyPeblar import Configuration, Policy

        configuration = Configuration(
            host=f"http://{host}/api/wlac/v1", api_key={"ApiToken": token}
        )
        if self.asyncio:
            import pyPeblar.aio

            self.api_client = pyPeblar.aio.ApiClient(configuration)
        else:
            from pyPeblar import ApiClient

            self.api_client = ApiClient(configuration)
        if options:  # the plain road's policy, set the documented way
            connect, read = options.pop("timeout", (5.0, 10.0))
            self.api_client.rest_client.policy = Policy(
                connect_timeout=connect, read_timeout=read, **options
            )

    def api(self, name: str) -> Any:
        """The road's generated API class ``name`` on its ``ApiClient``."""
        import pyPeblar
        import pyPeblar.aio

        package: Any = pyPeblar.aio if self.asyncio else pyPeblar
        return getattr(package, name)(self.api_client)

    def call(self, result: Any) -> Any:
        """A generated method's result: awaited on the test loop for an asyncio road."""
        return run(result) if self.asyncio else result

    @property
    def peblar(self) -> Any:
        """The ``Peblar`` (or ``AsyncPeblar``) client, for what only they do (pause, phases...)."""
        assert self.charger is not None, "only the Peblar and AsyncPeblar roads have this"
        return self.charger

    def meter(self) -> Any:
        if self.charger is not None:
            return self.charger.meter()
        return self.call(self.api("MeterApi").get_meter())

    def set_charge_current_limit(self, *, amps: int) -> Any:
        if self.charger is not None:
            return self.charger.set_charge_current_limit(amps=amps)
        from pyPeblar import EVInterfacePatchRequest

        request = EVInterfacePatchRequest(charge_current_limit=amps * 1000)
        return self.call(self.api("EVInterfaceApi").patch_ev_interface(request))

    def authorize_charge_session(self, *, token: str) -> Any:
        if self.charger is not None:
            return self.charger.authorize_charge_session(token=token)
        from pyPeblar import AuthorizationMethod, ChargeSessionRequest

        request = ChargeSessionRequest(method=AuthorizationMethod.RFID, token=token)
        return self.call(self.api("AuthorizationApi").authorize_charge_session(request))

    def close(self) -> None:
        if self.charger is not None:
            self.charger.close()
        elif self.asyncio:
            run(self.api_client.close())
        else:
            self.api_client.rest_client.close()

    def __enter__(self) -> Road:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


@pytest.fixture(params=ROADS)
def road_name(request: pytest.FixtureRequest) -> str:
    """Runs a test once per road."""
    name: str = request.param
    return name


def open_road(name: str, simulator: Simulator, **options: Any) -> Road:
    """A ``Road`` to ``simulator`` (options as for ``Peblar``: timeout, retries, backoff...); a
    Modbus road (``MODBUS_CLIENTS``) to its Modbus server."""
    if name in MODBUS_CLIENTS:
        return Road(name, simulator.modbus_host, "", **options)
    return Road(name, simulator.host, simulator.token, **options)
