"""The charger's Modbus register map, as data: one row per register, and what follows from it.

Peblar's Modbus API (firmware 1.6+, docs/modbus.md) carries much of what the local REST API does,
in registers instead of JSON keys. Each row of ``REGISTERS`` says where a value is (input or
holding registers, address, size), how its 16-bit words read (big-endian, high word first), and
which field of which generated model it fills, so ``PeblarModbus.meter()`` returns the very
``MeterResponse`` that ``Peblar.meter()`` does. Reads are planned from the table (``plan``):
registers next to each other are read in one request, up to the protocol's 125, and never across
a gap (a charger answers an address it lacks with an exception). A firmware that adds a register
is one row here.

Standard library only: the table, the plans and the decoding need neither pymodbus nor pydantic.
"""

from __future__ import annotations

import functools
import struct
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Final, NamedTuple

__all__ = [
    "HOLDING",
    "INPUT",
    "MAX_READ",
    "OPTIONAL",
    "REGISTERS",
    "Read",
    "Register",
    "cp_state_text",
    "decode",
    "encode",
    "limit_source_text",
    "plan",
    "split",
]

#: The two tables a Peblar has, by the function code that reads them.
INPUT: Final = 4  # input registers: read-only state
HOLDING: Final = 3  # holding registers: read and written (function 16)
#: The most registers one read may ask for (Modbus Application Protocol, function 3 and 4).
MAX_READ: Final = 125
#: A register the charger may lack: it answers an exception for it (phase 2 and 3 on a single-phase
#: unit), and the field reads None instead of the whole read failing.
OPTIONAL: Final = True
#: What the signal-strength registers hold when there is no such radio.
NO_SIGNAL: Final = -1000

Decoder = Callable[[Sequence[int]], Any]


def _unsigned(words: Sequence[int]) -> int:
    value = 0
    for word in words:
        value = value << 16 | word
    return value


def _signed(words: Sequence[int]) -> int:
    value = _unsigned(words)
    bits = 16 * len(words)
    return value - (1 << bits) if value >> (bits - 1) else value


def _text(words: Sequence[int]) -> str:
    """ASCII, two characters a register, padded with NUL (or spaces) to the end."""
    raw = struct.pack(f">{len(words)}H", *words)
    return raw.split(b"\0", 1)[0].decode("ascii", "replace").strip()


def _flag(words: Sequence[int]) -> bool:
    return words[0] != 0


def _codes(words: Sequence[int]) -> list[int]:
    """Active warning or error codes: one a register, 0 for a free slot."""
    return [word for word in words if word]


def _dbm(words: Sequence[int]) -> int | None:
    value = _signed(words)
    return None if value == NO_SIGNAL else value


#: The control-pilot state register holds one ASCII letter; the REST API's text for each.
CP_STATES: Final = {
    "A": "State A",
    "B": "State B",
    "C": "State C",
    "D": "State D",
    "E": "State E",
    "F": "State F",
    "I": "State Invalid",
    "U": "unknown state",
}


def cp_state_text(word: int) -> str:
    """The REST API's ``CpState`` text for the register's letter.

    A letter no document lists is kept as ``State <letter>`` (the REST API's pattern), anything
    that is not a printable letter as its number: read, never refused.
    """
    letter = chr(word) if 33 <= word < 127 else ""
    if letter in CP_STATES:
        return CP_STATES[letter]
    return f"State {letter}" if letter else str(word)


#: The current-limit source register's numbers, as the REST API names them (0: not known).
LIMIT_SOURCES: Final = (
    None,
    "Fixed cable",
    "High temperature",
    "Installation limit",
    "Dynamic load balancing",
    "Group load balancing",
    "Charging cable",
    "Overcurrent protection",
    "Hardware limitation",
    "Power factor",
    "OCPP smart charging",
    "Phase imbalance",
    "Local scheduled charging",
    "Solar charging",
    "Current limiter",
    "Local REST API",
    "Local Modbus API",
    "External power limit",
    "Household power limit",
)


def limit_source_text(word: int) -> str | None:
    """The REST API's ``ChargeCurrentLimitSource`` text for a number; a newer number as itself."""
    return LIMIT_SOURCES[word] if word < len(LIMIT_SOURCES) else str(word)


def _cp_state(words: Sequence[int]) -> str:
    return cp_state_text(words[0])


def _limit_source(words: Sequence[int]) -> str | None:
    return limit_source_text(words[0])


class Register(NamedTuple):
    """One value in the charger's registers, and the model field it fills."""

    model: str  # "meter", "system" or "ev_interface": the method whose model it fills
    field: str  # the generated model's field
    table: int  # INPUT or HOLDING
    address: int
    size: int  # in 16-bit registers
    decode: Decoder
    #: The charger may lack it and answer an exception (phase 2 and 3 on a single-phase unit).
    optional: bool = False

    @property
    def end(self) -> int:
        return self.address + self.size


