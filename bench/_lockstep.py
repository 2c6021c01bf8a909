"""Asyncio contenders timed alike in this process and in other interpreters, in lockstep rounds.

Standard library only: ``others.py`` and ``engines.py`` import it in interpreters that have no
pyPeblar. One round of one contender is ``timed``: ``calls`` sequential awaited calls, the
process's CPU time (``time.process_time``, so any helper thread the client uses counts too) over
them and the wall time of each. A contender in another interpreter is reached through ``Remote``:
the child runs ``serve`` and times one round whenever the parent asks, so the parent can
interleave rounds across interpreters (shuffled, every contender once per round) exactly as it
does within its own; while the child times a round the parent only waits on the pipe.

The protocol is one JSON object per line. The child's first line is ``{"labels": {key: label}}``
(the contenders it has, after their warm-up); then each ``{"name": key, "calls": n}`` it reads is
answered with ``{"cpu_s": CPU seconds per call, "walls": [seconds, ...]}``; end of input ends it.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Mapping
from types import TracebackType
from typing import Any

__all__ = ["WARM_UP", "Remote", "serve", "timed"]

#: Calls made on each contender before any is timed (connection made, caches warm).
WARM_UP = 20

AsyncCall = Callable[[], Awaitable[object]]


async def timed(call: AsyncCall, calls: int) -> tuple[float, list[float]]:
    """One round: CPU seconds per call and the wall time of each of ``calls`` awaited calls."""
    walls = []
    cpu_start = time.process_time()
    for _ in range(calls):
        started = time.perf_counter()
        await call()
        walls.append(time.perf_counter() - started)
    return (time.process_time() - cpu_start) / calls, walls


async def serve(contenders: Mapping[str, tuple[str, AsyncCall]]) -> None:
    """The child's side: warm every contender up, say which there are, then time on request.

    ``contenders`` maps a key to its printed label and its call. Reading the request blocks the
    event loop, which is idle between rounds anyway.
    """
    for _, call in contenders.values():
        for _ in range(WARM_UP):
            await call()
    labels = {key: label for key, (label, _) in contenders.items()}
    print(json.dumps({"labels": labels}), flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        cpu, walls = await timed(contenders[request["name"]][1], int(request["calls"]))
        print(json.dumps({"cpu_s": cpu, "walls": walls}), flush=True)


class Remote:
    """The parent's side: a child running ``serve``; ``labels`` names its contenders."""

    def __init__(self, command: list[str], env: Mapping[str, str] | None = None) -> None:
        self._process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        hello = self._read()
        self.labels: dict[str, str] = dict(hello["labels"])

    def _read(self) -> dict[str, Any]:
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line:
            self._process.wait(timeout=10)
            assert self._process.stderr is not None
            errors = self._process.stderr.read().strip().splitlines()
            raise RuntimeError(f"{errors[-1] if errors else 'it ended'}")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def measure(self, name: str, calls: int) -> tuple[float, list[float]]:
        """One round of the child's contender ``name``, as ``timed`` returns it."""
        assert self._process.stdin is not None
        self._process.stdin.write(json.dumps({"name": name, "calls": calls}) + "\n")
        self._process.stdin.flush()
        answer = self._read()
        return float(answer["cpu_s"]), [float(wall) for wall in answer["walls"]]

    def close(self) -> None:
        if self._process.stdin is not None and not self._process.stdin.closed:
            self._process.stdin.close()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        for stream in (self._process.stdout, self._process.stderr):
            if stream is not None:
                stream.close()

    def __enter__(self) -> Remote:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
