"""How bench/run.py measures: every contender alike, in fresh processes, in interleaved rounds.

Two kinds of measurement, one method:

- **Per call** (``per_call``): each contender runs in a process of its own, started afresh for
  every block of rounds, its engine imported before anything else (``_child.py``); the processes
  of one block are timed in lockstep (``_lockstep``): every round runs every contender once, in a
  shuffled order, for ``calls`` sequential calls, and takes its process's CPU time per call.
  Identical processes of one contender differ by up to 10 % on a shared machine (memory layout,
  the allocator's state), so a single process per contender for a whole run decides a verdict
  near 1.0x by luck: fresh processes per block average that out.
- **Whole processes** (``whole_processes``): each command's CPU time (user and system) as a
  fresh process, in shuffled rounds after one unmeasured round.

Ratios are the median, over the rounds, of one contender's figure divided by another's in the
same round (they ran back to back, so a slow spell of the machine cancels out), with the spread:
the middle half of the rounds' ratios, and (per call) the lowest and highest block's median.
Standard library only.
"""

from __future__ import annotations

import os
import random
import resource
import statistics
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from _lockstep import Remote

__all__ = [
    "FIXED_MALLOC",
    "Contender",
    "Ratio",
    "Rounds",
    "child_environment",
    "per_call",
    "whole_processes",
]

HERE = Path(__file__).resolve().parent
CHILD = HERE / "_child.py"


@dataclass(frozen=True)
class Contender:
    """A contender's key (in ``_contenders`` or ``others``), its engine and its interpreter; and
    where it calls, when not where the others of its rounds do (``host``, ``secret``)."""

    key: str
    engine: str  # "urllib3", "aiohttp" or "pymodbus": imported first in its process
    python: str
    host: str | None = None
    secret: str | None = None


@dataclass(frozen=True)
class Ratio:
    """One figure over another: the median of same-round ratios, and how they spread."""

    median: float
    low: float  # the middle half of the rounds' ratios: 25th percentile
    high: float  # 75th percentile
    blocks: tuple[float, ...] = ()  # each block's median (per call only)

    def __str__(self) -> str:
        text = f"{self.median:.2f}x [{self.low:.2f}-{self.high:.2f}"
        if len(self.blocks) > 1:
            text += f"; blocks {min(self.blocks):.2f}-{max(self.blocks):.2f}"
        return text + "]"


def ratio_of(mine: Sequence[float], base: Sequence[float], block: int = 0) -> Ratio:
    """``mine`` over ``base``, round by round (``block``: rounds per block, for block medians)."""
    ratios = [a / b for a, b in zip(mine, base, strict=True)]
    if len(ratios) > 1:
        low, _, high = statistics.quantiles(ratios, n=4, method="inclusive")
    else:
        low = high = ratios[0]
    blocks: tuple[float, ...] = ()
    if block:
        blocks = tuple(
            statistics.median(ratios[start : start + block])
            for start in range(0, len(ratios), block)
        )
    return Ratio(statistics.median(ratios), low, high, blocks)


@dataclass
class Rounds:
    """Per-call rounds: each contender's CPU seconds per call in every round, and every wall."""

    rounds_per_block: int
    labels: dict[str, str] = field(default_factory=dict)
    cpus: dict[str, list[float]] = field(default_factory=dict)
    walls: dict[str, list[float]] = field(default_factory=dict)

    def cpu_us(self, key: str) -> float:
        return statistics.median(self.cpus[key]) * 1e6

    def wall_us(self, key: str, quantile: float = 0.5) -> float:
        ordered = sorted(self.walls[key])
        return ordered[min(len(ordered) - 1, round(quantile * (len(ordered) - 1)))] * 1e6

    def ratio(self, key: str, base: str) -> Ratio:
        return ratio_of(self.cpus[key], self.cpus[base], self.rounds_per_block)


#: glibc's malloc thresholds, fixed for every contender (unless ``run.py --default-malloc``). glibc
#: raises them itself when a large block is freed, so whether a process's 256 KiB socket buffers
#: (asyncio's receives) are mapped and unmapped on every call depends on what it happened to free
#: while importing: worth 50 % of an asyncio floor's CPU per call, and decided by each contender's
#: imports, not by chance alone (docs/performance.md). Fixed, no process pays it.
FIXED_MALLOC = {"MALLOC_MMAP_THRESHOLD_": str(1 << 20), "MALLOC_TRIM_THRESHOLD_": str(4 << 20)}


def child_environment(*, fixed_malloc: bool = False) -> dict[str, str]:
    """The environment of every measured process: no charger variables of the user's."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PEBLAR_")}
    return {**environment, **FIXED_MALLOC} if fixed_malloc else environment


def per_call(
    contenders: Sequence[Contender],
    host: str,
    secret: str,
    *,
    blocks: int,
    rounds: int,
    calls: int,
    fixed_malloc: bool = False,
) -> Rounds:
    """``blocks`` blocks of ``rounds`` lockstep rounds of ``calls`` calls, fresh processes each."""
    result = Rounds(rounds)
    environment = child_environment(fixed_malloc=fixed_malloc)
    for _ in range(blocks):
        remotes: dict[str, Remote] = {}
        try:
            for contender in contenders:  # all start at once, then each is waited for
                command = [contender.python, str(CHILD), contender.engine, contender.key]
                where = [contender.host or host, contender.secret or secret]
                remotes[contender.key] = Remote([*command, *where], env=environment)
            for key, remote in remotes.items():
                result.labels[key] = remote.ready().labels[key]
            for _ in range(rounds):
                order = list(remotes)
                random.shuffle(order)
                for key in order:
                    cpu, walls = remotes[key].measure(key, calls)
                    result.cpus.setdefault(key, []).append(cpu)
                    result.walls.setdefault(key, []).extend(walls)
        finally:
            for remote in remotes.values():
                remote.close()
    return result


def whole_processes(commands: Mapping[str, list[str]], runs: int) -> dict[str, list[float]]:
    """Each command's CPU seconds (user and system) as a fresh process, ``runs`` shuffled rounds
    after one unmeasured round: one figure per round and command.

    Every process reads compiled bytecode, as an installed package does (pip compiles it at
    install time): the children cache it under a temporary ``PYTHONPYCACHEPREFIX``, which the
    unmeasured round fills, and ``PYTHONDONTWRITEBYTECODE`` is not passed on. Without that, a
    machine that sets it (this project's development machines do) times pyPeblar's modules
    compiled from source on every run against dependencies read from bytecode. They run in that
    folder, so that ``python -c`` imports what is installed (or on ``PYTHONPATH``), never a
    checkout in the current folder.
    """
    environment = child_environment()
    environment.pop("PYTHONDONTWRITEBYTECODE", None)
    times: dict[str, list[float]] = {name: [] for name in commands}
    with tempfile.TemporaryDirectory(prefix="pypeblar-bench-pycache-") as cache:
        environment["PYTHONPYCACHEPREFIX"] = cache
        for round_number in range(runs + 1):
            order = list(commands)
            random.shuffle(order)
            for name in order:
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                subprocess.run(
                    commands[name], check=True, capture_output=True, env=environment, cwd=cache
                )
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                if round_number:
                    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
                    times[name].append(cpu)
    return times
