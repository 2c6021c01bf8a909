"""The Modbus clients: the same models, checks and guarantees as ``Peblar``, over registers.

Every test runs with ``PeblarModbus`` and with ``AsyncPeblarModbus`` (driven through its blocking
twin, test/clients.py), against the simulator's Modbus server, with the REST API of the same
simulated charger as the reference.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from pyPeblar import (
    ChargeCurrentLimitSource,
    ChargerMemory,
    CpState,
    MeterResponse,
    Peblar,
    PeblarClosedError,
    PeblarConnectionError,
    PeblarConnectionTimeoutError,
    PeblarModbusError,
    PeblarRelayProtectionError,
    PeblarStateTimeoutError,
    PeblarUnsupportedError,
    PeblarWeb,
)
from pyPeblar.simulator import Simulator
from test.clients import MODBUS_CLIENTS, modbus_class
from test.conftest import FAST, wait_until
from test.reliability.conftest import outcome


@pytest.fixture(params=MODBUS_CLIENTS)
def modbus(request: pytest.FixtureRequest) -> Callable[..., Any]:
    """Makes a Modbus client (``PeblarModbus``, then ``AsyncPeblarModbus``) of a simulator, with
    fast test settings and its own relay memory."""
    kind = modbus_class(request.param)

    def make(target: Simulator | str, **options: Any) -> Any:
        host = target.modbus_host if isinstance(target, Simulator) else target
        return kind(host, **{**FAST, "memory": ChargerMemory(), **options})

    return make


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator(modbus_port=0, phase_switch_delay=0.2, rate_limit=False) as simulator:
        simulator.plug_in()
        yield simulator


def writes(sim: Simulator) -> int:
    return sim.stats().by_route.get("MODBUS WRITE", 0)


def reads(sim: Simulator) -> int:
    return sim.stats().by_route.get("MODBUS READ", 0)


# -- reads: the REST API's models, from registers ---------------------------------------------


@pytest.mark.parametrize("profile", ["three-phase-socket", "three-phase-cable", "single-phase"])
def test_reads_match_the_rest_api(modbus: Callable[..., Any], profile: str) -> None:
    with (
        Simulator(modbus_port=0, profile=profile, rate_limit=False) as sim,
        modbus(sim) as charger,
        Peblar(sim.host, sim.token) as rest,
    ):
        sim.plug_in()
        assert charger.meter() == rest.meter()
        assert charger.system().model_dump(exclude={"uptime"}) == rest.system().model_dump(
            exclude={"uptime"}
        )
        ev, rest_ev = charger.ev_interface(), rest.ev_interface()
        for field in ("cp_state", "charge_current_limit_actual", "charge_current_limit_source"):
            assert getattr(ev, field) == getattr(rest_ev, field), field
        assert isinstance(ev.cp_state, CpState)
        assert isinstance(ev.charge_current_limit_source, ChargeCurrentLimitSource)


def test_reads_are_planned_into_few_requests(modbus: Callable[..., Any], sim: Simulator) -> None:
    with modbus(sim) as charger:
        sim.reset_stats()
        charger.meter()
        assert reads(sim) == 1  # 30000-30027 in one request
        charger.ev_interface()
        assert reads(sim) == 3  # the holding registers, then the input registers
        charger.system()
        assert reads(sim) == 5  # identity to phases, then the active codes


def test_a_single_phase_charger_reads_what_it_has(modbus: Callable[..., Any]) -> None:
    with (
        Simulator(modbus_port=0, profile="single-phase", rate_limit=False) as sim,
        modbus(sim) as charger,
    ):
        sim.plug_in()
        meter = charger.meter()
        assert isinstance(meter, MeterResponse)
        assert meter.current_phase1 and meter.current_phase1 > 0
        assert (meter.current_phase2, meter.voltage_phase3, meter.power_phase2) == (None,) * 3
        assert "CurrentPhase2" not in meter.to_dict()  # absent, as the REST API leaves it out
        sim.reset_stats()
        charger.meter()
        assert reads(sim) == 3  # the absent registers are not asked for again


def test_cp_states_and_sources_no_document_lists_are_kept(
    modbus: Callable[..., Any], sim: Simulator
) -> None:
    with modbus(sim) as charger:
        sim.set_cp_state_override("State Invalid")  # "I", as a Peblar Business sent (evcc #32449)
        assert charger.ev_interface().cp_state == CpState.STATE_INVALID
        sim.set_cp_state_override("State G")
        state = charger.ev_interface().cp_state
        assert state == "State G"
        assert state is not None and not state.is_known
    with (
        Simulator(modbus_port=0, profile="future-firmware", rate_limit=False) as future,
        modbus(future) as charger,
    ):
        future.plug_in()
        source = charger.ev_interface().charge_current_limit_source
        assert source == "19"  # a number newer firmware added: kept, not refused
        assert source is not None and not source.is_known


# -- writes: the same flows as Peblar's ---------------------------------------------------------


def test_a_limit_set_over_modbus_is_its_own_limit_source(
    modbus: Callable[..., Any], sim: Simulator
) -> None:
    with modbus(sim) as charger, Peblar(sim.host, sim.token) as rest:
        state = charger.set_charge_current_limit(amps=9)
        assert state.charge_current_limit == 9000
        assert sim.modbus_limit == 9000
        shown = rest.ev_interface()
        assert shown.charge_current_limit == 16000  # the REST API's own limit is untouched
        assert shown.charge_current_limit_actual == 9000
        assert shown.charge_current_limit_source == ChargeCurrentLimitSource.LOCAL_MODBUS_API
        rest.set_charge_current_limit(amps=7)  # now the REST limit is the lowest
        assert rest.ev_interface().charge_current_limit_source == "Local REST API"


def test_pause_and_resume(modbus: Callable[..., Any], sim: Simulator) -> None:
    with modbus(sim) as charger:
        charger.set_charge_current_limit(milliamps=11000)
        paused = charger.pause()
        assert paused.charge_current_limit == 0
        assert sim.cp_state == "State B"
        before = writes(sim)
        assert charger.pause().charge_current_limit == 0  # already paused: nothing sent
        assert writes(sim) == before
        assert charger.resume().charge_current_limit == 11000  # the limit pause() replaced
        assert sim.cp_state == "State C"


def test_phase_switching_is_verified_and_shows_in_the_rest_api(
    modbus: Callable[..., Any], sim: Simulator
) -> None:
    with modbus(sim) as charger, Peblar(sim.host, sim.token) as rest:
        assert charger.force_single_phase(True).force1_phase is True
        assert rest.ev_interface().force1_phase is True
        assert sim.active_phases == 1
        assert charger.force_single_phase(False).force1_phase is False


def test_a_charger_that_cannot_switch_phases_is_refused_before_sending(
    modbus: Callable[..., Any],
) -> None:
    with (
        Simulator(modbus_port=0, profile="single-phase", rate_limit=False) as sim,
        modbus(sim) as charger,
        pytest.raises(PeblarUnsupportedError),
    ):
        charger.force_single_phase(True)
    assert writes(sim) == 0


def test_the_relay_guard_is_shared_with_peblar(modbus: Callable[..., Any], sim: Simulator) -> None:
    """The relays are the charger's: pauses over REST and over Modbus count together."""
    memory = ChargerMemory()
    with (
        Peblar(sim.host, sim.token, memory=memory) as rest,
        modbus(sim, memory=memory) as charger,
    ):
        rest.pause()
        rest.resume()
        charger.pause()
        charger.resume()
        rest.force_single_phase(True)  # the third switch
        with pytest.raises(PeblarRelayProtectionError):
            charger.pause()
    assert sim.modbus_limit == 16000


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.set_charge_current_limit(amps=40),
        lambda c: c.set_charge_current_limit(amps=3),
        lambda c: c.set_charge_current_limit(amps="ten"),
        lambda c: c.set_charge_current_limit(),
        lambda c: c.set_charge_current_limit(amps=10, milliamps=10000),
        lambda c: c.resume(milliamps=6000.5),
        lambda c: c.force_single_phase("yes"),
    ],
    ids=["40 A", "3 A", "ten", "none", "both", "half a milliamp", "not a bool"],
)
def test_bad_arguments_are_refused_before_anything_is_sent(
    modbus: Callable[..., Any], sim: Simulator, call: Callable[[Any], Any]
) -> None:
    with modbus(sim) as charger:
        sim.reset_stats()
        with pytest.raises(ValueError):
            call(charger)
    assert sim.stats().requests_total == 0


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"port": 0}, "port"),
        ({"port": "502"}, "port"),
        ({"unit": 256}, "unit"),
        ({"unit": True}, "unit"),
        ({"timeout": -1}, "timeout"),
        ({"retries": 11}, "retries"),
        ({"deadline": 0}, "deadline"),
        ({"protect_relays": "no"}, "protect_relays"),
        ({"phase_switch_timeout": -1}, "phase_switch_timeout"),
        ({"memory": {}}, "memory"),
        ({"port": 10**400}, "port"),
        ({"unit": "x" * 100_000}, "unit"),
    ],
)
def test_bad_options_name_themselves(
    modbus: Callable[..., Any], options: dict[str, Any], words: str
) -> None:
    with pytest.raises(ValueError, match=words) as refused:
        modbus("192.168.1.50", **options)
    assert len(str(refused.value)) < 200  # a long value named cut short, not repeated whole


