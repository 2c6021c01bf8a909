"""Contenders timed alike, each in a process of its own, in lockstep rounds.

Standard library only: ``others.py`` and ``engines.py`` import it in interpreters that have no
pyPeblar. One round of one contender is ``calls`` sequential calls: the process's CPU time
(``time.process_time``, so any helper thread the client uses counts too) over them and the wall
time of each (``timed`` for a coroutine, ``timed_blocking`` for a plain call). A contender is
reached through ``Remote``: its process runs ``serve`` (or ``serve_blocking``) and times one round
whenever the parent asks, so the parent can interleave rounds across processes and interpreters
(shuffled, every contender once per round); while one process times a round, the others only
wait on their pipes.

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

__all__ = ["WARM_UP", "Remote", "serve", "serve_blocking", "timed", "timed_blocking"]

#: Calls made on each contender before any is timed (connection made, caches warm).
WARM_UP = 20

AsyncCall = Callable[[], Awaitable[object]]
BlockingCall = Callable[[], object]


async def timed(call: AsyncCall, calls: int) -> tuple[float, list[float]]:
    """One round: CPU seconds per call and the wall time of each of ``calls`` awaited calls."""
    walls = []
    cpu_start = time.process_time()
    for _ in range(calls):
        started = time.perf_counter()
        await call()
        walls.append(time.perf_counter() - started)
    return (time.process_time() - cpu_start) / calls, walls


def timed_blocking(call: BlockingCall, calls: int) -> tuple[float, list[float]]:
    """``timed`` for a blocking call."""
    walls = []
    cpu_start = time.process_time()
    for _ in range(calls):
        started = time.perf_counter()
        call()
        walls.append(time.perf_counter() - started)
    return (time.process_time() - cpu_start) / calls, walls


def _hello(labels: Mapping[str, str]) -> None:
    print(json.dumps({"labels": dict(labels)}), flush=True)


def _answer(cpu: float, walls: list[float]) -> None:
    print(json.dumps({"cpu_s": cpu, "walls": walls}), flush=True)


async def serve(contenders: Mapping[str, tuple[str, AsyncCall]]) -> None:
    """The child's side for coroutines: warm every contender up, say which there are, then time
    on request. ``contenders`` maps a key to its printed label and its call. Reading the request
    blocks the event loop, which is idle between rounds anyway."""
    for _, call in contenders.values():
        for _ in range(WARM_UP):
            await call()
    _hello({key: label for key, (label, _) in contenders.items()})
    for line in sys.stdin:
        request = json.loads(line)
        _answer(*await timed(contenders[request["name"]][1], int(request["calls"])))


def serve_blocking(contenders: Mapping[str, tuple[str, BlockingCall]]) -> None:
    """``serve`` for blocking calls, with no event loop."""
    for _, call in contenders.values():
        for _ in range(WARM_UP):
            call()
    _hello({key: label for key, (label, _) in contenders.items()})
    for line in sys.stdin:
        request = json.loads(line)
        _answer(*timed_blocking(contenders[request["name"]][1], int(request["calls"])))


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
        self.labels: dict[str, str] = {}

    def ready(self) -> Remote:
        """Wait for the child's contenders (their warm-up done); ``labels`` then names them.

        Separate from the constructor, so that several children can start at once.
        """
        hello = self._read()
        self.labels = dict(hello["labels"])
        return self

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
