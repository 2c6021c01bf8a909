"""A Peblar charger on loopback: for tests, demos, benchmarks, and anyone without hardware.

    with Simulator() as sim:                       # 127.0.0.1, a free port, a fresh token
        charger = Peblar(sim.host, sim.token)
        sim.plug_in()                              # a car arrives and starts charging
        sim.advance(3600)                          # an hour of charging, in no time

It is a real HTTP server speaking the local REST API as docs/simulator.md describes (status codes,
error bodies, the rate limit, the chargers' own JSON formatting), with state that can be read and
driven from Python, faults to inject, and the web interface's API (``/api/v1``, openapi/webui.yaml)
on the same charger. Standard library only: importing it loads neither pydantic nor urllib3.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyPeblar._lazy import lazy_attributes

if TYPE_CHECKING:
    from pyPeblar.simulator._faults import FAULT_KINDS, Fault
    from pyPeblar.simulator._profiles import PROFILES, Profile
    from pyPeblar.simulator._simulator import Simulator
    from pyPeblar.simulator._state import SimulatorStats

__all__ = ["FAULT_KINDS", "PROFILES", "Fault", "Profile", "Simulator", "SimulatorStats"]

# Imported on first use: `pypeblar --help` lists the profiles without loading a server.
__getattr__, __dir__ = lazy_attributes(
    __name__,
    globals(),
    {
        "FAULT_KINDS": "pyPeblar.simulator._faults",
        "Fault": "pyPeblar.simulator._faults",
        "PROFILES": "pyPeblar.simulator._profiles",
        "Profile": "pyPeblar.simulator._profiles",
        "SimulatorStats": "pyPeblar.simulator._state",
        "Simulator": "pyPeblar.simulator._simulator",
    },
)
