"""The simulated charger's Modbus TCP server: pymodbus's server, in a thread of its own.

It serves the register map (``pyPeblar._modbus.registers``) from the same ``Charger`` as the
REST and web APIs: each request's registers are filled from the charger's state as the REST API
would answer it, and a write of the holding registers acts on the charger (the Modbus limit, its own
limit source "Local Modbus API"; the phase flag, as ``Force1Phase``). What real chargers do that
Peblar's document does not say, and what this server does instead (docs/simulator.md):

- a single-phase charger answers "illegal data address" (2) for its phase 2 and 3 registers;
- with ``ModbusServerEnable`` off (the web settings) it closes every connection without an answer;
- with ``ModbusServerAccessMode`` ReadOnly, a write is answered "illegal function" (1);
- a value the REST API would refuse (over the maximum, one phase on a unit that cannot) is
  answered "illegal data value" (3).

pymodbus is imported only here, and this module only when a Modbus port is asked for: the rest
of the simulator stays standard library only. pymodbus's server is asyncio; the simulator is a
threaded standard-library server, so this one runs its own event loop in its own thread.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import socket
import struct
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Final

from pyPeblar._modbus.registers import (
    CP_STATES,
    HOLDING,
    LIMIT_SOURCES,
    NO_SIGNAL,
    REGISTERS,
    WRITABLE,
    Register,
)
from pyPeblar.simulator._reply import RefusedError

try:
    from pymodbus.constants import ExcCodes
    from pymodbus.server import ModbusTcpServer
    from pymodbus.simulator import DataType, SimData, SimDevice
except ImportError:
    raise ImportError(
        "the simulator's Modbus server needs pymodbus: pip install 'pyPeblar[modbus]'"
    ) from None

if TYPE_CHECKING:
    from pyPeblar.simulator._charger import Charger
    from pyPeblar.simulator._faults import FaultList
    from pyPeblar.simulator._state import Counters

__all__ = ["MODBUS_FAULT_KINDS", "MODBUS_PATH", "ModbusServer"]

logging.getLogger("pymodbus").addHandler(logging.NullHandler())

#: The ``path`` of Modbus faults (``Simulator.inject_modbus``), which the REST API never matches.
MODBUS_PATH: Final = "modbus"
#: The faults the Modbus server plays, and whether a write acts first unless ``apply=`` says: no
#: answer for ``seconds``; the connection closed without an answer; an exception answer with
#: ``code`` (default 4, server device failure); a write answered as done but not carried out;
#: and the ``GARBLED`` ones.
MODBUS_FAULT_KINDS: Final = {
    "hang": False,
    "drop": False,
    "exception": False,
    "ignore": False,
    "short": True,
    "garbage": True,
    "other-unit": True,
    "drip": True,
}
#: Faults that carry the request out and garble its answer on the way out (``_garbled``): one
#: register fewer than asked (a write's answer confirms one fewer); a function code no standard
#: has; another unit id than the request's; the answer one byte every ``seconds`` (default 0.2).
GARBLED: Final = frozenset({"short", "garbage", "other-unit", "drip"})
#: A function code no Modbus document defines, for the ``garbage`` fault.
UNKNOWN_FUNCTION: Final = 0x55
#: The words of each letter and source text, the map's tables read backwards.
CP_LETTERS: Final = {text: ord(letter) for letter, text in CP_STATES.items()}
SOURCE_NUMBERS: Final = {text: number for number, text in enumerate(LIMIT_SOURCES) if text}
FIRST_HOLDING: Final = min(row.address for row in REGISTERS if row.table == HOLDING)
#: The holding registers a write acts on, as the map places them.
LIMIT: Final = WRITABLE["charge_current_limit"]
PHASE: Final = WRITABLE["force1_phase"]


def _key(field: str) -> str:
    """The REST API's key of a model field: ``force1_phase`` is ``Force1Phase``."""
    return "".join(part.capitalize() for part in field.split("_"))