def test_the_port_comes_from_the_host_or_the_option() -> None:
    kind = modbus_class("PeblarModbus")
    assert kind("192.168.1.50").port == 502
    assert kind("192.168.1.50:5020").port == 5020
    assert kind("192.168.1.50", port=5020).port == 5020
    assert repr(kind("192.168.1.50", 1502, 1)) == "<PeblarModbus 192.168.1.50:1502>"
    with pytest.raises(ValueError, match="port"):
        kind("192.168.1.50:5020", port=502)


# -- writes are confirmed -------------------------------------------------------------------------


def test_a_refused_write_did_not_apply(modbus: Callable[..., Any], sim: Simulator) -> None:
    """A 16 A charger refuses 20 A with "illegal data value"."""
    with modbus(sim) as charger:
        error, _ = outcome(lambda: charger.set_charge_current_limit(amps=20), bound=2.0)
    assert isinstance(error, PeblarModbusError)
    assert error.exception_code == 3
    assert "illegal data value" in str(error)
    assert error.applied is False
    assert writes(sim) == 1  # a refusal is not repeated
    assert sim.modbus_limit == 16000


def test_a_read_only_modbus_server_refuses_writes(modbus: Callable[..., Any]) -> None:
    with (
        Simulator(modbus_port=0, modbus_access_mode="ReadOnly", rate_limit=False) as sim,
        modbus(sim) as charger,
    ):
        assert charger.meter().energy_total
        error, _ = outcome(charger.pause, bound=2.0)
    assert isinstance(error, PeblarModbusError)
    assert (error.exception_code, error.applied) == (1, False)
    assert sim.modbus_limit == 16000


