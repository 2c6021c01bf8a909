"""The synchronous Modbus engine: pymodbus's ``ModbusTcpClient``, under the policy.

Every request follows the same policy as the REST road (``policy.Attempts``): the call's
deadline, retries with back-off for what is safe to repeat, the error it ends in. pymodbus's
client connects, frames, sends and reads, with its own retries off (``retries=0``); this module
gives each attempt its time, and ``request`` says what the outcome was:

- the client's one timeout (``comm_params.timeout_connect``: pymodbus connects and waits for an
  answer with it) is set before each step to the policy's connect or read timeout, within what is
  left of the call's deadline;
- pymodbus waits that timeout for each piece of an answer, so a charger that drips bytes could hold
  it longer: the answer's deadline is on ``watchdog``'s list too, which shuts the connection down
  when it passes;
- pymodbus cannot tell that the charger closed an idle connection until a request on it fails: a
  connection with something to read before a request is sent (the charger's close, or bytes
  nobody asked for) is closed and a new one made (``urllib3.util.wait_for_read``, the check
  urllib3 makes of its own pooled connections).

Every read is safe to repeat, and so is every write pyPeblar makes: each sets a register to an
absolute value (a limit, a phase flag), so a repeated write leaves the charger as one would, as
the REST API's PATCH does. After any failure but a Modbus exception answer the connection is
closed, so a late answer to one request can never be taken for the answer to the next.
``aio_link`` is the asyncio twin.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from urllib3.util import wait_for_read

from pyPeblar._errors import PeblarError
from pyPeblar._modbus.request import TRANSPORT_ERRORS, ModbusTcpClient, Request, attempts_for
from pyPeblar._modbus.watchdog import shut_down, watching
from pyPeblar._transport.policy import Attempts, Policy

__all__ = ["ModbusLink"]


class ModbusLink:
    """Reads and writes of one charger's registers under ``policy``. Thread-safe.

    ``where`` is ``host:port``; ``unit`` the Modbus unit (device) id.
    """

    def __init__(self, host: str, port: int, unit: int, policy: Policy, where: str) -> None:
        self.unit, self.policy, self.where = unit, policy, where
        self.closed = False
        self._lock = threading.Lock()
        self._client: Any = ModbusTcpClient(  # Any: pymodbus leaves connect() and close() untyped
            host, port=port, name=where, retries=0, timeout=policy.connect_timeout
        )

    def close(self) -> None:
        """Close the connection; later requests raise ``PeblarClosedError``.

        A request in flight in another thread ends at once (its connection shut down, as the
        watchdog does), and that thread closes the client when it is done with it.
        """
        self.closed = True
        if self._lock.acquire(blocking=False):
            try:
                self._client.close()
            finally:
                self._lock.release()
        elif (sock := self._client.socket) is not None:
            shut_down(sock)

    def read(self, table: int, address: int, count: int) -> list[int]:
        """``count`` registers of ``table`` from ``address``."""
        return self._request(Request(self.unit, table, address, count=count))

    def write(self, table: int, address: int, words: list[int]) -> None:
        """Write ``words`` to the holding registers from ``address``."""
        self._request(Request(self.unit, table, address, words=words))

    def _request(self, request: Request) -> list[int]:
        attempts = attempts_for(self.policy, request, self.where)
        while True:
            outcome = self._attempt(request, attempts)
            if not isinstance(outcome, PeblarError):
                return outcome
            time.sleep(attempts.failed(outcome, closed=self.closed))

    def _attempt(self, request: Request, attempts: Attempts) -> list[int] | PeblarError:
        """One try: the registers, or the error it ended in (returned, not raised)."""
        if not self._lock.acquire(timeout=attempts.remaining()):
            return request.busy()
        try:
            if self.closed:
                return request.closed()
            return self._exchange(request, attempts)
        finally:
            if self.closed:  # closed while this request was in flight
                self._client.close()
            self._lock.release()

    def _exchange(self, request: Request, attempts: Attempts) -> list[int] | PeblarError:
        client = self._client
        if client.socket is not None and wait_for_read(client.socket, timeout=0):
            client.close()  # the charger closed it while idle, or sent what nobody asked for
        if client.socket is None:
            seconds = self._give(min(self.policy.connect_timeout, attempts.remaining()))
            started = time.monotonic()
            if not client.connect():
                return request.connect_failed(self.where, seconds, time.monotonic() - started)
        seconds = self._give(min(self.policy.read_timeout, attempts.remaining()))
        started = time.monotonic()
        with watching() as watch:
            watch.arm(client.socket, seconds)
            try:
                pdu = request.send(client)
            except TRANSPORT_ERRORS as exc:
                client.close()
                elapsed = time.monotonic() - started
                return request.exchange_failed(
                    self.where, exc, seconds, elapsed, expired=watch.expired
                )
        return request.outcome(pdu, client)

    def _give(self, seconds: float) -> float:
        """pymodbus's one timeout, to connect and for an answer, for the next step."""
        client = self._client
        client.comm_params.timeout_connect = seconds
        client.transaction.comm_params.timeout_connect = seconds  # the answer's (a copy)
        return seconds
