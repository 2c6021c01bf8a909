"""Shared pieces of the reliability tests: bounded calls and outcome classification."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from pyPeblar import PeblarError

#: Options for a client that fails fast: short timeouts, quick retries.
QUICK = {"timeout": (1.0, 0.5), "retries": 2, "backoff": 0.02}


def outcome(call: Callable[[], Any], *, bound: float) -> tuple[Any, float]:
    """Run ``call``; return (its result or the PeblarError/ValueError it raised, seconds taken).

    Anything else escaping is a test failure, as is taking longer than ``bound`` seconds.
    """
    started = time.monotonic()
    try:
        result: Any = call()
    except (PeblarError, ValueError) as error:
        result = error
    elapsed = time.monotonic() - started
    assert elapsed < bound, f"took {elapsed:.2f} s, more than {bound} s"
    return result, elapsed
