"""Writes are never lost or doubled: after a write returns, the charger is in the requested state;
when it raises, the error says whether it applied, and the charger agrees."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from pyPeblar import (
    ChargerMemory,
    Peblar,
    PeblarError,
    PeblarInvalidResponseError,
    PeblarStateTimeoutError,
)
from pyPeblar.simulator import Simulator
from test.clients import MODBUS_CLIENTS
from test.conftest import Road, client_for, open_road
from test.reliability.conftest import QUICK, outcome

#: Every test here runs with Peblar and with AsyncPeblar (test/conftest.py: each_client).
pytestmark = pytest.mark.usefixtures("each_client")

# Faults on the write itself; "apply" says whether the charger processed it before failing.
REST_FAULTS: list[tuple[str, dict[str, Any]]] = [
    ("drop, not applied", {"kind": "drop", "apply": False}),
    ("drop, applied", {"kind": "drop", "apply": True}),
    ("reset, not applied", {"kind": "reset", "apply": False}),
    ("reset, applied", {"kind": "reset", "apply": True}),
    ("cut off, applied", {"kind": "partial", "apply": True}),
    ("no answer, applied", {"kind": "hang", "apply": True, "seconds": 3}),
    ("500, not applied", {"kind": "status", "status": 500}),
    ("500, applied", {"kind": "status", "status": 500, "apply": True}),
    ("429, not applied", {"kind": "status", "status": 429, "headers": {"Retry-After": "0"}}),
    ("200 garbage, applied", {"kind": "body", "body": b"{not json"}),
]
# The same on the Modbus road (Simulator.inject_modbus): what a Modbus charger can do instead.
MODBUS_FAULTS: list[tuple[str, dict[str, Any]]] = [
    ("drop, not applied", {"kind": "drop", "apply": False}),
    ("drop, applied", {"kind": "drop", "apply": True}),
    ("no answer, applied", {"kind": "hang", "apply": True, "seconds": 3}),
    ("device failure, not applied", {"kind": "exception", "code": 4}),
    ("device failure, applied", {"kind": "exception", "code": 4, "apply": True}),
    ("busy, not applied", {"kind": "exception", "code": 6}),
]


def limit(sim: Simulator, road_name: str) -> int:
    """The limit the road's API sets: the REST API's, or the Modbus one (its own register)."""
    return sim.modbus_limit if road_name in MODBUS_CLIENTS else sim.charge_current_limit


Applied = Callable[[Simulator, str], bool]
# (name, the call on a road, what the simulator must show when it applied, the roads it runs on).
# Only the limit can be set the plain generated way in one call; the rest is Peblar's own logic,
# which the Modbus clients run too (no PUT over Modbus).
WRITES: list[tuple[str, Callable[[Road], Any], Applied, tuple[str, ...]]] = [
    (
        "set 9 A",
        lambda r: r.set_charge_current_limit(amps=9),
        lambda s, road: limit(s, road) == 9000,
        ("Peblar", "generated", *MODBUS_CLIENTS),
    ),
    (
        "pause",
        lambda r: r.peblar.pause(),
        lambda s, road: limit(s, road) == 0,
        ("Peblar", *MODBUS_CLIENTS),
    ),
    (
        "one phase",
        lambda r: r.peblar.force_single_phase(True),
        lambda s, road: s.force_1phase,
        ("Peblar", *MODBUS_CLIENTS),
    ),
    (
        "PUT 7 A, one phase",
        lambda r: r.peblar.replace_ev_interface(amps=7, force_single_phase=True),
        lambda s, road: s.charge_current_limit == 7000 and s.force_1phase,
        ("Peblar",),
    ),
]
WRITE_CASES = [
    pytest.param(road, name, call, applied, fault, id=f"{road}-{name}-{fault_name}")
    for name, call, applied, roads in WRITES
    for road in roads
    for fault_name, fault in (MODBUS_FAULTS if road in MODBUS_CLIENTS else REST_FAULTS)
]


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator(rate_limit=False, phase_switch_delay=0.2, modbus_port=0) as simulator:
        simulator.plug_in()
        yield simulator


@pytest.mark.parametrize("times", [1, None], ids=["once", "for ever"])
@pytest.mark.parametrize(("road_name", "name", "call", "applied", "fault"), WRITE_CASES)
def test_a_write_under_a_fault(  # noqa: PLR0917 - the matrix's columns
    sim: Simulator,
    road_name: str,
    name: str,
    call: Callable[[Road], Any],
    applied: Applied,
    fault: dict[str, Any],
    times: int | None,
) -> None:
    options = dict(fault)
    kind = options.pop("kind")
    if road_name in MODBUS_CLIENTS:
        sim.inject_modbus(kind, writes=True, times=times, **options)
    else:
        method = "PUT" if name.startswith("PUT") else "PATCH"
        sim.inject(kind, path="/evinterface", method=method, times=times, **options)
    with open_road(road_name, sim, **QUICK, **PEBLAR_ONLY.get(road_name, {})) as road:
        result, _ = outcome(lambda: call(road), bound=12.0)
    sim.clear_faults()
    shown = applied(sim, road_name)
    if isinstance(result, PeblarError):
        # The error says what happened, and the charger agrees.
        assert result.applied in (False, None), result
        if result.applied is False or result.request_sent is False:
            assert not shown, f"{result} says not applied, but the charger shows it"
    else:
        assert shown, "the write returned, but the charger is not in the requested state"
    if kind == "body" and road_name == "generated":
        # An answer that is not JSON was an answer: not retried, and only Peblar reads back.
        assert isinstance(result, PeblarInvalidResponseError)
    elif times == 1:
        assert not isinstance(result, PeblarError), f"one fault should be retried away: {result}"


#: Options only Peblar's and the Modbus clients have.
PEBLAR_ONLY: dict[str, dict[str, Any]] = {
    name: {"phase_switch_timeout": 2.0} for name in ("Peblar", *MODBUS_CLIENTS)
}


def test_a_retried_pause_counts_once_for_the_relays(sim: Simulator) -> None:
    memory = ChargerMemory()
    sim.inject("status", path="/evinterface", method="PATCH", status=500, apply=True, times=1)
    with client_for(sim, **QUICK, memory=memory) as charger:
        charger.pause()
    assert sim.charge_current_limit == 0
    assert sim.stats().by_route["PATCH /evinterface"] == 2  # applied twice: the same absolute value
    charger_host = sim.host.rpartition(":")[0]  # the relay history is the charger's, any port
    assert len(memory.switches_since(charger_host, 0)) == 1  # one pause as far as the relays go


def test_a_lost_answer_is_not_sent_again_when_the_read_back_shows_it(sim: Simulator) -> None:
    sim.inject("drop", path="/evinterface", method="PATCH", apply=True, times=None)
    with client_for(sim, **QUICK) as charger:
        result = charger.set_charge_current_limit(amps=11)
    assert result.charge_current_limit == 11000
    assert sim.stats().by_route["PATCH /evinterface"] == 3  # the retries, all the same value


@pytest.mark.parametrize(
    "fault",
    [
        {"kind": "drop", "apply": True},
        {"kind": "reset", "apply": False},
        {"kind": "hang", "apply": True, "seconds": 3},
        {"kind": "status", "status": 500},
        {"kind": "status", "status": 429},
        {"kind": "status", "status": 503, "apply": True},
    ],
    ids=["drop", "reset", "hang", "500", "429", "503 applied"],
)
def test_the_charge_session_call_is_sent_at_most_once(
    road_name: str, sim: Simulator, fault: dict[str, Any]
) -> None:
    options = dict(fault)
    kind = options.pop("kind")
    sim.inject(kind, path="/authorization/charge-session", times=None, **options)
    with open_road(road_name, sim, **QUICK) as road:
        result, _ = outcome(lambda: road.authorize_charge_session(token="04A1B2C3"), bound=2.0)
    assert isinstance(result, PeblarError)
    assert sim.stats().charge_session_posts == 1


def test_an_applied_attempt_is_not_forgotten_when_a_retry_is_refused(sim: Simulator) -> None:
    """Found by the soak: attempt 1 applied (answer lost), the retries got 429s."""
    sim.inject("drop", path="/evinterface", method="PATCH", apply=True, times=1)
    sim.inject(
        "status",
        path="/evinterface",
        method="PATCH",
        status=429,
        headers={"Retry-After": "0"},
        times=None,
    )
    with client_for(sim, **QUICK) as charger:
        result = charger.set_charge_current_limit(amps=12)  # read back: it did apply
    assert result.charge_current_limit == 12000
    assert sim.charge_current_limit == 12000


def test_an_attempt_that_got_through_counts_even_if_the_last_could_not_connect(
    sim: Simulator,
) -> None:
    """Attempt 1 reached the charger (and applied); then the charger went away."""
    import threading

    sim.inject("drop", path="/evinterface", method="PATCH", apply=True, times=1)
    threading.Timer(0.05, lambda: sim.reboot(downtime=3)).start()
    with client_for(sim, timeout=(0.5, 0.5), retries=2, backoff=0.3) as charger:
        error, _ = outcome(lambda: charger.set_charge_current_limit(amps=12), bound=6.0)
    assert isinstance(error, PeblarError)
    assert error.request_sent is True  # not "never sent": the first attempt was
    assert error.applied is None  # and the charger could not be asked
    assert sim.charge_current_limit == 12000


# -- writes are confirmed ------------------------------------------------------------------------

CONFIRMED_WRITES: list[tuple[str, Callable[[Peblar], Any], str]] = [
    ("set 9 A", lambda c: c.set_charge_current_limit(amps=9), "PATCH"),
    ("resume at 7 A", lambda c: c.resume(amps=7), "PATCH"),
    ("pause", lambda c: c.pause(), "PATCH"),
    ("PUT 7 A", lambda c: c.replace_ev_interface(amps=7, force_single_phase=False), "PUT"),
]


@pytest.mark.parametrize(
    ("call", "method"),
    [w[1:] for w in CONFIRMED_WRITES],
    ids=[w[0] for w in CONFIRMED_WRITES],
)
def test_a_write_the_charger_ignores_is_an_error(
    sim: Simulator, call: Callable[[Peblar], Any], method: str
) -> None:
    """The charger answers 200 with its old state: the write must not pass for a success."""
    sim.inject("mutate", path="/evinterface", method=method, apply=False, times=None)
    before = sim.charge_current_limit
    with client_for(sim, **QUICK) as charger:
        error, _ = outcome(lambda: call(charger), bound=5.0)
    assert isinstance(error, PeblarStateTimeoutError), error
    assert error.applied is False
    assert f"ChargeCurrentLimit={before}" in str(error)  # what the charger reports
    assert sim.charge_current_limit == before


def test_a_write_shown_by_the_read_back_is_confirmed(sim: Simulator) -> None:
    """The answer shows the old value, but the charger has it (a slow answer): success."""
    sim.inject("mutate", path="/evinterface", method="PATCH", set={"ChargeCurrentLimit": 16000})
    with client_for(sim, **QUICK) as charger:
        result = charger.set_charge_current_limit(amps=9)
    assert result.charge_current_limit == 9000
    assert sim.charge_current_limit == 9000
