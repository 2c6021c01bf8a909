"""The simulator's Modbus server, seen by a plain pymodbus client (none of pyPeblar's code).

Its registers must say what its REST API says, in the layout Peblar documents
(/work/shared/peblar-modbus-facts.md, docs/modbus.md): read here with pymodbus's own client and
decoded with ``struct``, written out again rather than taken from
``pyPeblar._modbus.registers``, so a mistake in the map cannot hide itself.
"""

from __future__ import annotations

import errno
import socket
import struct
from collections.abc import Iterator
from typing import Any

import pytest
from pymodbus.client import ModbusTcpClient

from pyPeblar.simulator import Simulator
from test.simulator.conftest import call

#: The REST source texts by register number, as Peblar's Modbus document lists them.
SOURCES = {
    3: "Installation limit",
    13: "Solar charging",
    15: "Local REST API",
    16: "Local Modbus API",
}


@pytest.fixture(params=["three-phase-socket", "single-phase"])
def sim(request: pytest.FixtureRequest) -> Iterator[Simulator]:
    with Simulator(modbus_port=0, profile=request.param, rate_limit=False) as simulator:
        simulator.plug_in()
        simulator.advance(600)  # some energy in the session
        yield simulator


@pytest.fixture
def client(sim: Simulator) -> Iterator[ModbusTcpClient]:
    modbus: Any = ModbusTcpClient("127.0.0.1", port=sim.modbus_port, timeout=3, retries=0)
    assert modbus.connect()
    yield modbus
    modbus.close()


def words(client: ModbusTcpClient, address: int, count: int, *, holding: bool = False) -> bytes:
    read = client.read_holding_registers if holding else client.read_input_registers
    answer = read(address, count=count, device_id=255)
    assert not answer.isError(), answer
    return struct.pack(f">{count}H", *answer.registers)


def rest(sim: Simulator, path: str) -> dict[str, Any]:
    data: dict[str, Any] = call(sim, "GET", path).json
    return data


def test_the_meter_registers_agree_with_the_rest_api(
    sim: Simulator, client: ModbusTcpClient
) -> None:
    meter = rest(sim, "/meter")
    energy_total, energy_session = struct.unpack(">qq", words(client, 30000, 8))
    assert (energy_total, energy_session) == (meter["EnergyTotal"], meter["EnergySession"])
    assert struct.unpack(">i", words(client, 30014, 2))[0] == meter["PowerTotal"]
    power1, voltage1, current1 = (
        struct.unpack(">i", words(client, address, 2))[0] for address in (30008, 30016, 30022)
    )
    assert (power1, voltage1, current1) == (
        meter["PowerPhase1"],
        meter["VoltagePhase1"],
        meter["CurrentPhase1"],
    )
    if "CurrentPhase2" in meter:
        phases = struct.unpack(">9i", words(client, 30008, 18))
        assert phases[1:3] == (meter["PowerPhase2"], meter["PowerPhase3"])
        assert phases[7:9] == (meter["CurrentPhase2"], meter["CurrentPhase3"])


def test_a_single_phase_charger_has_no_phase_2_and_3_registers(
    sim: Simulator, client: ModbusTcpClient
) -> None:
    for address in (30010, 30012, 30018, 30020, 30024, 30026):
        answer = client.read_input_registers(address, count=2, device_id=255)
        if sim.profile.phase_count == 1:
            assert answer.isError() and answer.exception_code == 2, address
        else:
            assert not answer.isError(), address
    whole = client.read_input_registers(30000, count=28, device_id=255)
    assert whole.isError() == (sim.profile.phase_count == 1)


def test_the_system_registers_agree_with_the_rest_api(
    sim: Simulator, client: ModbusTcpClient
) -> None:
    system = rest(sim, "/system")
    text = words(client, 30050, 36)
    serial, part, firmware = (text[i : i + 24].rstrip(b"\0").decode() for i in (0, 24, 48))
    assert (serial, part, firmware) == (
        system["ProductSn"],
        system["ProductPn"],
        system["FirmwareVersion"],
    )
    wlan, cellular, uptime = struct.unpack(">iiI", words(client, 30086, 6))
    assert wlan == (system.get("WlanSignalStrength") or -1000)
    assert cellular == (system.get("CellularSignalStrength") or -1000)
    assert abs(uptime - system["Uptime"]) <= 1
    phases, relays = struct.unpack(">HH", words(client, 30092, 2))
    assert (phases, bool(relays)) == (system["PhaseCount"], system["Force1PhaseAllowed"])
    sim.set_error_codes([301])
    sim.set_warning_codes([12, 14])
    codes = struct.unpack(">10H", words(client, 30100, 10))
    assert [c for c in codes[:5] if c] == rest(sim, "/system")["ActiveWarningCodes"] == [12, 14]
    assert [c for c in codes[5:] if c] == rest(sim, "/system")["ActiveErrorCodes"] == [301]


def test_the_ev_interface_registers_agree_with_the_rest_api(
    sim: Simulator, client: ModbusTcpClient
) -> None:
    ev = rest(sim, "/evinterface")
    cp, lock, source, actual = struct.unpack(">HHHI", words(client, 30110, 5))
    assert f"State {chr(cp)}" == ev["CpState"]
    assert bool(lock) == ev["LockState"]
    assert SOURCES[source] == ev["ChargeCurrentLimitSource"]
    assert actual == ev["ChargeCurrentLimitActual"]
    limit, single = struct.unpack(">IH", words(client, 40000, 3, holding=True))
    assert (limit, bool(single)) == (sim.profile.max_current_ma, ev["Force1Phase"])


def test_a_raw_write_shows_in_the_rest_api(sim: Simulator, client: ModbusTcpClient) -> None:
    answer = client.write_registers(40000, [0, 9000], device_id=255)
    assert not answer.isError(), answer
    ev = rest(sim, "/evinterface")
    assert (ev["ChargeCurrentLimitActual"], ev["ChargeCurrentLimitSource"]) == (
        9000,
        "Local Modbus API",
    )
    answer = client.write_registers(40002, [1], device_id=255)
    assert answer.isError() == (sim.profile.phase_count == 1)  # a single-phase unit refuses
    sim.advance(2)  # the switch-over, while charging, takes a second
    assert rest(sim, "/evinterface")["Force1Phase"] == (sim.profile.phase_count == 3)


def test_every_unit_id_is_answered(sim: Simulator, client: ModbusTcpClient) -> None:
    for unit in (1, 255):
        answer = client.read_input_registers(30092, count=1, device_id=unit)
        assert answer.registers == [sim.profile.phase_count]


def test_a_modbus_port_in_use_is_said_and_nothing_is_left_running(busy_port: int) -> None:
    """The error names the Modbus port (``ModbusPortError``, an ``OSError`` with its errno), and
    the HTTP server that started first is stopped again."""
    from pyPeblar.simulator._simulator import ModbusPortError

    simulator = Simulator(modbus_port=busy_port)
    with pytest.raises(ModbusPortError) as refused:
        simulator.start()
    assert refused.value.errno == errno.EADDRINUSE
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", simulator.port), timeout=5).close()
