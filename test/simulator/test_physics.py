"""The simulator's physics hang together: the meter follows the offered current and the phases."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from pyPeblar.simulator import Simulator
from test.simulator.conftest import call


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator(rate_limit=False, phase_switch_delay=2.0) as simulator:
        yield simulator


def meter(sim: Simulator) -> dict[str, Any]:
    body: dict[str, Any] = call(sim, "GET", "/meter").json
    return body


def ev(sim: Simulator) -> dict[str, Any]:
    body: dict[str, Any] = call(sim, "GET", "/evinterface").json
    return body


def test_idle_draws_nothing_but_measures_voltage(sim: Simulator) -> None:
    reading = meter(sim)
    assert reading["PowerTotal"] == 0
    assert [reading[f"CurrentPhase{p}"] for p in (1, 2, 3)] == [0, 0, 0]
    assert all(reading[f"VoltagePhase{p}"] for p in (1, 2, 3))
    assert ev(sim)["CpState"] == "State A"
    assert ev(sim)["LockState"] is False


def test_a_car_charges_at_the_offered_current_on_three_phases(sim: Simulator) -> None:
    sim.plug_in()
    state = ev(sim)
    assert (state["CpState"], state["LockState"]) == ("State C", True)
    reading = meter(sim)
    offered = state["ChargeCurrentLimitActual"]
    for phase in (1, 2, 3):
        assert offered - 100 <= reading[f"CurrentPhase{phase}"] <= offered
        expected = round(reading[f"VoltagePhase{phase}"] * reading[f"CurrentPhase{phase}"] / 1000)
        assert reading[f"PowerPhase{phase}"] == expected
    assert reading["PowerTotal"] == sum(reading[f"PowerPhase{p}"] for p in (1, 2, 3))


def test_the_meter_follows_the_limit(sim: Simulator) -> None:
    sim.plug_in()
    before = meter(sim)["PowerTotal"]
    call(sim, "PATCH", "/evinterface", {"ChargeCurrentLimit": 8000})
    reading = meter(sim)
    assert 7900 <= reading["CurrentPhase1"] <= 8000
    assert reading["PowerTotal"] < before / 1.9


def test_below_6_a_pauses(sim: Simulator) -> None:
    sim.plug_in()
    state = call(sim, "PATCH", "/evinterface", {"ChargeCurrentLimit": 5000}).json
    assert state["CpState"] == "State B"
    assert (state["ChargeCurrentLimit"], state["ChargeCurrentLimitActual"]) == (5000, 0)
    assert state["ChargeCurrentLimitSource"] == "Local REST API"
    assert meter(sim)["PowerTotal"] == 0
    call(sim, "PATCH", "/evinterface", {"ChargeCurrentLimit": 6000})
    assert ev(sim)["CpState"] == "State C"


def test_the_lowest_limiter_is_named(sim: Simulator) -> None:
    sim.plug_in()
    sim.set_limiter("Solar charging", 8000)
    state = ev(sim)
    assert (state["ChargeCurrentLimitActual"], state["ChargeCurrentLimitSource"]) == (
        8000,
        "Solar charging",
    )
    assert state["ChargeCurrentLimit"] == 16000
    call(sim, "PATCH", "/evinterface", {"ChargeCurrentLimit": 7000})
    assert ev(sim)["ChargeCurrentLimitSource"] == "Local REST API"
    sim.set_limiter("Solar charging", None)
    sim.plug_in(car_max_current_ma=6500)
    assert ev(sim)["ChargeCurrentLimitSource"] == "Charging cable"
    assert ev(sim)["ChargeCurrentLimitActual"] == 6500


def test_force_1phase_switches_over_after_a_delay(sim: Simulator) -> None:
    sim.plug_in()
    answer = call(sim, "PATCH", "/evinterface", {"Force1Phase": True}).json
    assert answer["Force1Phase"] is False  # still switching over
    assert meter(sim)["PowerTotal"] == 0  # charging pauses meanwhile
    sim.advance(2.0)
    assert ev(sim)["Force1Phase"] is True
    assert sim.active_phases == 1
    reading = meter(sim)
    assert reading["CurrentPhase1"] > 15000
    assert (reading["CurrentPhase2"], reading["PowerPhase2"], reading["VoltagePhase2"]) == (
        0,
        0,
        None,
    )
    assert reading["VoltagePhase3"] is None


def test_force_1phase_when_idle_is_immediate(sim: Simulator) -> None:
    assert call(sim, "PATCH", "/evinterface", {"Force1Phase": True}).json["Force1Phase"] is True


def test_energy_grows_with_time_and_the_session_survives_unplugging(sim: Simulator) -> None:
    sim.plug_in()
    power = meter(sim)["PowerTotal"]
    total_before = sim.energy_total_wh
    sim.advance(3600)
    session = sim.energy_session_wh
    assert abs(session - power) <= 2  # one hour at this power
    assert sim.energy_total_wh - total_before == pytest.approx(session, abs=2)
    sim.unplug()
    sim.advance(600)
    assert meter(sim)["EnergySession"] == session  # kept after the session ends
    sim.plug_in()
    assert meter(sim)["EnergySession"] == 0  # a new session starts from zero


def test_a_full_car_stops_drawing(sim: Simulator) -> None:
    sim.plug_in()
    sim.set_car_full(True)
    assert ev(sim)["CpState"] == "State B"
    assert meter(sim)["PowerTotal"] == 0


def test_errors_and_odd_states_can_be_raised(sim: Simulator) -> None:
    sim.set_error_codes([1204])
    sim.set_warning_codes([402])
    system = call(sim, "GET", "/system").json
    assert (system["ActiveErrorCodes"], system["ActiveWarningCodes"]) == ([1204], [402])
    sim.set_cp_state_override("State Invalid")
    assert ev(sim)["CpState"] == "State Invalid"


def test_single_phase_unit() -> None:
    with Simulator(profile="single-phase", rate_limit=False) as sim:
        sim.plug_in()
        reading = meter(sim)
        assert sorted(reading) == [
            "CurrentPhase1",
            "EnergySession",
            "EnergyTotal",
            "PowerPhase1",
            "PowerTotal",
            "VoltagePhase1",
        ]
        assert reading["CurrentPhase1"] > 31000
        system = call(sim, "GET", "/system").json
        assert (system["PhaseCount"], system["Force1PhaseAllowed"]) == (1, False)
        assert "WlanSignalStrength" not in system


def test_fixed_cable_unit_has_no_lock_state() -> None:
    with Simulator(profile="three-phase-cable", rate_limit=False) as sim:
        sim.plug_in()
        assert "LockState" not in ev(sim)
        assert ev(sim)["ChargeCurrentLimit"] == 32000


def test_uptime_counts(sim: Simulator) -> None:
    before = call(sim, "GET", "/system").json["Uptime"]
    sim.advance(100)
    assert call(sim, "GET", "/system").json["Uptime"] >= before + 100


def test_unknown_profile_names_the_choices() -> None:
    with pytest.raises(ValueError, match="three-phase-socket"):
        Simulator(profile="two-phase")
