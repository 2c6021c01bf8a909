"""The simulator keeps serving while clients misbehave: many slow ones, huge bodies, garbage."""

from __future__ import annotations

import contextlib
import socket
import threading
import time

from pyPeblar.simulator import Simulator
from test.simulator.conftest import call


def drip(port: int, stop: threading.Event) -> None:
    """A slowloris client: a header line a byte at a time, never finished."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as slow:
        for byte in b"GET /api/wlac/v1/meter HTTP/1.1\r\nX-Slow: " + b"a" * 200:
            if stop.is_set():
                return
            try:
                slow.sendall(bytes([byte]))
            except OSError:
                return  # the simulator hung up: what it should do
            time.sleep(0.05)


def test_many_slow_clients_do_not_block_a_normal_one() -> None:
    with Simulator(rate_limit=False, connection_timeout=1.0) as sim:
        stop = threading.Event()
        slow = [threading.Thread(target=drip, args=(sim.port, stop)) for _ in range(20)]
        for thread in slow:
            thread.start()
        time.sleep(0.3)
        started = time.monotonic()
        statuses = [call(sim, "GET", "/meter").status for _ in range(20)]
        elapsed = time.monotonic() - started
        stop.set()
        for thread in slow:
            thread.join(timeout=10)
        assert statuses == [200] * 20
        assert elapsed < 2.0
        assert call(sim, "GET", "/health").status == 200


def test_huge_bodies_and_garbage_from_many_clients_at_once() -> None:
    with Simulator(rate_limit=False) as sim:

        def abuse(index: int) -> None:
            with socket.create_connection(("127.0.0.1", sim.port), timeout=5) as connection:
                if index % 2:
                    head = (
                        b"PATCH /api/wlac/v1/evinterface HTTP/1.1\r\nContent-Length: 99999999\r\n"
                    )
                    connection.sendall(head + b"\r\n" + b"x" * 65536)
                else:
                    connection.sendall(bytes(range(256)) * 40)
                with contextlib.suppress(OSError):
                    connection.recv(1024)

        threads = [threading.Thread(target=abuse, args=(i,)) for i in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=10)
        assert call(sim, "GET", "/meter").status == 200
        assert sim.charge_current_limit == 16000
