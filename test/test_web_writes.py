"""Every web write is confirmed, and every failed one says whether it applied: one set of test
functions over every write method of both web clients.

A write returns only when the charger's read-back shows it. Against a charger that takes a write
and keeps its old values (the simulator's ``ignore`` fault), each raises
``PeblarStateTimeoutError`` with ``applied`` False, saying what the charger reports. A refusal
(403, 404) did not apply; a write that reached no charger neither (``request_sent`` False); a
write whose answer was lost is decided by the read-back. ``WRITES`` and ``SENT_ONCE`` list every
write; ``test_every_public_method_is_classified`` keeps them complete.
"""

from __future__ import annotations

import inspect
import socket
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import pytest

from pyPeblar import (
    PeblarAuthenticationError,
    PeblarError,
    PeblarStateTimeoutError,
    PeblarWeb,
)
from pyPeblar.simulator import Simulator
from test.conftest import FAST

PASSWORD = "correct horse battery"
WEEK: dict[str, list[dict[str, int]]] = {
    day: [] for day in ("Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
} | {"Monday": [{"CurrentLimit": 16, "StartTime": 1320}]}
CAR = "00:1A:2B:3C:4D:5E"


class Write(NamedTuple):
    """A write of the web clients: how to call it, its request, and what the charger reports
    when it keeps its old values (words the error must hold)."""

    call: Callable[[Any], Any]
    method: str
    path: str
    reported: str
    setup: Callable[[Simulator, Any], None] = lambda sim, web: None


def iso15118(sim: Simulator, web: Any) -> None:
    sim.configure(Iso15118CommunicationEnable=True)


def iso15118_with_a_car(sim: Simulator, web: Any) -> None:
    iso15118(sim, web)
    web.add_vehicle_token(CAR, "Family car")


CONFIG = "/api/v1/config/user"
CARDS = "/api/v1/config/auth/standalonelist"
CARS = "/api/v1/config/auth/vehicle-standalonelist"

#: Every write the clients confirm by reading back, by method name.
WRITES: dict[str, Write] = {
    "update_user_configuration": Write(
        lambda web: web.update_user_configuration(HmiBuzzerVolume=4),
        "PATCH",
        CONFIG,
        "reports HmiBuzzerVolume=1",
    ),
    "set_smart_charging_mode": Write(
        lambda web: web.set_smart_charging_mode("fast_solar"),
        "PATCH",
        CONFIG,
        "SolarChargingEnable=False, SolarChargingMode='PureSolar'",
    ),
    "set_led": Write(
        lambda web: web.set_led(percent=22), "PATCH", CONFIG, "HmiLedIntensityManual=0"
    ),
    "set_buzzer_volume": Write(
        lambda web: web.set_buzzer_volume(3), "PATCH", CONFIG, "reports HmiBuzzerVolume=1"
    ),
    "set_socket_locked": Write(
        lambda web: web.set_socket_locked(True), "PATCH", CONFIG, "UserKeepSocketLocked=False"
    ),
    "set_local_rest_api": Write(
        lambda web: web.set_local_rest_api(True, "ReadOnly"),
        "PATCH",
        CONFIG,
        "LocalRestApiAccessMode='ReadWrite'",
    ),
    "set_modbus": Write(
        lambda web: web.set_modbus(False, "ReadWrite"),
        "PATCH",
        CONFIG,
        "ModbusServerAccessMode='ReadOnly', ModbusServerEnable=True",
    ),
    "local_api_token": Write(
        lambda web: web.local_api_token("ReadOnly"),
        "PATCH",
        CONFIG,
        "LocalRestApiAccessMode='ReadWrite'",
    ),
    "renew_api_token": Write(
        lambda web: web.renew_api_token(), "POST", "/api/v1/config/api-token", "the same token"
    ),
    "add_rfid_token": Write(
        lambda web: web.add_rfid_token("0A0B0C0D", "Guest card"),
        "POST",
        CARDS,
        "the card not on its list",
    ),
    "remove_rfid_token": Write(
        lambda web: web.remove_rfid_token("04A1B2C3"),
        "DELETE",
        f"{CARDS}/04A1B2C3",
        "the card listed as 'Garage card'",
    ),
    "add_vehicle_token": Write(
        lambda web: web.add_vehicle_token(CAR, "Family car"),
        "POST",
        CARS,
        "the vehicle not on its list",
        iso15118,
    ),
    "remove_vehicle_token": Write(
        lambda web: web.remove_vehicle_token(CAR),
        "DELETE",
        f"{CARS}/{CAR}",
        "the vehicle listed as 'Family car'",
        iso15118_with_a_car,
    ),
    "set_charging_schedules": Write(
        lambda web: web.set_charging_schedules(WEEK),
        "POST",
        "/api/v1/config/scheduledcharging/schedules",
        "reports Monday []",
    ),
}

#: Writes with no state to read back: their success answer is the confirmation (an LED blinks,
#: the cable is released once, the charger goes down). A failure still says what is known.
SENT_ONCE: dict[str, Write] = {
    "identify": Write(lambda web: web.identify(), "PUT", "/api/v1/system/identify", ""),
    "reboot": Write(lambda web: web.reboot(), "POST", "/api/v1/system/reboot", ""),
    "start_update": Write(
        lambda web: web.start_update("Customization"),
        "POST",
        "/api/v1/system/software/automatic-update/update",
        "",
    ),
    "unlock_socket": Write(
        lambda web: web.unlock_socket(), "POST", "/api/v1/system/socket-unlock", ""
    ),
}
#: The rest: reads, and the session.
READS = {
    "api_token",
    "auth_status",
    "available_versions",
    "charging_schedules",
    "energy_history",
    "meter_history",
    "ntp_sync",
    "plug_state",
    "rfid_tokens",
    "session_graph",
    "smart_charging_mode",
    "system_information",
    "user_configuration",
    "vehicle_tokens",
    "versions",
    "web_interface_mode",
    "events",  # a stream of what the charger pushes (test/test_events.py)
}
SESSION = {"close", "login", "logout", "from_env"}


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator(password=PASSWORD, rate_limit=False) as simulator:
        simulator.reboot_duration = 0.2
        yield simulator


def prepared(name: str, sim: Simulator, web: Any) -> Write:
    write = WRITES.get(name) or SENT_ONCE[name]
    write.setup(sim, web)
    web.login()
    sim.reset_stats()
    return write


def test_every_public_method_is_classified() -> None:
    """A new write cannot be forgotten here: every public method is a confirmed write, a write
    whose answer confirms it, a read, or the session's."""
    from pyPeblar import AsyncPeblarWeb

    for cls in (PeblarWeb, AsyncPeblarWeb):
        public = {
            name
            for name, member in inspect.getmembers(cls)
            if not name.startswith("_") and callable(member)
        }
        assert public == set(WRITES) | set(SENT_ONCE) | READS | SESSION, cls


@pytest.mark.parametrize("name", sorted(WRITES))
def test_a_write_the_charger_keeps_out_is_not_confirmed(
    name: str, sim: Simulator, web: Any
) -> None:
    write = prepared(name, sim, web)
    before = sim.user_configuration, sim.rfid_tokens
    fault = sim.inject("ignore", path=write.path, method=write.method)
    with pytest.raises(PeblarStateTimeoutError) as info:
        write.call(web)
    assert fault.hits == 1  # sent once
    assert info.value.applied is False
    assert "the charger answered the write of" in str(info.value)
    assert write.reported in str(info.value)
    assert (sim.user_configuration, sim.rfid_tokens) == before


@pytest.mark.parametrize("name", sorted(WRITES))
def test_a_write_the_charger_takes_is_confirmed(name: str, sim: Simulator, web: Any) -> None:
    write = prepared(name, sim, web)
    write.call(web)
    assert sim.stats().by_route[f"{write.method} {write.path}"] == 1


@pytest.mark.parametrize("applied", [True, False], ids=["applied", "not applied"])
@pytest.mark.parametrize("name", sorted(WRITES))
def test_a_lost_answer_is_decided_by_the_read_back(
    name: str, applied: bool, sim: Simulator, web: Any
) -> None:
    """A 503 after the write (retries of a PATCH or DELETE included) proves nothing: the state
    read back decides whether the call succeeds or raises with ``applied`` False."""
    write = prepared(name, sim, web)
    sim.inject(
        "status", path=write.path, method=write.method, status=503, apply=applied, times=None
    )
    if applied:
        write.call(web)
        return
    with pytest.raises(PeblarError) as info:
        write.call(web)
    assert info.value.applied is False
    assert info.value.request_sent is True


@pytest.mark.parametrize("status", [403, 404])
@pytest.mark.parametrize("name", sorted(WRITES | SENT_ONCE))
def test_a_refused_write_did_not_apply(name: str, status: int, sim: Simulator, web: Any) -> None:
    write = prepared(name, sim, web)
    sim.inject("status", path=write.path, method=write.method, status=status, times=None)
    with pytest.raises(PeblarError) as info:
        write.call(web)
    assert (info.value.applied, info.value.request_sent) == (False, True)
    assert getattr(info.value, "status", None) == status
    assert sim.stats().by_route[f"{write.method} {write.path}"] == 1


@pytest.mark.parametrize("name", sorted(WRITES | SENT_ONCE))
def test_a_write_to_nothing_did_not_apply(name: str, web_class: Any) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]  # bound, never listening: every connection is refused
        with web_class(f"127.0.0.1:{port}", PASSWORD, **FAST) as client:
            with pytest.raises(PeblarError) as info:
                (WRITES.get(name) or SENT_ONCE[name]).call(client)
    assert (info.value.applied, info.value.request_sent) == (False, False)


