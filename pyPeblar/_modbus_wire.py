"""What both Modbus engines share, engine-free: a request's bytes, and what its answer means.

pymodbus encodes every request and decodes every answer (its ``FramerSocket`` and PDU classes:
the Modbus TCP header, function codes, exception answers). The two engines, ``_modbus_link``
over a socket and ``_aio_modbus_link`` over asyncio streams, only move the bytes, so they cannot
read an answer differently. They do their own I/O, rather than use pymodbus's clients, for the
policy's sake: those clients retry on their own, report a refused connection and a timeout alike
(as ``False`` from ``connect()``), and the asyncio one waits a full timeout on a connection the
charger closed. Here every failure becomes a ``PeblarError`` that says what happened.
"""

from __future__ import annotations

import logging
import socket
import struct
from collections.abc import Iterator
from typing import Final

from pyPeblar._errors import (
    PeblarConnectionError,
    PeblarConnectionTimeoutError,
    PeblarError,
    PeblarInvalidResponseError,
    PeblarModbusError,
)
from pyPeblar._exchange import describe
from pyPeblar._modbus_map import INPUT

#: What to install when pymodbus is missing.
MODBUS_EXTRA: Final = "pyPeblar's Modbus clients need pymodbus: pip install 'pyPeblar[modbus]'"

try:
    from pymodbus.framer import FramerSocket
    from pymodbus.pdu import DecodePDU, ExceptionResponse
    from pymodbus.pdu.register_message import (
        ReadHoldingRegistersRequest,
        ReadInputRegistersRequest,
        WriteMultipleRegistersRequest,
    )
except ImportError:
    raise ImportError(MODBUS_EXTRA) from None

# pymodbus logs what its framer skips; like pyPeblar's own, its messages go where the
# application's logging sends them, and nowhere (not to stderr) without it.
logging.getLogger("pymodbus").addHandler(logging.NullHandler())

__all__ = ["HEADER", "MODBUS_EXTRA", "Request", "connect_error", "exchange_error"]

#: The Modbus TCP header before the length-counted rest: transaction, protocol, length.
HEADER: Final = 6
#: The longest a Modbus TCP answer's rest may be (unit id and a 253-byte PDU).
MAX_REST: Final = 254
_HEADER = struct.Struct(">HHH")
#: Transaction ids wrap here (any 16-bit value is allowed).
MAX_TID: Final = 0xFFFF


class Request:
    """One Modbus request to a charger: its bytes, and the reading of its answer.

    ``what`` names it for errors and logs (``"read of input registers 30000-30027"``).
    """

    __slots__ = ("address", "count", "frame", "framer", "tid", "unit", "what", "write")

    def __init__(
        self,
        unit: int,
        tid: int,
        *,
        table: int,
        address: int,
        count: int = 0,
        words: list[int] | None = None,
    ) -> None:
        self.unit, self.tid, self.address = unit, tid, address
        self.write = words is not None
        self.count = len(words) if words is not None else count
        pdu = (
            WriteMultipleRegistersRequest(address=address, registers=words, dev_id=unit)
            if words is not None
            else (ReadInputRegistersRequest if table == INPUT else ReadHoldingRegistersRequest)(
                address=address, count=count, dev_id=unit
            )
        )
        pdu.transaction_id = tid
        self.framer = FramerSocket(DecodePDU(False))
        self.frame = self.framer.buildFrame(pdu)
        kind = "input" if table == INPUT else "holding"
        verb = "write" if self.write else "read"
        self.what = f"{verb} of {kind} registers {address}-{address + self.count - 1}"

    @classmethod
    def of(
        cls,
        tids: Iterator[int],
        unit: int,
        table: int,
        address: int,
        *,
        count: int = 0,
        words: list[int] | None = None,
    ) -> Request:
        """A request with the next transaction id of ``tids`` (a shared ``itertools.count``:
        ``next()`` of one is atomic, so threads may share it)."""
        tid = next(tids) % MAX_TID + 1
        return cls(unit, tid, table=table, address=address, count=count, words=words)

    def rest_size(self, header: bytes) -> int:
        """How many bytes follow the answer's ``header``; raises if it is no answer to this."""
        tid, protocol, length = _HEADER.unpack(header)
        if tid != self.tid or protocol != 0 or not 2 < length <= MAX_REST:
            raise self.invalid(
                f"not an answer to it (transaction {tid}, protocol {protocol}, length {length})"
            )
        return int(length)

    def answer(self, header: bytes, rest: bytes) -> list[int]:
        """The registers read (nothing for a write); a ``PeblarError`` for anything else."""
        try:
            _, pdu = self.framer.handleFrame(header + rest, self.unit, self.tid)
        except Exception as exc:  # pymodbus raises several kinds on a malformed PDU
            raise self.invalid(f"a malformed answer ({type(exc).__name__})") from exc
        if pdu is None:
            raise self.invalid("a malformed answer (or one for another unit id)")
        if isinstance(pdu, ExceptionResponse):
            raise PeblarModbusError(
                f"Modbus {self.what}: the charger refused it",
                exception_code=pdu.exception_code,
            )
        expected = self.frame[HEADER + 1]  # the request's function code
        if pdu.function_code != expected:
            raise self.invalid(f"an answer with function code {pdu.function_code}")
        if self.write:
            if (pdu.address, pdu.count) != (self.address, self.count):
                raise self.invalid(f"it confirmed {pdu.count} registers at {pdu.address}")
            return []
        registers = list(pdu.registers)
        if len(registers) != self.count:
            raise self.invalid(f"a short answer: {len(registers)} of {self.count} registers")
        return registers

    def invalid(self, problem: str) -> PeblarInvalidResponseError:
        return PeblarInvalidResponseError(
            f"Modbus {self.what}: {problem}", status=0, statusmsg=problem
        )


def connect_error(what: str, where: str, exc: BaseException, seconds: float) -> PeblarError:
    """The error for a connection that could not be made (nothing was sent)."""
    error: PeblarError
    if isinstance(exc, (TimeoutError, socket.timeout)):
        error = PeblarConnectionTimeoutError(
            f"Modbus {what}: could not connect to {where} within {seconds:g} s", request_sent=False
        )
    else:
        error = PeblarConnectionError(
            f"Modbus {what}: could not connect to {where}: {describe(exc)}",
            request_sent=False,
        )
    error.__cause__ = exc
    return error


def exchange_error(what: str, where: str, exc: BaseException, seconds: float) -> PeblarError:
    """The error for a request sent on a connection that then failed (it may have arrived)."""
    error: PeblarError
    if isinstance(exc, (TimeoutError, socket.timeout)):
        error = PeblarConnectionTimeoutError(
            f"Modbus {what}: {where} did not answer within {seconds:g} s", request_sent=True
        )
    else:
        error = PeblarConnectionError(
            f"Modbus {what}: lost the connection to {where}: {describe(exc)}",
            request_sent=True,
        )
    error.__cause__ = exc
    return error
