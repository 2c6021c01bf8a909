"""Property-based: whatever a charger answers, and whatever a command line is given, the only
outcomes are a result, a PeblarError, or a ValueError raised before anything was sent. Never a raw
urllib3, pydantic, json or UnicodeDecodeError, never a hang. (Whatever a caller passes to any
client: test_arguments.py.)"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pyPeblar import ChargerMemory, Peblar, PeblarError
from pyPeblar.cli import EXIT_CODES, main
from pyPeblar.simulator import Simulator
from test.clients import BlockingAsyncPeblar
from test.conftest import Road
from test.reliability.conftest import QUICK, outcome

SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
KEYS = [
    "CpState",
    "ChargeCurrentLimit",
    "ChargeCurrentLimitSource",
    "Force1Phase",
    "LockState",
    "CurrentPhase1",
    "VoltagePhase2",
    "PowerTotal",
    "EnergySession",
    "AccessMode",
    "ApiVersion",
    "PhaseCount",
    "ActiveErrorCodes",
    "FirmwareVersion",
    "Uptime",
]
charger_like = st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8), json_values, max_size=8)
bodies = st.one_of(
    st.binary(max_size=200),
    json_values.map(lambda v: json.dumps(v).encode()),
    charger_like.map(lambda v: json.dumps(v).encode()),
)

READS: dict[str, Callable[[Peblar], Any]] = {
    "/health": lambda charger: charger.health(),
    "/system": lambda charger: charger.system(),
    "/meter": lambda charger: charger.meter(),
    "/evinterface": lambda charger: charger.ev_interface(),
}

#: Both clients: Peblar, and AsyncPeblar awaited for the test (test/clients.py).
KINDS: dict[str, Any] = {"Peblar": Peblar, "AsyncPeblar": BlockingAsyncPeblar}


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    with Simulator(rate_limit=False, phase_switch_delay=0.01) as simulator:
        simulator.plug_in()
        yield simulator


@pytest.fixture(scope="module", params=sorted(KINDS))
def charger(sim: Simulator, request: pytest.FixtureRequest) -> Iterator[Peblar]:
    """Each client in turn (the fuzz runs against both)."""
    options: dict[str, Any] = {
        **QUICK,
        "rate_limit": False,
        "protect_relays": False,
        "phase_switch_timeout": 0.3,
        "memory": ChargerMemory(),
    }
    with KINDS[request.param](sim.host, sim.token, **options) as client:
        yield client


@SETTINGS
@given(path=st.sampled_from(sorted(READS)), body=bodies)
def test_any_answer_to_a_read(sim: Simulator, charger: Peblar, path: str, body: bytes) -> None:
    sim.clear_faults()
    sim.inject("body", path=path, body=body, times=None)
    result, _ = outcome(lambda: READS[path](charger), bound=3.0)
    sim.clear_faults()
    assert isinstance(result, PeblarError) or hasattr(result, "to_dict"), result


GENERATED_READS: dict[str, Callable[[Road], Any]] = {
    "/health": lambda road: road.call(road.api("HealthApi").get_health()),
    "/system": lambda road: road.call(road.api("SystemApi").get_system()),
    "/meter": lambda road: road.call(road.api("MeterApi").get_meter()),
    "/evinterface": lambda road: road.call(road.api("EVInterfaceApi").get_ev_interface()),
}


@pytest.fixture(scope="module", params=["generated", "generated-asyncio"])
def plain_road(sim: Simulator, request: pytest.FixtureRequest) -> Iterator[Road]:
    """The plain openapi-generator road: a generated API class on its own ApiClient."""
    with Road(request.param, sim.host, sim.token, **QUICK, rate_limit=False) as road:
        yield road


@SETTINGS
@given(path=st.sampled_from(sorted(GENERATED_READS)), body=bodies)
def test_any_answer_to_a_generated_read(
    sim: Simulator, plain_road: Road, path: str, body: bytes
) -> None:
    """The same promise on the generated roads: a model or a PeblarError, never a raw error."""
    sim.clear_faults()
    sim.inject("body", path=path, body=body, times=None)
    result, _ = outcome(lambda: GENERATED_READS[path](plain_road), bound=3.0)
    sim.clear_faults()
    assert isinstance(result, PeblarError) or hasattr(result, "to_dict"), result


@SETTINGS
@given(body=bodies, status=st.sampled_from([200, 400, 401, 403, 404, 429, 500, 502, 503]))
def test_any_answer_to_a_write(sim: Simulator, charger: Peblar, body: bytes, status: int) -> None:
    sim.clear_faults()
    sim.inject(
        "status",
        path="/evinterface",
        method="PATCH",
        status=status,
        body=body,
        headers={"Retry-After": "0"},
        times=None,
    )
    result, _ = outcome(lambda: charger.set_charge_current_limit(amps=8), bound=4.0)
    sim.clear_faults()
    if isinstance(result, PeblarError):
        assert result.applied in (False, None)


# Every argument of every client (constructor options, method arguments, raw()): see
# test_arguments.py, which fuzzes all four clients from one table.


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/meter HTTP/1.1\r\nX-Evil: 1\r\nX-Pad:"),
        ("GET\r\nGET", "/meter"),
        ("GET /meter HTTP/1.1\r\n\r\nGET", "/meter"),
        ("GET", "/meter\n"),
        ("GET", "/me ter"),
    ],
)
def test_raw_refuses_request_smuggling(
    sim: Simulator, charger: Peblar, method: str, path: str
) -> None:
    sent = sim.stats().requests_total
    with pytest.raises(ValueError, match=r"method|path"):
        charger.raw(method, path)
    assert sim.stats().requests_total == sent


# -- the command line, in-process (the subprocess form is in test/test_cli.py) ------------------

WORDS = [
    "status",
    "health",
    "system",
    "meter",
    "ev",
    "set-current",
    "pause",
    "resume",
    "phases",
    "authorize",
    "check",
    "--json",
    "-v",
    "--timeout",
    "--token",
    "--token-file",
    "-",
    "--name",
    "--count",
    "1",
    "3",
    "0",
    "10",
    "10.5",
    "16000mA",
    "40A",
    "-1",
    "abc",
    "--",
    "",
    "1e400",
    "1" + "0" * 307,
    "nan",
    "\x00",
    "é",
]


@SETTINGS
@given(argv=st.lists(st.sampled_from(WORDS) | st.text(max_size=6), max_size=5))
def test_any_command_line(sim: Simulator, argv: list[str], monkeypatch_env: None) -> None:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = main(argv)
        except SystemExit as leave:  # argparse: usage errors, --help
            status = int(leave.code or 0)
    assert status in EXIT_CODES, (argv, status, err.getvalue())
    assert "Traceback" not in err.getvalue() or "-v" in argv, (argv, err.getvalue())


@pytest.fixture
def monkeypatch_env(
    sim: Simulator, monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[None]:
    monkeypatch.setenv("PEBLAR_HOST", sim.host)
    monkeypatch.setenv("PEBLAR_TOKEN", sim.token)
    monkeypatch.setenv("PYPEBLAR_STATE_DIR", str(tmp_path_factory.mktemp("state")))
    yield
