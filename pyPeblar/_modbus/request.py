"""What both Modbus engines share, engine-free: one request, and what its outcome means.

pymodbus's clients do every part of a request: ``ModbusTcpClient`` for ``PeblarModbus``,
``AsyncModbusTcpClient`` for ``AsyncPeblarModbus`` (``link``, ``aio_link``) connect,
frame the request, send it and read its answer into a PDU. This module says which of their
methods a request is (``Request.send``, the same call on either client), what the answer means
(``Request.answer``: the registers, or a ``PeblarError``), and which ``PeblarError`` a failure is,
so that the two engines cannot read an outcome differently. It imports pymodbus for both (the
clients' classes too), so a missing ``modbus`` extra is said once, here.

pymodbus reports less than the policy needs, so two things are told from the time a step took:

- ``connect()`` answers only ``False``, whether the charger refused the connection or did not
  answer: a connect that failed before its timeout was refused (or unreachable), one that took it
  whole timed out.
- pymodbus raises ``ModbusIOException`` both when no answer came within its timeout and when the
  answer could not be decoded: one raised before the timeout is a malformed answer.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Final, TypeVar

from pyPeblar._errors import (
    PeblarClosedError,
    PeblarConnectionError,
    PeblarConnectionTimeoutError,
    PeblarError,
    PeblarInvalidResponseError,
    PeblarModbusError,
)
from pyPeblar._modbus.registers import INPUT
from pyPeblar._transport.policy import Attempts, Policy, shared_limiter

#: What to install when pymodbus is missing.
MODBUS_EXTRA: Final = "pyPeblar's Modbus clients need pymodbus: pip install 'pyPeblar[modbus]'"

try:
    from pymodbus.client import AsyncModbusTcpClient, ModbusTcpClient
    from pymodbus.exceptions import ModbusException, ModbusIOException
    from pymodbus.pdu import ExceptionResponse
except ImportError:
    raise ImportError(MODBUS_EXTRA) from None

if TYPE_CHECKING:
    from pymodbus.client.mixin import ModbusClientMixin
    from pymodbus.pdu import ModbusPDU

# pymodbus logs what fails (a refused connection at ERROR, a frame it skips); like pyPeblar's own,
# its messages go where the application's logging sends them, and nowhere (not to stderr, which
# Python's last-resort handler would do) without it.
logging.getLogger("pymodbus").addHandler(logging.NullHandler())

__all__ = [
    "MODBUS_EXTRA",
    "TRANSPORT_ERRORS",
    "AsyncModbusTcpClient",
    "ModbusTcpClient",
    "Request",
    "attempts_for",
]

#: What pymodbus's clients raise for a request that failed (their own, and the socket's).
TRANSPORT_ERRORS: Final = (ModbusException, OSError)
#: A step that took this share of its timeout or more ran out of time (pymodbus's own timeouts
#: end a step at the timeout; a refusal or a malformed answer ends it well before).
TIMED_OUT: Final = 0.9
#: The function codes of pyPeblar's requests.
READ_HOLDING, READ_INPUT, WRITE_MULTIPLE = 3, 4, 16

T = TypeVar("T")


def attempts_for(policy: Policy, request: Request, where: str) -> Attempts:
    """The policy's attempts for one Modbus request (both engines' one decision)."""
    limiter = shared_limiter(f"modbus:{where}")  # unused: Modbus has no rate limit
    return Attempts(policy, limiter, "Modbus", f"{request.what} on {where}", retry=True)


class Request:
    """One Modbus request to a charger: which registers, and how pymodbus's clients ask for them.

    ``what`` names it for errors and logs (``"read of input registers 30000-30027"``).
    """

    __slots__ = ("address", "count", "function_code", "table", "unit", "what", "words")

    def __init__(
        self,
        unit: int,
        table: int,
        address: int,
        *,
        count: int = 0,
        words: list[int] | None = None,
    ) -> None:
        self.unit, self.table, self.address, self.words = unit, table, address, words
        self.count = len(words) if words is not None else count
        kind = "input" if table == INPUT else "holding"
        if words is not None:
            self.function_code, verb = WRITE_MULTIPLE, "write"
        else:
            self.function_code, verb = (READ_INPUT if table == INPUT else READ_HOLDING), "read"
        self.what = f"{verb} of {kind} registers {address}-{address + self.count - 1}"

    def send(self, client: ModbusClientMixin[T]) -> T:
        """The request, made by ``client``: its answer's PDU (or an awaitable of it)."""
        if self.words is not None:
            return client.write_registers(self.address, self.words, device_id=self.unit)
        read = client.read_input_registers if self.table == INPUT else client.read_holding_registers
        return read(self.address, count=self.count, device_id=self.unit)

    def answer(self, pdu: ModbusPDU) -> list[int]:
        """The registers read (nothing for a write); a ``PeblarError`` for anything else."""
        if isinstance(pdu, ExceptionResponse):
            raise PeblarModbusError(
                f"Modbus {self.what}: the charger refused it", exception_code=pdu.exception_code
            )
        if pdu.function_code != self.function_code:
            raise self.invalid(f"an answer with function code {pdu.function_code}")
        if self.words is not None:
            address, count = getattr(pdu, "address", None), getattr(pdu, "count", None)
            if (address, count) != (self.address, self.count):
                raise self.invalid(f"it confirmed {count} registers at {address}")
            return []
        registers = list(getattr(pdu, "registers", None) or ())
        if len(registers) != self.count:
            raise self.invalid(f"a short answer: {len(registers)} of {self.count} registers")
        return registers

    def outcome(self, pdu: ModbusPDU, client: Any) -> list[int] | PeblarError:
        """``answer``, its error returned, not raised; a malformed answer closes ``client``'s
        connection, so the next request starts afresh."""
        try:
            return self.answer(pdu)
        except PeblarError as error:
            if not isinstance(error, PeblarModbusError):
                client.close()
            return error

    def invalid(self, problem: str) -> PeblarInvalidResponseError:
        return PeblarInvalidResponseError(
            f"Modbus {self.what}: {problem}", status=0, statusmsg=problem
        )

    def busy(self) -> PeblarError:
        """The error for an attempt that never got the connection: another request held it past
        the call's deadline (nothing was sent)."""
        return PeblarConnectionTimeoutError(
            f"Modbus {self.what}: another request held the connection past the deadline",
            request_sent=False,
        )

    @staticmethod
    def closed() -> PeblarError:
        """The error for an attempt on a closed client."""
        return PeblarClosedError("this Modbus client is closed")

    def connect_failed(self, where: str, seconds: float, elapsed: float) -> PeblarError:
        """The error for a connection pymodbus could not make in ``seconds`` (nothing was sent)."""
        if elapsed >= TIMED_OUT * seconds:
            return PeblarConnectionTimeoutError(
                f"Modbus {self.what}: could not connect to {where} within {seconds:g} s",
                request_sent=False,
            )
        return PeblarConnectionError(
            f"Modbus {self.what}: could not connect to {where}: refused or unreachable",
            request_sent=False,
        )

    def exchange_failed(
        self, where: str, exc: BaseException, seconds: float, elapsed: float, *, expired: bool
    ) -> PeblarError:
        """The error for a request sent that got no usable answer (it may have arrived).

        ``expired``: the answer's deadline ended it (``watchdog``, or the engine's own wait).
        """
        error: PeblarError
        timed_out = isinstance(exc, (ModbusIOException, TimeoutError)) and (
            elapsed >= TIMED_OUT * seconds
        )
        if expired or timed_out:
            error = PeblarConnectionTimeoutError(
                f"Modbus {self.what}: {where} did not answer within {seconds:g} s",
                request_sent=True,
            )
        elif isinstance(exc, ModbusIOException):
            error = self.invalid("a malformed answer")
        else:
            error = PeblarConnectionError(
                f"Modbus {self.what}: lost the connection to {where} before the answer",
                request_sent=True,
            )
        error.__cause__ = exc
        return error
