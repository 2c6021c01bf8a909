"""Sixteen threads sharing one client, with faults: only PeblarErrors, a bounded pool, no 429."""

from __future__ import annotations

import threading
from collections import Counter

from pyPeblar import PeblarError
from pyPeblar.simulator import Simulator
from test.conftest import client_for
from test.reliability.conftest import QUICK

THREADS = 16


def hammer(calls_per_thread: int, work: object) -> tuple[Counter[str], list[BaseException]]:
    """Run ``work`` in 16 threads; count outcomes; collect anything that is not a PeblarError."""
    outcomes: Counter[str] = Counter()
    strays: list[BaseException] = []
    lock = threading.Lock()

    def run() -> None:
        for _ in range(calls_per_thread):
            try:
                work()  # type: ignore[operator]
                name = "ok"
            except PeblarError as error:
                name = type(error).__name__
            except BaseException as error:
                with lock:
                    strays.append(error)
                continue
            with lock:
                outcomes[name] += 1

    threads = [threading.Thread(target=run) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    return outcomes, strays


def test_thousands_of_calls_with_faults() -> None:
    with Simulator(rate_limit=False) as sim:
        sim.plug_in()
        disconnecting = 0
        for kind, options in (
            ("drop", {}),
            ("reset", {}),
            ("partial", {}),
            ("status", {"status": 500}),
            ("status", {"status": 503, "body": b""}),
            ("body", {"body": b"{broken"}),
            ("delay", {"seconds": 0.05}),
        ):
            sim.inject(kind, times=40, **options)
            disconnecting += 40 if kind in ("drop", "reset", "partial") else 0
        with client_for(sim, **QUICK, rate_limit=False) as charger:
            outcomes, strays = hammer(200, lambda: (charger.meter(), charger.ev_interface()))
        assert strays == []
        assert sum(outcomes.values()) == THREADS * 200
        assert outcomes["ok"] > THREADS * 150  # the faults cost a few calls, not the run
        assert set(outcomes) <= {
            "ok",
            "PeblarConnectionError",
            "PeblarServerError",
            "PeblarInvalidResponseError",
            "PeblarConnectionTimeoutError",  # 0.5 s reads, 16 threads, 2 cores
        }
        stats = sim.stats()
        assert stats.requests_total >= THREADS * 200 * 2
        # The pool never holds more than 4 connections; each dropped one is replaced once.
        assert stats.connections_opened <= 4 + disconnecting


def test_the_rate_limiter_holds_across_threads() -> None:
    with Simulator() as sim, client_for(sim) as charger:  # both rate limits on
        outcomes, strays = hammer(2, charger.health)
        assert strays == []
        assert outcomes == {"ok": THREADS * 2}
        assert sim.stats().rate_limited == 0
