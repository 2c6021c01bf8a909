"""Instructions per call under callgrind, which the machine's load does not change.

    python bench/instructions.py                    # the four local REST API contenders
    python bench/instructions.py meter-client ...   # some of bench/_contenders.py's, by key

CPU time on a shared machine moves by several per cent between runs; the number of instructions
a call executes does not. Each contender runs in a process of its own under
``valgrind --tool=callgrind`` (user space only), its engine imported first as in ``_child.py``,
against a simulator in another process (not under valgrind), once with ``FEW`` calls and once
with ``FEW + MANY``; the difference over ``MANY`` is one call's instructions, without the
process's start, its imports and its first calls. ``PYTHONHASHSEED=0`` keeps the runs alike.
Needs valgrind (not a development requirement; docs/performance.md quotes its figures).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _simulator_process import SimulatorProcess

FEW = 100
MANY = 2000
DEFAULT = ("meter-urllib3", "meter-client", "meter-aiohttp", "meter-async-client")
#: Each contender's engine, imported first (as ``_child.py`` does).
ENGINES = {"meter-urllib3": "urllib3", "meter-aiohttp": "aiohttp"}
#: The contenders that read the simulator's Modbus server (``modbus-http`` reads its REST API).
MODBUS = ("modbus-pymodbus", "modbus-client", "modbus-pymodbus-asyncio", "modbus-async-client")

CHILD = """
import sys
engine, key, host, secret, calls = sys.argv[1:6]
__import__(engine)
sys.path.insert(0, {bench!r})
import asyncio
from contextlib import AsyncExitStack, ExitStack
import _contenders
if key in _contenders.BLOCKING:
    with ExitStack() as stack:
        _, call = _contenders.BLOCKING[key](host, secret, stack)
        for _ in range(int(calls)):
            call()
else:
    async def run():
        async with AsyncExitStack() as stack:
            _, call = await _contenders.ASYNC[key](host, secret, stack)
            for _ in range(int(calls)):
                await call()
    asyncio.run(run())
"""


def engine_of(key: str) -> str:
    import _contenders

    if key in ENGINES:
        return ENGINES[key]
    if key in MODBUS:
        return "pymodbus"
    return "urllib3" if key in _contenders.BLOCKING else "aiohttp"


def instructions(key: str, host: str, secret: str, calls: int, folder: Path) -> int:
    """The instructions (``Ir``) a process making ``calls`` calls of ``key`` executes."""
    out = folder / f"{key}-{calls}.out"
    script = CHILD.format(bench=str(Path(__file__).resolve().parent))
    environment = {**os.environ, "PYTHONHASHSEED": "0"}
    subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            f"--callgrind-out-file={out}",
            sys.executable,
            "-c",
            script,
            engine_of(key),
            key,
            host,
            secret,
            str(calls),
        ],
        check=True,
        capture_output=True,
        env=environment,
    )
    found = re.search(r"^(?:summary|totals): (\d+)", out.read_text(), re.MULTILINE)
    if found is None:
        raise RuntimeError(f"no instruction count in {out}")
    return int(found.group(1))


def main(keys: list[str]) -> None:
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is not installed")
    modbus = ("--modbus-port", "0") if any(key in MODBUS for key in keys) else ()
    with SimulatorProcess(*modbus) as simulator, tempfile.TemporaryDirectory() as folder:
        print(f"instructions per call (callgrind; {FEW + MANY} calls less {FEW}, over {MANY})")
        for key in keys:
            host = simulator.modbus_host if key in MODBUS else simulator.host
            few = instructions(key, host, simulator.token, FEW, Path(folder))
            more = instructions(key, host, simulator.token, FEW + MANY, Path(folder))
            print(f"   {key:30} {(more - few) / MANY:>10,.0f}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:] or list(DEFAULT))
