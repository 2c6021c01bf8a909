"""The fault matrix: one row per way a charger or the network can fail, with exact outcomes.

Each row asserts what the caller gets (a result or an exact exception class), whether the request
may have reached the charger, how many attempts the charger saw, and an upper bound on the time.
Client: connect timeout 1 s, read timeout 0.5 s, 2 retries, 20 ms backoff. Every row runs on every
road: ``Peblar``, ``AsyncPeblar``, and a generated API class on a plain ``ApiClient``; the rows a
Modbus charger can show run on the Modbus road too (``PeblarModbus``, ``AsyncPeblarModbus``).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from pyPeblar import (
    PeblarAuthenticationError,
    PeblarConnectionError,
    PeblarConnectionTimeoutError,
    PeblarError,
    PeblarInvalidResponseError,
    PeblarModbusError,
    PeblarRateLimitError,
    PeblarResponseError,
    PeblarServerError,
)
from pyPeblar.exceptions import ApiException, UnauthorizedException
from pyPeblar.models import MeterResponse
from pyPeblar.simulator import Simulator
from test.clients import MODBUS_CLIENTS
from test.conftest import ROADS, Road, open_road, wait_until_back
from test.reliability.conftest import QUICK, outcome


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator(rate_limit=False) as simulator:
        yield simulator


def attempts(sim: Simulator) -> int:
    return sim.stats().by_route.get("GET /meter", 0)


@pytest.mark.parametrize("road_name", ROADS + MODBUS_CLIENTS)
def test_connection_refused(road_name: str, closed_port: int) -> None:
    with Road(road_name, f"127.0.0.1:{closed_port}", "t" * 64, **QUICK) as road:
        error, _ = outcome(road.meter, bound=1.0)
    assert type(error) is PeblarConnectionError
    assert error.request_sent is False


# (fault, options, expected class or None for success, request_sent, attempts, seconds bound)
ROWS: list[tuple[str, str, dict[str, Any], type[PeblarError], bool, int, float]] = [
    ("reset before the answer", "reset", {}, PeblarConnectionError, True, 3, 1.0),
    ("connection closed before the answer", "drop", {}, PeblarConnectionError, True, 3, 1.0),
    ("reset during the answer (cut off)", "partial", {}, PeblarConnectionError, True, 3, 1.0),
    (
        "no answer until the read timeout",
        "hang",
        {"seconds": 5},
        PeblarConnectionTimeoutError,
        True,
        3,
        2.5,
    ),
    (
        "429 for ever",
        "status",
        {"status": 429, "headers": {"Retry-After": "0"}},
        PeblarRateLimitError,
        True,
        3,
        1.0,
    ),
    ("500 with JSON", "status", {"status": 500}, PeblarServerError, True, 3, 1.0),
    (
        "502 with HTML",
        "status",
        {"status": 502, "body": b"<html><h1>Bad Gateway</h1></html>", "content_type": "text/html"},
        PeblarServerError,
        True,
        3,
        1.0,
    ),
    ("503 empty", "status", {"status": 503, "body": b""}, PeblarServerError, True, 3, 1.0),
    ("200 empty", "body", {"body": b""}, PeblarInvalidResponseError, True, 1, 0.5),
    (
        "200 not JSON",
        "body",
        {"body": b"<html>hello</html>"},
        PeblarInvalidResponseError,
        True,
        1,
        0.5,
    ),
    (
        "200 wrong types",
        "body",
        {"body": b'{"CurrentPhase1": "16 A"}'},
        PeblarInvalidResponseError,
        True,
        1,
        0.5,
    ),
    (
        "200 truncated JSON",
        "body",
        {"body": b'{"CurrentPhase1": 160'},
        PeblarInvalidResponseError,
        True,
        1,
        0.5,
    ),
]


@pytest.mark.parametrize(
    ("kind", "options", "expected", "sent", "tries", "bound"),
    [row[1:] for row in ROWS],
    ids=[row[0] for row in ROWS],
)
def test_fault_for_ever(  # noqa: PLR0917 - one parameter per column of the matrix
    road_name: str,
    sim: Simulator,
    kind: str,
    options: dict[str, Any],
    expected: type[PeblarError],
    sent: bool,
    tries: int,
    bound: float,
) -> None:
    sim.inject(kind, path="/meter", times=None, **options)
    with open_road(road_name, sim, **QUICK) as road:
        error, _ = outcome(road.meter, bound=bound)
    assert type(error) is expected, error
    assert isinstance(error, PeblarError)
    if isinstance(error, PeblarResponseError):
        assert isinstance(error, ApiException)
    assert error.request_sent is sent
    assert "<html" not in str(error)
    assert attempts(sim) == tries


@pytest.mark.parametrize(
    ("kind", "options"),
    [
        ("reset", {}),
        ("drop", {}),
        ("partial", {}),
        ("hang", {"seconds": 5}),
        ("status", {"status": 500}),
        ("status", {"status": 503, "body": b""}),
        ("status", {"status": 429}),
    ],
)
def test_fault_once_then_success(
    road_name: str, sim: Simulator, kind: str, options: dict[str, Any]
) -> None:
    sim.inject(kind, path="/meter", times=1, **options)
    with open_road(road_name, sim, **QUICK) as road:
        result, _ = outcome(road.meter, bound=2.0)  # a 429 waits its default 1 s
    assert isinstance(result, MeterResponse)
    assert attempts(sim) == 2


def test_429_honours_retry_after(road_name: str, sim: Simulator) -> None:
    sim.inject("status", path="/meter", status=429, headers={"Retry-After": "1"}, times=1)
    with open_road(road_name, sim, **QUICK) as road:
        result, elapsed = outcome(road.meter, bound=2.0)
    assert isinstance(result, MeterResponse)
    assert elapsed >= 0.95


def polled_through_a_reboot(
    road_name: str, sim: Simulator, *, downtime: float
) -> tuple[list[Exception], Any]:
    """A polling loop's view of a reboot: the failed calls while the charger was away, and the
    last call's outcome (a ``MeterResponse`` once it is back, if it came back within 5 s)."""
    failures: list[Exception] = []
    result: Any = None
    with open_road(road_name, sim, **QUICK) as road:
        road.meter()
        sim.reboot(downtime=downtime)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            result, _ = outcome(road.meter, bound=1.5)
            if isinstance(result, MeterResponse):
                break
            failures.append(result)
            time.sleep(0.2)
    return failures, result