def test_a_post_refused_with_401_is_sent_once_more_after_logging_in(
    sim: Simulator, web: Any
) -> None:
    """The charger forgot the session: it refused the POST, so sending it again after the
    log-in does it once."""
    web.login()
    sim.inject("status", path=CARDS, method="POST", status=401)
    web.add_rfid_token("0A0B0C0D", "Guest card")
    assert sim.stats().by_route[f"POST {CARDS}"] == 2
    assert sim.stats().by_route["POST /api/v1/auth/login"] == 2
    assert sim.rfid_tokens["0A0B0C0D"] == "Guest card"


def test_a_401_after_logging_in_again_speaks_of_the_password(sim: Simulator, web: Any) -> None:
    web.login()
    sim.inject("status", path=CARDS, method="POST", status=401, times=None)
    with pytest.raises(PeblarAuthenticationError) as info:
        web.add_rfid_token("0A0B0C0D", "Guest card")
    assert "password" in str(info.value) and "token" not in str(info.value)
    assert "PEBLAR_PASSWORD" in info.value.hint
    assert (info.value.applied, sim.stats().by_route[f"POST {CARDS}"]) == (False, 2)


def test_a_wrong_password_hints_at_the_password(web_class: Any, sim: Simulator) -> None:
    with web_class(sim.host, "not the password", **FAST) as client:
        with pytest.raises(PeblarAuthenticationError) as info:
            client.set_buzzer_volume(2)
    assert "PEBLAR_PASSWORD" in info.value.hint
    assert info.value.applied is False
