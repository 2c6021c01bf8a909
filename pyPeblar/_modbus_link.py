"""The synchronous Modbus engine: one charger's Modbus server, over one TCP connection.

Every request follows the same policy as the REST road (``_policy.Attempts``): the call's
deadline, retries with back-off for what is safe to repeat, the error it ends in. pymodbus
writes and reads each frame (``_modbus_wire``); this module moves the bytes over a blocking
socket, with a deadline for the whole answer (a charger dripping bytes does not stretch it).
``_aio_modbus_link`` is the asyncio twin.

Every read is safe to repeat, and so is every write pyPeblar makes: each sets a register to an
absolute value (a limit, a phase flag), so a repeated write leaves the charger as one would, as
the REST API's PATCH does. After any failure but a Modbus exception answer the connection is
closed, so a late answer to one request can never be taken for the answer to the next.
"""

from __future__ import annotations

import itertools
import select
import socket
import threading
import time

from pyPeblar._errors import (
    PeblarClosedError,
    PeblarConnectionTimeoutError,
    PeblarError,
    PeblarModbusError,
)
from pyPeblar._modbus_wire import HEADER, Request, connect_error, exchange_error
from pyPeblar._policy import Attempts, Policy, shared_limiter

__all__ = ["ModbusLink", "attempts_for"]


def attempts_for(policy: Policy, request: Request, where: str) -> Attempts:
    """The policy's attempts for one Modbus request (both engines' one decision)."""
    limiter = shared_limiter(f"modbus:{where}")  # unused: Modbus has no rate limit
    return Attempts(policy, limiter, "Modbus", f"{request.what} on {where}", retry=True)


class ModbusLink:
    """Reads and writes of one charger's registers under ``policy``. Thread-safe.

    ``where`` is ``host:port``; ``unit`` the Modbus unit (device) id.
    """

    def __init__(self, host: str, port: int, unit: int, policy: Policy, where: str) -> None:
        self.host, self.port, self.unit, self.policy, self.where = host, port, unit, policy, where
        self.closed = False
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        self._tids = itertools.count()

    def close(self) -> None:
        """Close the connection; later requests raise ``PeblarClosedError``."""
        self.closed = True
        self._drop()

    def read(self, table: int, address: int, count: int) -> list[int]:
        """``count`` registers of ``table`` from ``address``."""
        return self._request(Request.of(self._tids, self.unit, table, address, count=count))

    def write(self, table: int, address: int, words: list[int]) -> None:
        """Write ``words`` to the holding registers from ``address``."""
        self._request(Request.of(self._tids, self.unit, table, address, words=words))

    def _request(self, message: Request) -> list[int]:
        attempts = attempts_for(self.policy, message, self.where)
        while True:
            outcome = self._attempt(message, attempts)
            if not isinstance(outcome, PeblarError):
                return outcome
            time.sleep(attempts.failed(outcome, closed=self.closed))

    def _attempt(self, request: Request, attempts: Attempts) -> list[int] | PeblarError:
        """One try: the registers, or the error it ended in (returned, not raised)."""
        if not self._lock.acquire(timeout=attempts.remaining()):
            return PeblarConnectionTimeoutError(
                f"Modbus {request.what}: another request held the connection past the deadline",
                request_sent=False,
            )
        try:
            if self.closed:
                return PeblarClosedError("this Modbus client is closed")
            remaining = attempts.remaining()
            connect = min(self.policy.connect_timeout, remaining)
            try:
                sock = self._connection(connect)
            except OSError as exc:
                return connect_error(request.what, self.where, exc, connect)
            read = min(self.policy.read_timeout, attempts.remaining())
            try:
                return self._exchange(sock, request, time.monotonic() + read)
            except PeblarError as error:
                if not isinstance(error, PeblarModbusError):  # a malformed answer: start afresh
                    self._drop()
                return error
            except OSError as exc:
                self._drop()
                return exchange_error(request.what, self.where, exc, read)
        finally:
            self._lock.release()

    def _connection(self, timeout: float) -> socket.socket:
        """The open connection, or a new one (an idle one the charger closed is replaced)."""
        sock = self._sock
        if sock is not None and _closed_by_peer(sock):
            self._drop()
            sock = None
        if sock is None:
            sock = socket.create_connection((self.host, self.port), timeout=timeout)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._sock = sock
        return sock

    def _exchange(self, sock: socket.socket, request: Request, deadline: float) -> list[int]:
        sock.settimeout(max(0.001, deadline - time.monotonic()))
        sock.sendall(request.frame)
        header = _receive(sock, HEADER, deadline)
        rest = _receive(sock, request.rest_size(header), deadline)
        return request.answer(header, rest)

    def _drop(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            sock.close()


def _receive(sock: socket.socket, size: int, deadline: float) -> bytes:
    """Exactly ``size`` bytes by ``deadline``; ``TimeoutError`` or ``ConnectionError`` otherwise."""
    chunks: list[bytes] = []
    while size > 0:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("the whole answer took too long")
        sock.settimeout(remaining)
        chunk = sock.recv(size)
        if not chunk:
            raise ConnectionError("the charger closed the connection")
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def _closed_by_peer(sock: socket.socket) -> bool:
    """Whether an idle connection is unusable: closed by the other end, or holding bytes nobody
    asked for (an idle connection has nothing to read)."""
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)