def _words(row: Register, value: Any) -> list[int]:
    """``value`` of the REST API's answer as ``row``'s registers (what the map's decoders read)."""
    if isinstance(value, str):
        raw = value.encode("ascii", "replace")[: 2 * row.size].ljust(2 * row.size, b"\0")
        return list(struct.unpack(f">{row.size}H", raw))
    if isinstance(value, list):  # active codes: one a register, 0 for a free slot
        return [*value[: row.size], *[0] * (row.size - len(value))]
    number = int(value or 0)
    return [(number >> (16 * shift)) & 0xFFFF for shift in reversed(range(row.size))]


def _letter(cp_state: str | None) -> int:
    """The register of a REST ``CpState``: its letter (``State C2`` of newer firmware is C)."""
    if cp_state in CP_LETTERS:
        return CP_LETTERS[cp_state]
    if cp_state and cp_state.startswith("State ") and len(cp_state) > len("State "):
        return ord(cp_state[len("State ")])
    return CP_LETTERS["unknown state"]


def _source(text: str | None) -> int:
    """The register of a REST ``ChargeCurrentLimitSource``; one the map lacks is 19, the number
    the next firmware would give it."""
    if not text:
        return 0
    return SOURCE_NUMBERS.get(text, len(LIMIT_SOURCES))


#: The REST API's key of each register's field, worked out once.
REST_KEYS: Final = {row.field: _key(row.field) for row in REGISTERS}
#: The registers that do not hold the REST API's value as it is: field -> the value they hold,
#: from the charger and the REST API's answer for the row's model.
CONVERTED: Final[dict[str, Callable[[Charger, dict[str, Any]], Any]]] = {
    "charge_current_limit": lambda charger, _: charger.modbus_limit,
    "cp_state": lambda _, answer: _letter(answer.get("CpState")),
    "charge_current_limit_source": lambda _, answer: _source(
        answer.get("ChargeCurrentLimitSource")
    ),
    "wlan_signal_strength": lambda _, answer: answer.get("WlanSignalStrength") or NO_SIGNAL,
    "cellular_signal_strength": lambda _, answer: answer.get("CellularSignalStrength") or NO_SIGNAL,
}


def _value(row: Register, charger: Charger, answer: dict[str, Any]) -> Any:
    """What ``row`` holds, from the REST API's ``answer`` for its model."""
    convert = CONVERTED.get(row.field)
    return answer.get(REST_KEYS[row.field]) if convert is None else convert(charger, answer)


class _Listener(ModbusTcpServer):
    """pymodbus's server, with each connection's answers handed to ``outgoing`` on their way out
    (pymodbus's ``trace_packet`` hook, set per connection so a fault can write to it later)."""

    outgoing: Callable[[Any, bool, bytes], bytes]

    def callback_new_connection(self) -> Any:
        make: Any = super().callback_new_connection  # pymodbus leaves it untyped
        handler = make()
        handler.trace_packet = functools.partial(self.outgoing, handler)
        return handler


