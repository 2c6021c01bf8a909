"""The Peblar client's writes: checked current limits, pause/resume, phase switching, PUT, RFID."""

from __future__ import annotations

import math
import time

import pytest

from pyPeblar import (
    ChargerMemory,
    Peblar,
    PeblarBadRequestError,
    PeblarConnectionError,
    PeblarForbiddenError,
    PeblarNotFoundError,
    PeblarReadOnlyError,
    PeblarRelayProtectionError,
    PeblarStateTimeoutError,
    PeblarUnsupportedError,
)
from pyPeblar.models import ChargeCurrentLimitSource, CpState
from pyPeblar.simulator import Simulator
from test.conftest import client_for, wait_until

#: Every test here runs with Peblar and with AsyncPeblar (test/conftest.py: each_client).
pytestmark = pytest.mark.usefixtures("each_client")


def patches(sim: Simulator) -> int:
    return sim.stats().by_route.get("PATCH /evinterface", 0)


class TestCurrentLimit:
    def test_amps(self, charger: Peblar, sim: Simulator) -> None:
        sim.plug_in()
        result = charger.set_charge_current_limit(amps=10)
        assert result.charge_current_limit == 10000
        assert result.charge_current_limit_actual == 10000
        assert result.charge_current_limit_source is ChargeCurrentLimitSource.LOCAL_REST_API
        assert sim.charge_current_limit == 10000

    def test_milliamps_and_fractions(self, charger: Peblar, sim: Simulator) -> None:
        assert charger.set_charge_current_limit(milliamps=6000).charge_current_limit == 6000
        assert charger.set_charge_current_limit(amps=10.5).charge_current_limit == 10500

    @pytest.mark.parametrize(
        ("arguments", "message"),
        [
            ({}, "exactly one"),
            ({"amps": 10, "milliamps": 10000}, "exactly one"),
            ({"amps": "ten"}, "number"),
            ({"amps": True}, "number"),
            ({"amps": math.nan}, "finite"),
            ({"amps": -1}, "negative"),
            ({"amps": 0}, "pause"),
            ({"amps": 5.9}, "pause"),
            ({"milliamps": 5999}, "pause"),
            ({"amps": 33}, "32 A"),
            ({"milliamps": 32001}, "32 A"),
            ({"milliamps": 10000.5}, "whole"),
        ],
    )
    def test_bad_values_are_refused_before_sending(
        self, charger: Peblar, sim: Simulator, arguments: dict[str, object], message: str
    ) -> None:
        with pytest.raises(ValueError, match=message) as info:
            charger.set_charge_current_limit(**arguments)  # type: ignore[arg-type]
        if message in ("pause", "32 A"):
            assert "6 to 32 A" in str(info.value)
        assert sim.stats().requests_total == 0

    def test_the_chargers_own_refusal_carries_its_words(
        self, charger: Peblar, sim: Simulator
    ) -> None:
        # 20 A is fine for pyPeblar (at most 32 A) but not for this 16 A charger.
        with pytest.raises(PeblarBadRequestError) as info:
            charger.set_charge_current_limit(amps=20)
        assert info.value.statusmsg
        assert "16000" in info.value.statusmsg
        assert info.value.applied is False
        assert sim.charge_current_limit == 16000

    def test_read_only_mode_is_recognised(self) -> None:
        with Simulator(access_mode="ReadOnly") as sim, client_for(sim) as charger:
            with pytest.raises(PeblarReadOnlyError, match="ReadOnly") as info:
                charger.set_charge_current_limit(amps=10)
            assert isinstance(info.value, PeblarForbiddenError)
            assert info.value.applied is False


class TestPauseResume:
    def test_pause_then_resume_restores_the_limit(self, charger: Peblar, sim: Simulator) -> None:
        sim.plug_in()
        charger.set_charge_current_limit(amps=13)
        paused = charger.pause()
        assert paused.charge_current_limit == 0
        assert paused.charge_current_limit_actual == 0
        assert paused.cp_state is CpState.STATE_B
        assert charger.meter().power_total == 0
        resumed = charger.resume()
        assert resumed.charge_current_limit == 13000
        assert resumed.cp_state is CpState.STATE_C

    def test_pausing_twice_sends_one_write(self, charger: Peblar, sim: Simulator) -> None:
        charger.pause()
        charger.pause()
        assert patches(sim) == 1

    def test_resume_when_not_paused_sends_nothing(self, charger: Peblar, sim: Simulator) -> None:
        assert charger.resume().charge_current_limit == 16000
        assert patches(sim) == 0

    def test_resume_at_a_given_current(self, charger: Peblar) -> None:
        charger.pause()
        assert charger.resume(amps=8).charge_current_limit == 8000

    def test_resume_after_a_pause_by_another_program(self, charger: Peblar, sim: Simulator) -> None:
        with client_for(sim) as other:  # its own memory: it does not know the earlier limit
            charger.set_charge_current_limit(amps=12)
            charger.pause()
            assert other.resume().charge_current_limit == 16000  # this part number's maximum

    def test_memory_in_a_file_survives_the_process(self, sim: Simulator, tmp_path: object) -> None:
        from pathlib import Path

        path = Path(str(tmp_path)) / "memory.json"
        with client_for(sim, memory=ChargerMemory(path)) as first:
            first.set_charge_current_limit(amps=11)
            first.pause()
        with client_for(sim, memory=ChargerMemory(path)) as second:
            assert second.resume().charge_current_limit == 11000


