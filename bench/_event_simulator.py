"""A simulator in its own process whose car is plugged in and out on request (bench/events.py).

    python bench/_event_simulator.py

Prints ``{"host": "127.0.0.1:PORT", "password": "..."}``, then for each line ``toggle`` on standard
input plugs the car in (or out, every other time) and prints ``{"t": T}``: ``time.monotonic()``
just before the change, the moment the websocket's session status event is made. On Linux that
clock is the system's (CLOCK_MONOTONIC), the same in every process, so a client process can tell
how long the event took to reach it. End of input stops it. Its rate limit is off, and its
session status events come only from changes (the periodic ones while charging are an hour apart).
"""

from __future__ import annotations

import json
import sys
import time

from pyPeblar.simulator import Simulator

PASSWORD = "peblar"


def main() -> None:
    with Simulator(rate_limit=False, password=PASSWORD) as sim:
        sim.event_interval = 3600.0
        print(json.dumps({"host": sim.host, "password": PASSWORD}), flush=True)
        plugged = False
        for line in sys.stdin:
            if line.strip() != "toggle":
                continue
            changed = time.monotonic()
            if plugged:
                sim.unplug()
            else:
                sim.plug_in()
            plugged = not plugged
            print(json.dumps({"t": changed}), flush=True)


if __name__ == "__main__":
    main()