def test_charger_rebooting_mid_run(road_name: str, sim: Simulator) -> None:
    """A polling loop loses a few calls while the charger is away, then carries on."""
    failures, result = polled_through_a_reboot(road_name, sim, downtime=1.5)
    assert failures, "the reboot went unnoticed: the test proved nothing"
    assert all(type(f) is PeblarConnectionError and f.request_sent is False for f in failures)
    assert isinstance(result, MeterResponse)


def test_token_rejected_after_a_reboot(road_name: str, sim: Simulator) -> None:
    with open_road(road_name, sim, **QUICK) as road:
        road.meter()
        sim.reboot(downtime=0.2, new_token=True)
        wait_until_back(sim.port)
        error, _ = outcome(road.meter, bound=1.0)
    assert type(error) is PeblarAuthenticationError
    assert isinstance(error, UnauthorizedException)  # caught the openapi-generator way too
    assert attempts(sim) == 2  # one before the reboot, one after: a 401 is not retried


# -- the Modbus road -------------------------------------------------------------------------------

#: The same failures where a Modbus charger can fail that way (Simulator.inject_modbus):
#: (fault, options, expected class, request_sent, attempts, seconds bound).
MODBUS_ROWS: list[tuple[str, str, dict[str, Any], type[PeblarError], bool, int, float]] = [
    ("connection closed before the answer", "drop", {}, PeblarConnectionError, True, 3, 1.0),
    (
        "no answer until the read timeout",
        "hang",
        {"seconds": 5},
        PeblarConnectionTimeoutError,
        True,
        3,
        2.5,
    ),
    ("server device failure (4)", "exception", {"code": 4}, PeblarModbusError, True, 3, 1.0),
    ("server busy (6)", "exception", {"code": 6}, PeblarModbusError, True, 3, 1.0),
    ("illegal data value (3)", "exception", {"code": 3}, PeblarModbusError, True, 1, 0.5),
    ("a short answer", "short", {}, PeblarInvalidResponseError, True, 1, 0.5),
    # pymodbus's clients skip an answer for another unit id and wait on: no answer came.
    (
        "an answer for another unit id",
        "other-unit",
        {},
        PeblarConnectionTimeoutError,
        True,
        3,
        2.5,
    ),
]


