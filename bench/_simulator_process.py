"""A simulator in its own process, so that measuring a client never measures the server too."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from types import TracebackType

__all__ = ["SimulatorProcess"]


class SimulatorProcess:
    """``python -m pyPeblar.simulator --port 0 --no-rate-limit`` in a subprocess.

    ``host`` and ``token`` say where it is (and ``modbus_host`` its Modbus server, when ``extra``
    asks for one with ``--modbus-port 0``); after the ``with`` block, ``connections`` and
    ``requests`` hold what it served (it prints them when it stops).
    """

    def __init__(self, *extra: str) -> None:
        self.arguments = [
            sys.executable,
            "-m",
            "pyPeblar.simulator",
            "--port",
            "0",
            "--no-rate-limit",
            *extra,
        ]
        self.host = ""
        self.token = ""
        self.modbus_host = ""
        self.connections: int | None = None
        self.requests: int | None = None
        self._process: subprocess.Popen[str] | None = None

    def __enter__(self) -> SimulatorProcess:
        process = subprocess.Popen(
            self.arguments, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        assert process.stdout is not None
        banner = ""  # the simulator's banner: its address, token, password, Modbus, then "Try:"
        while not banner.endswith(("\n\n", "pypeblar status\n")):
            line = process.stdout.readline()
            if not line:
                break
            banner += line
        found = re.search(r"http://(\S+)", banner)
        token = re.search(r"API token: (\S+)", banner)
        if not found or not token:
            process.kill()
            raise RuntimeError(f"the simulator did not start: {banner!r}")
        self.host, self.token = found.group(1), token.group(1)
        if "--modbus-port" in self.arguments:
            modbus = re.search(r"Modbus TCP on (\S+)", banner)
            if not modbus:
                process.kill()
                raise RuntimeError(f"the simulator's Modbus server did not start: {banner!r}")
            self.modbus_host = modbus.group(1)
        self._process = process
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        process = self._process
        if process is None:
            return
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=10)
        served = re.search(r"Served (\d+) requests on (\d+) connections", err)
        if served:
            self.requests, self.connections = int(served.group(1)), int(served.group(2))