class TestRelayProtection:
    """At most three pauses or phase switches in ten minutes, counted where relays can move."""

    def test_a_fourth_switch_in_ten_minutes_is_refused(
        self, charger: Peblar, sim: Simulator
    ) -> None:
        sim.plug_in()
        for _ in range(3):
            charger.pause()
            charger.resume()
        before = patches(sim)
        with pytest.raises(PeblarRelayProtectionError, match="protect_relays=False"):
            charger.pause()
        assert patches(sim) == before  # nothing was sent
        with pytest.raises(PeblarRelayProtectionError):
            charger.force_single_phase(True)

    def test_pauses_and_phase_switches_count_together(self, sim: Simulator) -> None:
        sim.plug_in()
        with client_for(sim, phase_switch_timeout=5) as charger:
            charger.force_single_phase(True)
            charger.pause()
            charger.resume()
            charger.force_single_phase(False)
            with pytest.raises(PeblarRelayProtectionError):
                charger.pause()

    @pytest.mark.parametrize(
        "state",
        [
            pytest.param(None, id="State A: no car"),
            pytest.param("full", id="State B: a car that draws nothing"),
            pytest.param("State E", id="State E: an error"),
            pytest.param("State F", id="State F: a fault"),
        ],
    )
    def test_where_no_relay_can_move_nothing_counts(
        self, sim: Simulator, state: str | None
    ) -> None:
        """The relays are open in these states: pauses and switches there wear nothing, so a
        fourth (and more) goes through, and none is remembered against later ones."""
        memory = ChargerMemory()
        if state == "full":
            sim.plug_in()
            sim.set_car_full()
        elif state is not None:
            sim.set_cp_state_override(state)
        with client_for(sim, memory=memory, phase_switch_timeout=5) as charger:
            for _ in range(2):  # four pauses and switches: counted, the fourth would be refused
                assert is_paused(charger.pause())
                charger.resume()
                assert charger.force_single_phase(True).force1_phase is True
                assert charger.force_single_phase(False).force1_phase is False
        assert memory.switches_since(sim.host, 0) == []
        assert sim.charge_current_limit == 16000

    @pytest.mark.parametrize("state", ["State C", "State D", "State Invalid", "State X9"])
    def test_a_state_that_may_have_the_relays_closed_counts(
        self, sim: Simulator, state: str
    ) -> None:
        """Charging (C, D), and any state that does not say the relays are open, counts."""
        sim.set_cp_state_override(state)
        with client_for(sim, phase_switch_timeout=5) as charger:
            charger.pause()
            charger.resume()
            charger.force_single_phase(True)
            charger.force_single_phase(False)
            with pytest.raises(PeblarRelayProtectionError, match="3 pauses or phase switches"):
                charger.pause()

    def test_it_can_be_turned_off(self, sim: Simulator) -> None:
        sim.plug_in()
        with client_for(sim, protect_relays=False) as charger:
            for _ in range(5):
                charger.pause()
                charger.resume()
        assert sim.charge_current_limit == 16000


def is_paused(state: object) -> bool:
    limit = getattr(state, "charge_current_limit", None)
    return limit is not None and limit < 6000


class TestSinglePhase:
    def test_switch_waits_until_the_charger_reports_it(self) -> None:
        with Simulator(phase_switch_delay=0.5) as sim, client_for(sim) as charger:
            sim.plug_in()
            started = time.monotonic()
            result = charger.force_single_phase(True)
            assert result.force1_phase is True
            assert time.monotonic() - started >= 0.4  # it waited for the switch-over
            assert sim.active_phases == 1
            meter = charger.meter()
            assert meter.current_phase2 == 0
            assert meter.voltage_phase2 is None
            assert charger.force_single_phase(False).force1_phase is False
            assert sim.active_phases == 3

    def test_asking_for_the_current_state_sends_nothing(
        self, charger: Peblar, sim: Simulator
    ) -> None:
        charger.force_single_phase(False)
        assert patches(sim) == 0

    def test_single_phase_charger_refuses_before_sending(self) -> None:
        with Simulator(profile="single-phase") as sim, client_for(sim) as charger:
            with pytest.raises(PeblarUnsupportedError, match="Force1PhaseAllowed"):
                charger.force_single_phase(True)
            assert patches(sim) == 0

    def test_read_only_refuses_before_sending(self) -> None:
        with Simulator(access_mode="ReadOnly") as sim, client_for(sim) as charger:
            with pytest.raises(PeblarReadOnlyError):
                charger.force_single_phase(True)
            assert patches(sim) == 0

    def test_a_switch_that_never_shows_raises(self) -> None:
        with (
            Simulator(phase_switch_delay=30) as sim,
            client_for(sim, phase_switch_timeout=0.6) as charger,
        ):
            sim.plug_in()
            started = time.monotonic()
            with pytest.raises(PeblarStateTimeoutError, match="Force1Phase"):
                charger.force_single_phase(True)
            assert time.monotonic() - started < 3.0

    def test_bad_argument(self, charger: Peblar) -> None:
        with pytest.raises(ValueError, match="True or False"):
            charger.force_single_phase("yes")  # type: ignore[arg-type]