@pytest.fixture
def modbus_sim() -> Iterator[Simulator]:
    with Simulator(rate_limit=False, modbus_port=0) as simulator:
        yield simulator


def modbus_attempts(sim: Simulator) -> int:
    return sim.stats().by_route.get("MODBUS READ", 0)


@pytest.mark.parametrize("road_name", MODBUS_CLIENTS)
@pytest.mark.parametrize(
    ("kind", "options", "expected", "sent", "tries", "bound"),
    [row[1:] for row in MODBUS_ROWS],
    ids=[row[0] for row in MODBUS_ROWS],
)
def test_modbus_fault_for_ever(  # noqa: PLR0917 - one parameter per column of the matrix
    road_name: str,
    modbus_sim: Simulator,
    kind: str,
    options: dict[str, Any],
    expected: type[PeblarError],
    sent: bool,
    tries: int,
    bound: float,
) -> None:
    modbus_sim.inject_modbus(kind, times=None, **options)
    with open_road(road_name, modbus_sim, **QUICK) as road:
        error, _ = outcome(road.meter, bound=bound)
    assert type(error) is expected, error
    assert error.request_sent is sent
    if isinstance(error, PeblarModbusError):
        assert error.exception_code == options["code"]
        assert f"Modbus exception {options['code']}" in str(error)
    assert modbus_attempts(modbus_sim) == tries


@pytest.mark.parametrize("road_name", MODBUS_CLIENTS)
@pytest.mark.parametrize(
    ("kind", "options"),
    [
        ("drop", {}),
        ("hang", {"seconds": 5}),
        ("exception", {"code": 4}),
        ("exception", {"code": 6}),
    ],
)
def test_modbus_fault_once_then_success(
    road_name: str, modbus_sim: Simulator, kind: str, options: dict[str, Any]
) -> None:
    modbus_sim.inject_modbus(kind, times=1, **options)
    with open_road(road_name, modbus_sim, **QUICK) as road:
        result, _ = outcome(road.meter, bound=2.0)
    assert isinstance(result, MeterResponse)
    assert modbus_attempts(modbus_sim) == 2


@pytest.mark.parametrize("road_name", MODBUS_CLIENTS)
def test_modbus_answer_nobody_can_decode(road_name: str, modbus_sim: Simulator) -> None:
    """A function code no standard has: ``PeblarModbus`` reads it as a malformed answer, not
    repeated. pymodbus's asyncio client meets it in asyncio's ``data_received``, which closes
    the connection (asyncio logs pymodbus's error): ``AsyncPeblarModbus`` sees a lost connection
    and tries again, as for one (docs/modbus.md)."""
    modbus_sim.inject_modbus("garbage", times=None)
    with open_road(road_name, modbus_sim, **QUICK) as road:
        error, _ = outcome(road.meter, bound=1.0)
    if road_name == "PeblarModbus":
        assert type(error) is PeblarInvalidResponseError, error
        assert modbus_attempts(modbus_sim) == 1
    else:
        assert type(error) is PeblarConnectionError, error
        assert modbus_attempts(modbus_sim) == 3
    assert error.request_sent is True


@pytest.mark.parametrize("road_name", MODBUS_CLIENTS)
def test_modbus_answer_dripping_ends_at_the_read_timeout(
    road_name: str, modbus_sim: Simulator
) -> None:
    """One byte every 0.9 s: each piece comes within pymodbus's 1 s timeout, so without a
    deadline for the whole answer the attempt would last until the third byte (1.8 s)."""
    modbus_sim.inject_modbus("drip", times=None, seconds=0.9)
    with open_road(road_name, modbus_sim, timeout=(1.0, 1.0), retries=0) as road:
        # Just below what it rules out (the third byte at 1.8 s), with the busy machine's room.
        error, elapsed = outcome(road.meter, bound=1.7, slack=0)
    assert type(error) is PeblarConnectionTimeoutError, error
    assert elapsed >= 0.95


@pytest.mark.parametrize("road_name", MODBUS_CLIENTS)
def test_modbus_charger_rebooting_mid_run(road_name: str, modbus_sim: Simulator) -> None:
    """A polling loop loses a few calls while the charger is away, then carries on."""
    failures, result = polled_through_a_reboot(road_name, modbus_sim, downtime=1.0)
    assert failures, "the reboot went unnoticed: the test proved nothing"
    assert all(isinstance(failure, PeblarConnectionError) for failure in failures)
    assert isinstance(result, MeterResponse)