def test_a_write_the_charger_ignores_is_an_error(
    modbus: Callable[..., Any], sim: Simulator
) -> None:
    sim.inject_modbus("ignore", writes=True, times=None)
    with modbus(sim) as charger:
        error, _ = outcome(lambda: charger.set_charge_current_limit(amps=9), bound=3.0)
    assert isinstance(error, PeblarStateTimeoutError), error
    assert error.applied is False
    assert "ChargeCurrentLimit=16000" in str(error)  # what the charger reports
    assert sim.modbus_limit == 16000


def test_the_modbus_switch_in_the_web_settings_turns_it_off(
    modbus: Callable[..., Any], sim: Simulator
) -> None:
    with modbus(sim, retries=0) as charger, PeblarWeb(sim.host, "peblar") as web:
        assert charger.meter().energy_total
        web.set_modbus(False)
        error, _ = outcome(charger.meter, bound=2.0)
        assert isinstance(error, PeblarConnectionError)
        web.set_modbus(True, "ReadWrite")
        assert charger.meter().energy_total


# -- errors ------------------------------------------------------------------------------------


def test_connection_refused(modbus: Callable[..., Any], closed_port: int) -> None:
    with modbus(f"127.0.0.1:{closed_port}") as charger:
        error, _ = outcome(charger.meter, bound=1.0)
    assert type(error) is PeblarConnectionError
    assert error.request_sent is False
    assert "Modbus" in str(error)


def test_a_silent_charger_ends_within_the_deadline(
    modbus: Callable[..., Any], sim: Simulator
) -> None:
    sim.inject_modbus("hang", times=None, seconds=10)
    with modbus(sim, timeout=(1.0, 5.0), deadline=1.0) as charger:
        error, elapsed = outcome(charger.meter, bound=2.0)
    assert isinstance(error, PeblarConnectionTimeoutError)
    assert elapsed >= 0.9


def test_a_connection_the_charger_closed_while_idle_is_replaced(
    modbus: Callable[..., Any], sim: Simulator
) -> None:
    """A reboot closes every Modbus connection: the next call makes a new one, and spends no
    attempt on the old (with no retries, it would fail otherwise)."""
    with modbus(sim, retries=0) as charger:
        charger.meter()
        sim.reboot(downtime=0.2)
        with modbus(sim, timeout=(1.0, 0.5), retries=10, backoff=0.05) as other:
            other.meter()  # the charger is back
        sim.reset_stats()
        assert charger.meter().energy_total
    assert reads(sim) == 1


def test_closing_ends_a_request_in_flight(modbus: Callable[..., Any], sim: Simulator) -> None:
    """Another thread closes the client while a read waits for an answer: it ends now, not at
    its 5 s timeout."""
    sim.inject_modbus("hang", times=None, seconds=10)
    charger = modbus(sim, timeout=(1.0, 5.0))
    outcomes: list[Any] = []
    reader = threading.Thread(target=lambda: outcomes.append(outcome(charger.meter, bound=2.0)))
    reader.start()
    wait_until(lambda: reads(sim) > 0, 5.0)  # the request reached the charger
    charger.close()
    reader.join(timeout=5)
    assert outcomes, "the read did not end, or raised what is not a PeblarError"
    error, _ = outcomes[0]
    assert isinstance(error, PeblarConnectionError), error
    assert reads(sim) == 1  # a closed client tries no more


def test_a_closed_client_refuses(modbus: Callable[..., Any], sim: Simulator) -> None:
    charger = modbus(sim)
    charger.meter()
    charger.close()
    with pytest.raises(PeblarClosedError):
        charger.meter()
    assert "closed" in repr(charger)
