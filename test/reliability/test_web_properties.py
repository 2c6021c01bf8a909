"""Property-based, for the web clients: whatever a caller passes to a ``PeblarWeb`` or
``AsyncPeblarWeb`` method and whatever the web interface answers, the only outcomes are a result, a
``PeblarError``, or a ``ValueError`` raised before anything was sent. Never a raw pydantic, json,
urllib3 or aiohttp error, never a hang, and the password in no error."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pyPeblar import PeblarError, PeblarWeb
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


def no_request_on_value_error(sim: Simulator, call: Callable[[], Any]) -> Any:
    """The call's outcome; a ValueError must come before any request reached the charger."""
    sent = sim.stats().requests_total
    result, _ = outcome(call, bound=6.0)
    if isinstance(result, ValueError) and not isinstance(result, PeblarError):
        assert sim.stats().requests_total == sent, f"ValueError after a request: {result}"
    if isinstance(result, BaseException):
        assert PASSWORD not in str(result)
    return result


#: Every web-client method that takes arguments, with a call using hypothesis's values.
CALLS: dict[str, Callable[[Any, Any, Any], Any]] = {
    "update_user_configuration": lambda web, a, b: web.update_user_configuration(
        user_keep_socket_locked=a, hmi_buzzer_volume=b
    ),
    "update_user_configuration by wire name": lambda web, a, b: web.update_user_configuration(
        HmiLedIntensityManual=a
    ),
    "set_smart_charging_mode": lambda web, a, b: web.set_smart_charging_mode(a, power_target=b),
    "set_led": lambda web, a, b: web.set_led(automatic=a, percent=b),
    "set_buzzer_volume": lambda web, a, b: web.set_buzzer_volume(a),
    "set_socket_locked": lambda web, a, b: web.set_socket_locked(a),
    "set_modbus": lambda web, a, b: web.set_modbus(a, b),
    "available_versions": lambda web, a, b: web.available_versions(use_cache=a),
    "add_rfid_token": lambda web, a, b: web.add_rfid_token(a, b),
    "remove_rfid_token": lambda web, a, b: web.remove_rfid_token(a),
    "add_vehicle_token": lambda web, a, b: web.add_vehicle_token(a, b),
    "meter_history": lambda web, a, b: web.meter_history(a, b),
    "set_charging_schedules": lambda web, a, b: web.set_charging_schedules(a),
    "local_api_token": lambda web, a, b: web.local_api_token(a),
    "events": lambda web, a, b: first_event(web.events(a, reconnect_backoff=b)),
}


def first_event(stream: Any) -> Any:
    """The first event of ``stream``, which is then closed."""
    with stream:
        return next(stream)


@pytest.mark.parametrize("name", sorted(CALLS))
@SETTINGS
@given(first=anything, second=anything)
def test_any_argument(sim: Simulator, web: Any, name: str, first: Any, second: Any) -> None:
    no_request_on_value_error(sim, lambda: CALLS[name](web, first, second))


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
