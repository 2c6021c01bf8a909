"""Property-based, for the web clients: whatever the web interface answers a ``PeblarWeb`` or
``AsyncPeblarWeb``, the only outcomes are a result or a ``PeblarError``. Never a raw pydantic,
json, urllib3 or aiohttp error, never a hang. (Whatever a caller passes: test_arguments.py.)"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pyPeblar import PeblarWeb
from pyPeblar.simulator import Simulator
from test.clients import BlockingAsyncPeblarWeb
from test.reliability.conftest import QUICK, outcome

SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
PASSWORD = "hunter2-web-password"
KINDS: dict[str, Any] = {"PeblarWeb": PeblarWeb, "AsyncPeblarWeb": BlockingAsyncPeblarWeb}

anything = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=12),
    st.lists(st.integers(), max_size=2),
    st.binary(max_size=4),
    st.datetimes(),
)


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    with Simulator(rate_limit=False, password=PASSWORD) as simulator:
        simulator.reboot_duration = 0.05
        yield simulator


@pytest.fixture(scope="module", params=sorted(KINDS))
def web(sim: Simulator, request: pytest.FixtureRequest) -> Iterator[Any]:
    with KINDS[request.param](sim.host, PASSWORD, **QUICK, rate_limit=False) as client:
        client.login()
        yield client


# Every argument of every web-client method: see test_arguments.py, which fuzzes all four
# clients from one table.


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
bodies = st.one_of(st.binary(max_size=200), json_values.map(lambda v: json.dumps(v).encode()))
READS: dict[str, Callable[[Any], Any]] = {
    "/api/v1/config/user": lambda web: web.user_configuration(),
    "/api/v1/system/info": lambda web: web.system_information(),
    "/api/v1/config/auth/standalonelist": lambda web: web.rfid_tokens(),
    "/api/v1/config/auth/vehicle-standalonelist": lambda web: web.vehicle_tokens(),
    "/api/v1/statistics/meterhistory": lambda web: web.meter_history(),
}


@SETTINGS
@given(path=st.sampled_from(sorted(READS)), body=bodies)
def test_any_answer_to_a_read(sim: Simulator, web: Any, path: str, body: bytes) -> None:
    sim.clear_faults()
    sim.inject("body", path=path, body=body, times=None)
    try:
        result, _ = outcome(lambda: READS[path](web), bound=6.0)
    finally:
        sim.clear_faults()
    assert result is not None
