"""Every argument the issue "one standard on every road" found unchecked, on every client it
reaches: a ``ValueError`` naming the parameter, and nothing sent (the simulator counts).

test/reliability/test_arguments.py fuzzes every argument of every client; this table pins the
cases that once escaped: numbers no float holds, ``None`` and ``True`` where the spec has neither,
a setting named twice, text no charger takes, a host name DNS cannot carry.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import pytest

from pyPeblar import ChargerMemory, Peblar, PeblarWeb
from pyPeblar.simulator import Simulator
from test.clients import BlockingAsyncPeblar, BlockingAsyncPeblarWeb

PASSWORD = "correct horse battery"
HUGE = 10**400
CAR = "00:1A:2B:3C:4D:5E"
LOCAL: dict[str, Any] = {"Peblar": Peblar, "AsyncPeblar": BlockingAsyncPeblar}
WEB: dict[str, Any] = {"PeblarWeb": PeblarWeb, "AsyncPeblarWeb": BlockingAsyncPeblarWeb}


def week(**monday: Any) -> dict[str, list[dict[str, Any]]]:
    days = ("Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
    slot = {"CurrentLimit": 16, "StartTime": 1320, **monday}
    return {"Monday": [{key: value for key, value in slot.items() if value != "-"}]} | {
        day: [] for day in days
    }


class Case(NamedTuple):
    call: Callable[[Any], Any]
    words: str


#: Calls on a client of the charger: local ones, then web ones.
LOCAL_CASES: dict[str, Case] = {
    "amps=10**400": Case(lambda c: c.set_charge_current_limit(amps=HUGE), "amps"),
    "milliamps=10**400": Case(lambda c: c.set_charge_current_limit(milliamps=HUGE), "milliamps"),
    "resume amps=10**400": Case(lambda c: c.resume(amps=HUGE), "amps"),
    "resume milliamps=-10**400": Case(lambda c: c.resume(milliamps=-HUGE), "milliamps"),
    "replace amps=10**400": Case(
        lambda c: c.replace_ev_interface(force_single_phase=False, amps=HUGE), "amps"
    ),
    "amps=5 names amps": Case(lambda c: c.set_charge_current_limit(amps=5), "amps=5"),
    "force_single_phase(None)": Case(lambda c: c.force_single_phase(None), "enabled"),
}
WEB_CASES: dict[str, Case] = {
    "power_target='lots'": Case(
        lambda w: w.set_smart_charging_mode("custom_solar", power_target="lots"), "power_target"
    ),
    "power_target=10**400": Case(
        lambda w: w.set_smart_charging_mode("custom_solar", power_target=HUGE), "power_target"
    ),
    "power_threshold=-1": Case(
        lambda w: w.set_smart_charging_mode("custom_solar", power_threshold=-1),
        "power_threshold",
    ),
    "always_charge='yes'": Case(
        lambda w: w.set_smart_charging_mode("custom_solar", always_charge="yes"), "always_charge"
    ),
    "set_socket_locked(None)": Case(lambda w: w.set_socket_locked(None), "locked"),
    "HmiBuzzerVolume=True": Case(
        lambda w: w.update_user_configuration(HmiBuzzerVolume=True), "HmiBuzzerVolume"
    ),
    "UserKeepSocketLocked=None": Case(
        lambda w: w.update_user_configuration(UserKeepSocketLocked=None), "UserKeepSocketLocked"
    ),
    "a setting named twice": Case(
        lambda w: w.update_user_configuration(HmiBuzzerVolume=1, hmi_buzzer_volume=2),
        "HmiBuzzerVolume and hmi_buzzer_volume name the same setting",
    ),
    "household limit 10**400": Case(
        lambda w: w.update_user_configuration(user_defined_household_power_limit=HUGE),
        "user_defined_household_power_limit",
    ),
    "CurrentLimit=10**400": Case(
        lambda w: w.set_charging_schedules(week(CurrentLimit=HUGE)), "schedules"
    ),
    "CurrentLimit=None": Case(lambda w: w.set_charging_schedules(week(CurrentLimit=None)), "None"),
    "StartTime=None": Case(lambda w: w.set_charging_schedules(week(StartTime=None)), "None"),
    "StartTime missing": Case(lambda w: w.set_charging_schedules(week(StartTime="-")), "StartTime"),
    "uid with CR LF": Case(lambda w: w.add_rfid_token("0A0B0C0D\r\n", "Guest"), "uid"),
    "uid with NUL": Case(lambda w: w.add_rfid_token("0A0B\x000C0D", "Guest"), "uid"),
    "uid of 100,000": Case(lambda w: w.add_rfid_token("0A" * 50_000, "Guest"), "uid"),
    "description with LF": Case(lambda w: w.add_rfid_token("0A0B0C0D", "a\nb"), "description"),
    "description of 100,000": Case(
        lambda w: w.add_rfid_token("0A0B0C0D", "x" * 100_000), "description"
    ),
    "removing a uid with CR LF": Case(lambda w: w.remove_rfid_token("04A1B2C3\r\n"), "uid"),
    "alias with CR LF": Case(lambda w: w.add_vehicle_token(CAR, "Family\r\ncar"), "alias"),
    "alias of 100,000": Case(lambda w: w.add_vehicle_token(CAR, "x" * 100_000), "alias"),
    "evcc_id with NUL": Case(lambda w: w.add_vehicle_token("00:1A\x00", "car"), "evcc_id"),
    "removing an evcc_id of 100,000": Case(
        lambda w: w.remove_vehicle_token("E" * 100_000), "evcc_id"
    ),
}

#: Constructor arguments, on every client: (host, options, words).
CONSTRUCTION: dict[str, tuple[str, dict[str, Any], str]] = {
    "timeout=10**400": ("127.0.0.1", {"timeout": HUGE}, "timeout"),
    "timeout=(1, 10**400)": ("127.0.0.1", {"timeout": (1, HUGE)}, "timeout"),
    "deadline=10**400": ("127.0.0.1", {"deadline": HUGE}, "deadline"),
    "backoff=10**400": ("127.0.0.1", {"backoff": HUGE}, "backoff"),
    "deadline=nan": ("127.0.0.1", {"deadline": float("nan")}, "deadline"),
    "a label of 64": ("a" * 64 + ".local", {}, "host"),
    "a name of 254": (".".join(["a" * 50] * 5) + ".abc", {}, "host"),
    "an empty label": ("peblar..local", {}, "host"),
}


@pytest.fixture
def sim() -> Iterator[Simulator]:
    """Firmware 1.10 or later: custom solar's settings are the charger's."""
    with Simulator(profile="future-firmware", password=PASSWORD, rate_limit=False) as simulator:
        simulator.configure(Iso15118CommunicationEnable=True)
        yield simulator


def refused_before_sending(sim: Simulator, call: Callable[[], Any], words: str) -> None:
    sent = sim.stats().requests_total
    with pytest.raises(ValueError) as info:
        call()
    assert words in str(info.value)
    assert len(str(info.value)) < 600  # a huge value is not repeated whole
    assert sim.stats().requests_total == sent


@pytest.mark.parametrize("case", sorted(LOCAL_CASES))
@pytest.mark.parametrize("kind", sorted(LOCAL))
def test_local_arguments(kind: str, case: str, sim: Simulator) -> None:
    with LOCAL[kind](sim.host, sim.token, memory=ChargerMemory()) as charger:
        refused_before_sending(
            sim, lambda: LOCAL_CASES[case].call(charger), LOCAL_CASES[case].words
        )


@pytest.mark.parametrize("case", sorted(WEB_CASES))
@pytest.mark.parametrize("kind", sorted(WEB))
def test_web_arguments(kind: str, case: str, sim: Simulator) -> None:
    with WEB[kind](sim.host, PASSWORD) as web:
        refused_before_sending(sim, lambda: WEB_CASES[case].call(web), WEB_CASES[case].words)


@pytest.mark.parametrize("case", sorted(CONSTRUCTION))
@pytest.mark.parametrize("kind", sorted(LOCAL | WEB))
def test_construction(kind: str, case: str, sim: Simulator) -> None:
    host, options, words = CONSTRUCTION[case]
    secret = sim.token if kind in LOCAL else PASSWORD
    build = (LOCAL | WEB)[kind]
    refused_before_sending(sim, lambda: build(host, secret, **options), words)


@pytest.mark.parametrize("kind", sorted(LOCAL))
def test_from_password_checks_its_options_before_logging_in(kind: str, sim: Simulator) -> None:
    build = LOCAL[kind]
    refused_before_sending(
        sim, lambda: build.from_password(sim.host, PASSWORD, protect_relays="yes"), "protect_relays"
    )


@pytest.mark.parametrize("road", ["generated", "generated-asyncio"])
def test_the_generated_roads_check_the_host_as_the_clients_do(road: str) -> None:
    """aiohttp would raise a raw UnicodeError for this host on its first request."""
    import pyPeblar
    import pyPeblar.aio
    from pyPeblar import Configuration

    package: Any = pyPeblar.aio if road.endswith("asyncio") else pyPeblar
    configuration = Configuration(host=f"http://{'a' * 64}.local/api/wlac/v1")
    with pytest.raises(ValueError, match="host"):
        package.ApiClient(configuration)
