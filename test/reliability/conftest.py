"""Shared pieces of the reliability tests: bounded calls and outcome classification."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from pyPeblar import PeblarError

#: Options for a client that fails fast: short timeouts, quick retries.
QUICK = {"timeout": (1.0, 0.5), "retries": 2, "backoff": 0.02}


#: What a busy 2-core machine may add to a call's time (seconds) on top of the bound a test
#: allows it: a bound rules out seconds more (a 5 s hang waited out, a long Retry-After, a
#: deadline not kept), not a scheduler's tenths (a 0.5 s bound once took 0.61 s beside two
#: CPU-bound processes).
BUSY_SLACK = 1.0


def outcome(
    call: Callable[[], Any], *, bound: float, slack: float = BUSY_SLACK
) -> tuple[Any, float]:
    """Run ``call``; return (its result or the PeblarError/ValueError it raised, seconds taken).

    Anything else escaping is a test failure, as is taking longer than ``bound`` seconds plus
    ``slack`` (0 where the bound itself is what the test rules out, set just below it).
    """
    started = time.monotonic()
    try:
        result: Any = call()
    except (PeblarError, ValueError) as error:
        result = error
    elapsed = time.monotonic() - started
    allowed = bound + slack
    assert elapsed < allowed, f"took {elapsed:.2f} s, more than {bound} s (+{slack} s slack)"
    return result, elapsed
