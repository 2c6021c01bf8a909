"""One contender of bench/run.py in a process of its own, its engine imported before anything.

    python bench/_child.py ENGINE CONTENDER HOST SECRET

ENGINE (``urllib3``, ``aiohttp`` or ``pymodbus``) is imported first, before the contender's
client and its dependencies, in every contender's process alike, the `peblar` package's included:
which libraries a process imports first changes its allocator's state, and with it what its calls
cost (docs/performance.md: the `peblar` package measured about 15 % dearer when it was imported
before aiohttp). Then the contender (``_contenders`` for pyPeblar's and the floors, ``others``
for other clients) is made on the simulator at HOST with SECRET (token or web password), warmed
up, and timed in rounds on request (``_lockstep``). Standard library only besides, so that it
runs in the ``--others`` interpreter too.
"""

import sys

# Only ever run as a script (never imported): the engine is the first thing it imports.
if len(sys.argv) != 5:
    sys.exit(__doc__)
if sys.argv[1] == "urllib3":
    import urllib3  # noqa: F401 - the engine first: see above
elif sys.argv[1] == "aiohttp":
    import aiohttp  # noqa: F401
elif sys.argv[1] == "pymodbus":
    import pymodbus  # noqa: F401
else:
    sys.exit(__doc__)

import asyncio
from contextlib import AsyncExitStack, ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _lockstep import serve, serve_blocking


def main(key: str, host: str, secret: str) -> None:
    import others

    if key in others.ASYNC:
        makers = others.ASYNC
    else:
        import _contenders

        if key in _contenders.BLOCKING:
            with ExitStack() as stack:
                label, call = _contenders.BLOCKING[key](host, secret, stack)
                serve_blocking({key: (label, call)})
            return
        makers = _contenders.ASYNC

    async def run() -> None:
        async with AsyncExitStack() as stack:
            label, call = await makers[key](host, secret, stack)
            await serve({key: (label, call)})

    asyncio.run(run())


main(*sys.argv[2:5])