# fmt: off
#: Peblar's registers (docs/modbus.md has the table with its sources).
REGISTERS: Final[tuple[Register, ...]] = (
    #        model           field                          table    address size decode
    Register("meter",        "energy_total",                INPUT,   30000, 4, _signed),
    Register("meter",        "energy_session",              INPUT,   30004, 4, _signed),
    Register("meter",        "power_phase1",                INPUT,   30008, 2, _signed),
    Register("meter",        "power_phase2",                INPUT,   30010, 2, _signed, OPTIONAL),
    Register("meter",        "power_phase3",                INPUT,   30012, 2, _signed, OPTIONAL),
    Register("meter",        "power_total",                 INPUT,   30014, 2, _signed),
    Register("meter",        "voltage_phase1",              INPUT,   30016, 2, _signed),
    Register("meter",        "voltage_phase2",              INPUT,   30018, 2, _signed, OPTIONAL),
    Register("meter",        "voltage_phase3",              INPUT,   30020, 2, _signed, OPTIONAL),
    Register("meter",        "current_phase1",              INPUT,   30022, 2, _signed),
    Register("meter",        "current_phase2",              INPUT,   30024, 2, _signed, OPTIONAL),
    Register("meter",        "current_phase3",              INPUT,   30026, 2, _signed, OPTIONAL),
    Register("system",       "product_sn",                  INPUT,   30050, 12, _text),
    Register("system",       "product_pn",                  INPUT,   30062, 12, _text),
    Register("system",       "firmware_version",            INPUT,   30074, 12, _text),
    Register("system",       "wlan_signal_strength",        INPUT,   30086, 2, _dbm),
    Register("system",       "cellular_signal_strength",    INPUT,   30088, 2, _dbm),
    Register("system",       "uptime",                      INPUT,   30090, 2, _unsigned),
    Register("system",       "phase_count",                 INPUT,   30092, 1, _unsigned),
    Register("system",       "force1_phase_allowed",        INPUT,   30093, 1, _flag),
    Register("system",       "active_warning_codes",        INPUT,   30100, 5, _codes),
    Register("system",       "active_error_codes",          INPUT,   30105, 5, _codes),
    Register("ev_interface", "cp_state",                    INPUT,   30110, 1, _cp_state),
    Register("ev_interface", "lock_state",                  INPUT,   30111, 1, _flag),
    Register("ev_interface", "charge_current_limit_source", INPUT,   30112, 1, _limit_source),
    Register("ev_interface", "charge_current_limit_actual", INPUT,   30113, 2, _unsigned),
    Register("ev_interface", "charge_current_limit",        HOLDING, 40000, 2, _unsigned),
    Register("ev_interface", "force1_phase",                HOLDING, 40002, 1, _flag),
)
# fmt: on


class Read(NamedTuple):
    """One read request of a plan: ``length`` registers of ``table`` from ``address``."""

    table: int
    address: int
    length: int
    registers: tuple[Register, ...]


@functools.cache
def plan(model: str, absent: frozenset[int] = frozenset()) -> tuple[Read, ...]:
    """The fewest reads that fetch ``model``'s registers, less those at ``absent`` addresses.

    Registers that follow each other without a gap go in one read, up to ``MAX_READ``.
    """
    rows = sorted(
        (row for row in REGISTERS if row.model == model and row.address not in absent),
        key=lambda row: (row.table, row.address),
    )
    return tuple(_runs(rows))


def _runs(rows: Iterable[Register]) -> Iterable[Read]:
    run: list[Register] = []
    for row in rows:
        if run and (
            row.table != run[0].table
            or row.address != run[-1].end
            or row.end - run[0].address > MAX_READ
        ):
            yield _read(run)
            run = []
        run.append(row)
    if run:
        yield _read(run)


def _read(run: list[Register]) -> Read:
    return Read(run[0].table, run[0].address, run[-1].end - run[0].address, tuple(run))


def split(read: Read) -> tuple[Read, ...]:
    """``read`` as one read per register (to find which of them the charger lacks)."""
    return tuple(_read([row]) for row in read.registers)


def decode(read: Read, words: Sequence[int]) -> dict[str, Any]:
    """The model fields of ``read``'s registers, from the words the charger answered."""
    return {
        row.field: row.decode(words[row.address - read.address : row.end - read.address])
        for row in read.registers
    }


#: The writable registers by model field.
WRITABLE: Final = {row.field: row for row in REGISTERS if row.table == HOLDING}


def encode(field: str, value: int | bool) -> tuple[int, list[int]]:
    """Where to write ``field`` and the words to write: ``(address, words)``."""
    row = WRITABLE[field]
    number = int(value)
    words = [(number >> (16 * shift)) & 0xFFFF for shift in reversed(range(row.size))]
    return row.address, words