class ModbusServer:
    """The Modbus server of one simulated charger, on ``host:port`` (0: a free port)."""

    def __init__(
        self, charger: Charger, faults: FaultList, counters: Counters, host: str, port: int
    ) -> None:
        self.charger, self.faults, self.counters = charger, faults, counters
        self._bind = (host, port)
        self.port = port
        #: While the charger reboots, requests get no answer and their connection is closed.
        self.down = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: ModbusTcpServer | None = None
        self._thread: threading.Thread | None = None
        #: A ``GARBLED`` fault's kind and options, for the next answer sent.
        self._garble: tuple[str, dict[str, Any]] | None = None

    # -- lifecycle --------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._thread is not None

    def start(self) -> None:
        """Listen, in a thread with its own event loop; returns once the port is bound."""
        ready = threading.Event()
        failure: list[BaseException] = []
        self._thread = threading.Thread(
            target=self._run, args=(ready, failure), name="peblar-simulator-modbus", daemon=True
        )
        self._thread.start()
        ready.wait()
        if failure:
            self._thread = None
            raise failure[0]

    def _run(self, ready: threading.Event, failure: list[BaseException]) -> None:
        loop = self._loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(self._listen())
        except BaseException as exc:  # handed to start(), in the caller's thread
            failure.append(exc)
            ready.set()
            loop.close()
            return
        ready.set()
        loop.run_forever()
        loop.close()

    async def _listen(self) -> None:
        device = SimDevice(id=0, simdata=self._registers(), action=self._act)  # every unit id
        self._server = _Listener(device, address=self._bind)
        self._server.outgoing = self._outgoing
        try:
            await self._server.serve_forever(background=True)
        except RuntimeError:  # pymodbus logs why, and says only that it could not listen
            raise _why_not_listening(*self._bind) from None
        listener: Any = self._server.transport
        self.port = listener.sockets[0].getsockname()[1]

    def stop(self) -> None:
        """Close the listener and every connection, and end the thread."""
        loop, server, thread = self._loop, self._server, self._thread
        if loop is None or server is None or thread is None:
            return
        asyncio.run_coroutine_threadsafe(self._shutdown(server), loop).result(timeout=5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=5)
        self._loop = self._server = self._thread = None
        self._bind = (self._bind[0], self.port)  # started again, it comes back on the same port

    @staticmethod
    async def _shutdown(server: ModbusTcpServer) -> None:
        """Close the server, and end the answers still waiting (a ``hang`` fault's)."""
        shutdown: Any = server.shutdown  # pymodbus leaves it untyped
        await shutdown()
        for task in asyncio.all_tasks():
            if task is not asyncio.current_task():
                task.cancel()

    @staticmethod
    def _registers() -> list[SimData]:
        """The map's registers as pymodbus's: an address no row has is answered "illegal data
        address" by pymodbus itself, and a write to an input register too (read-only)."""
        return [
            SimData(
                row.address,
                count=row.size,
                values=0,
                datatype=DataType.REGISTERS,
                readonly=row.table != HOLDING,
            )
            for row in REGISTERS
        ]

    # -- one request ------------------------------------------------------------------------------

    async def _act(  # noqa: PLR0917 - pymodbus's action signature
        self,
        function_code: int,
        start_address: int,
        address: int,
        count: int,
        registers: list[int],
        values: list[int] | list[bool] | None,
    ) -> ExcCodes | None:
        """Fill the requested registers from the charger, or apply a write; or play a fault."""
        write = values is not None and function_code in (6, 16)
        self.counters.request(f"MODBUS {'WRITE' if write else 'READ'}")
        holding = function_code in (3, 6, 16)
        if holding != (address >= FIRST_HOLDING):  # the tables share pymodbus's one block
            return ExcCodes.ILLEGAL_ADDRESS
        if self.down or self.charger.settings.get("ModbusServerEnable") is not True:
            self._drop_connections()
            return None
        fault = self.faults.take("WRITE" if write else "READ", MODBUS_PATH, None, exact=True)
        if fault is not None and fault.kind in GARBLED:  # carried out; its answer garbled
            self._garble, fault = (fault.kind, fault.options), None
        if fault is not None and fault.kind == "ignore" and write:
            return None  # answered as written; the registers stay as they were
        if fault is not None and not fault.apply:
            return await self._play(fault.kind, fault.options)
        if write:
            result = self._write(address, [int(value) for value in values or []])
        else:
            result = self._read(address, count, start_address, registers)
        if fault is not None:
            return await self._play(fault.kind, fault.options)
        return result

    def _read(self, address: int, count: int, start: int, registers: list[int]) -> ExcCodes | None:
        wanted = range(address, address + count)
        rows = [row for row in REGISTERS if row.address < wanted.stop and row.end > wanted.start]
        if self.charger.profile.phase_count == 1 and any(row.optional for row in rows):
            return ExcCodes.ILLEGAL_ADDRESS  # a single-phase unit has no phase 2 and 3 registers
        for row, words in self._values(rows):
            registers[row.address - start : row.end - start] = words
        return None

    def _values(self, rows: Sequence[Register]) -> list[tuple[Register, list[int]]]:
        """The registers of ``rows``, from what the REST API answers now (one call a model)."""
        charger = self.charger
        reads = {
            "meter": charger.meter,
            "system": charger.system,
            "ev_interface": charger.ev_interface,
        }
        answers = {model: reads[model]() for model in {row.model for row in rows}}
        return [(row, _words(row, _value(row, charger, answers[row.model]))) for row in rows]

    def _write(self, address: int, words: list[int]) -> ExcCodes | None:
        if self.charger.settings.get("ModbusServerAccessMode") != "ReadWrite":
            return ExcCodes.ILLEGAL_FUNCTION
        image = {
            row.address + offset: word
            for row, row_words in self._values(list(WRITABLE.values()))
            for offset, word in enumerate(row_words)
        }
        image.update({address + offset: word for offset, word in enumerate(words)})
        limit = LIMIT.decode([image[at] for at in range(LIMIT.address, LIMIT.end)])
        single = image[PHASE.address]
        touched = range(address, address + len(words))
        if single > 1:
            return ExcCodes.ILLEGAL_VALUE
        try:
            self.charger.write_modbus(
                limit=None if set(touched).isdisjoint(range(LIMIT.address, LIMIT.end)) else limit,
                single=bool(single) if PHASE.address in touched else None,
            )
        except RefusedError:
            return ExcCodes.ILLEGAL_VALUE
        return None

    async def _play(self, kind: str, options: dict[str, Any]) -> ExcCodes | None:
        if kind == "hang":  # the answer comes too late: the client has given up on it
            await asyncio.sleep(float(options.get("seconds", 30)))
            return None
        if kind == "drop":
            self._drop_connections()
            return None
        if kind == "ignore":
            return None
        return ExcCodes(int(options.get("code", ExcCodes.DEVICE_FAILURE)))

    def _outgoing(self, handler: Any, sending: bool, data: bytes) -> bytes:
        """The bytes of an answer as sent: garbled once after a ``GARBLED`` fault."""
        if not sending or self._garble is None:
            return data
        (kind, options), self._garble = self._garble, None
        if kind == "garbage":
            return data[:7] + bytes([UNKNOWN_FUNCTION]) + data[8:]
        if kind == "other-unit":
            return data[:6] + bytes([(data[6] + 1) % 256]) + data[7:]
        if kind == "short":
            return _short(data)
        seconds = float(options.get("seconds", 0.2))  # drip: the rest, one byte at a time
        loop = asyncio.get_running_loop()
        for index in range(1, len(data)):
            loop.call_later(seconds * index, _send, handler, data[index : index + 1])
        return data[:1]

    def go_down(self) -> None:
        """A reboot: every connection closes now; requests get no answer until ``come_back``."""
        self.down = True
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._drop_connections)

    def come_back(self) -> None:
        """The reboot is over: requests are answered again."""
        self.down = False

    def _drop_connections(self) -> None:
        """Close every connection: the answer being made is never sent."""
        if self._server is not None:
            for connection in list(self._server.active_connections.values()):
                connection.close()


def _why_not_listening(host: str, port: int) -> OSError:
    """The ``OSError`` listening on ``host:port`` meets (a port in use: ``EADDRINUSE``), found by
    trying it as pymodbus's server did (address reuse on)."""
    try:
        with socket.create_server((host, port)):
            pass
    except OSError as error:
        return error
    return OSError(f"pymodbus's server could not listen on {host}:{port}")


def _short(frame: bytes) -> bytes:
    """``frame``, an answer, with one register fewer than asked (a consistent frame)."""
    header, function = frame[:7], frame[7]
    if function in (3, 4):  # a read: byte count, then the registers
        size = frame[8] - 2
        pdu = bytes([function, size]) + frame[9 : 9 + size]
    elif function == 16:  # a write: where it wrote, and how many registers
        pdu = frame[7:10] + (int.from_bytes(frame[10:12], "big") - 1).to_bytes(2, "big")
    else:
        return frame
    return header[:4] + (len(pdu) + 1).to_bytes(2, "big") + header[6:] + pdu


def _send(handler: Any, data: bytes) -> None:
    """A late piece of an answer, on its connection if that is still open."""
    if handler.transport is not None:
        handler.transport.write(data)
