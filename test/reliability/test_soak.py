"""A bounded soak: polling and writing for N seconds while faults come and go.

CI runs it briefly (10 s); run it longer with, for example,

    PYPEBLAR_SOAK_SECONDS=600 python -m pytest -s test/reliability/test_soak.py

Faults are drawn at random; the seed is printed (PYPEBLAR_SOAK_SEED repeats a run's choices, though
thread timing still varies).

It prints calls made, faults injected, errors by type and resident memory at start and end, and
fails on any exception that is not a PeblarError, on any lost write (a write that returned while
the charger shows something else, or that said "not applied" while the charger shows it), and on
memory growth over 10 MiB.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from pyPeblar import PeblarError
from pyPeblar.simulator import Simulator
from test.conftest import client_for
from test.reliability.conftest import QUICK

FAULTS: list[tuple[str, dict[str, Any]]] = [
    ("drop", {}),
    ("reset", {}),
    ("partial", {}),
    ("hang", {"seconds": 2}),
    ("delay", {"seconds": 0.2}),
    ("status", {"status": 500}),
    ("status", {"status": 503, "body": b"<html>busy</html>"}),
    ("status", {"status": 429, "headers": {"Retry-After": "0"}}),
    ("body", {"body": b"{truncated"}),
    ("mutate", {"add": {"FutureKey": 1}, "set": {"CpState": "State X"}}),
]


def resident_mib() -> float:
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return 0.0
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


@pytest.mark.slow
def test_soak() -> None:
    seconds = float(os.environ.get("PYPEBLAR_SOAK_SECONDS", "10"))
    seed = int(os.environ.get("PYPEBLAR_SOAK_SEED", random.randrange(10**6)))
    rng = random.Random(seed)
    calls, faults, errors = Counter[str](), Counter[str](), Counter[str]()
    lost: list[str] = []
    stop = threading.Event()
    with Simulator(rate_limit=False, phase_switch_delay=0.1) as sim:
        sim.plug_in()

        def chaos() -> None:
            while not stop.wait(0.15):
                kind, options = rng.choice(FAULTS)
                path = rng.choice(["/meter", "/evinterface", None])
                sim.inject(
                    kind,
                    path=path,
                    times=rng.randint(1, 3),
                    apply=rng.choice([True, False, None]),
                    **options,
                )
                faults[kind] += 1

        injector = threading.Thread(target=chaos, daemon=True)
        with client_for(sim, **QUICK, rate_limit=False, protect_relays=False) as charger:
            for _ in range(50):
                charger.meter()
            memory_start = resident_mib()
            injector.start()
            deadline = time.monotonic() + seconds
            iteration = 0
            while time.monotonic() < deadline:
                iteration += 1
                try:
                    charger.meter()
                    charger.ev_interface()
                    calls["read"] += 2
                except PeblarError as error:
                    errors[type(error).__name__] += 1
                if iteration % 5:
                    continue
                amps = rng.randint(6, 16)
                before = sim.charge_current_limit
                try:
                    charger.set_charge_current_limit(amps=amps)
                    calls["write"] += 1
                    sim.clear_faults()  # look at the charger undisturbed
                    if sim.charge_current_limit != amps * 1000:
                        lost.append(
                            f"returned for {amps} A, charger has {sim.charge_current_limit}"
                        )
                except PeblarError as error:
                    errors[type(error).__name__] += 1
                    sim.clear_faults()
                    shows = sim.charge_current_limit
                    if error.applied is False and shows == amps * 1000 != before:
                        lost.append(f"said not applied for {amps} A, charger has {shows}")
            stop.set()
            injector.join(timeout=5)
            memory_end = resident_mib()
    print(
        f"\nsoak {seconds:g} s (PYPEBLAR_SOAK_SEED={seed}): "
        f"{sum(calls.values())} calls ({dict(calls)}), "
        f"{sum(faults.values())} faults injected ({dict(faults)}), "
        f"errors {dict(errors)}, resident memory {memory_start:.1f} -> {memory_end:.1f} MiB"
    )
    assert calls["read"] > 0
    assert calls["write"] > 0
    assert sum(faults.values()) > 0, "no fault was injected: the soak proved nothing"
    assert lost == []
    assert memory_end - memory_start < 10