class TestReplace:
    def test_put_sets_both(self, charger: Peblar, sim: Simulator) -> None:
        result = charger.replace_ev_interface(amps=8, force_single_phase=True)
        assert (result.charge_current_limit, result.force1_phase) == (8000, True)
        assert sim.stats().by_route.get("PUT /evinterface") == 1

    def test_old_firmware_has_no_put(self) -> None:
        with Simulator(profile="old-firmware") as sim, client_for(sim) as charger:
            with pytest.raises(PeblarNotFoundError, match="no PUT"):
                charger.replace_ev_interface(amps=8, force_single_phase=False)

    def test_checks_like_the_single_calls(self, charger: Peblar) -> None:
        with pytest.raises(ValueError, match="pause"):
            charger.replace_ev_interface(amps=3, force_single_phase=False)
        with pytest.raises(ValueError, match="True or False"):
            charger.replace_ev_interface(amps=8, force_single_phase=None)  # type: ignore[arg-type]


class TestChargeSession:
    def test_authorise_and_stop(self) -> None:
        with Simulator(require_authorization=True) as sim, client_for(sim) as charger:
            sim.plug_in()
            assert charger.ev_interface().cp_state is CpState.STATE_B
            charger.authorize_charge_session(token="04A1B2C3")
            wait_until(lambda: charger.ev_interface().cp_state is CpState.STATE_C, 3.0)
            charger.authorize_charge_session(name="Garage card")
            wait_until(lambda: charger.ev_interface().cp_state is CpState.STATE_B, 3.0)
            assert sim.stats().charge_session_posts == 2

    def test_unknown_card_is_refused(self, charger: Peblar) -> None:
        with pytest.raises(PeblarForbiddenError):
            charger.authorize_charge_session(token="DEADBEEF")

    @pytest.mark.parametrize(
        "arguments", [{}, {"token": "04A1B2C3", "name": "Garage card"}, {"token": ""}, {"name": 5}]
    )
    def test_exactly_one_of_token_and_name(
        self, charger: Peblar, sim: Simulator, arguments: dict[str, object]
    ) -> None:
        with pytest.raises(ValueError, match=r"token|name"):
            charger.authorize_charge_session(**arguments)  # type: ignore[arg-type]
        assert sim.stats().requests_total == 0

    def test_never_retried(self, charger: Peblar, sim: Simulator) -> None:
        sim.inject("drop", path="/authorization/charge-session", apply=True, times=None)
        with pytest.raises(PeblarConnectionError) as info:
            charger.authorize_charge_session(token="04A1B2C3")
        assert info.value.request_sent is True
        assert sim.stats().charge_session_posts == 1

    def test_old_firmware_lacks_it(self) -> None:
        with Simulator(profile="old-firmware") as sim, client_for(sim) as charger:
            with pytest.raises(PeblarNotFoundError, match="no charge-session"):
                charger.authorize_charge_session(token="04A1B2C3")


class TestWritesUnderFaults:
    def test_lost_answer_but_applied_counts_as_done(self, charger: Peblar, sim: Simulator) -> None:
        sim.inject("drop", path="/evinterface", method="PATCH", apply=True, times=None)
        result = charger.set_charge_current_limit(amps=9)
        assert result.charge_current_limit == 9000
        assert sim.charge_current_limit == 9000

    def test_not_applied_says_so(self, sim: Simulator) -> None:
        sim.inject("drop", path="/evinterface", method="PATCH", apply=False, times=None)
        with client_for(sim, retries=1) as charger, pytest.raises(PeblarConnectionError) as info:
            charger.set_charge_current_limit(amps=9)
        assert info.value.applied is False
        assert "not applied" in str(info.value)
        assert sim.charge_current_limit == 16000

    def test_unknown_when_the_read_back_fails_too(self, sim: Simulator) -> None:
        sim.inject("drop", apply=False, times=None)
        with client_for(sim, retries=0) as charger, pytest.raises(PeblarConnectionError) as info:
            charger.set_charge_current_limit(amps=9)
        assert info.value.applied is None
