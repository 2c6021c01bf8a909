"""Both clients behind one test: ``AsyncPeblar`` driven from synchronous test code.

The client behaviour tests are written once, against ``Peblar``'s synchronous interface, and run
for each client (``CLIENTS``). For ``AsyncPeblar`` they get ``BlockingAsyncPeblar``: the real
``AsyncPeblar``, its coroutines run on one event loop in a background thread, each call waiting
for its result. Nothing is replaced: every request is the async client's, over aiohttp, to the
simulator. Errors raise in the test as they would in an ``await``.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

from pyPeblar import AsyncPeblar, AsyncPeblarWeb

__all__ = [
    "CLIENTS",
    "WEB_CLIENTS",
    "Blocking",
    "BlockingAsyncPeblar",
    "BlockingAsyncPeblarWeb",
    "generated",
    "run",
    "web_client_class",
]

T = TypeVar("T")

#: The client classes every client behaviour test runs with.
CLIENTS = ["Peblar", "AsyncPeblar"]
#: The same for the web interface's clients.
WEB_CLIENTS = ["PeblarWeb", "AsyncPeblarWeb"]

_loops: list[asyncio.AbstractEventLoop] = []
_loop_lock = threading.Lock()


def event_loop() -> asyncio.AbstractEventLoop:
    """The tests' event loop, running in a daemon thread (made on first use)."""
    with _loop_lock:
        if not _loops:
            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="test-event-loop", daemon=True).start()
            _loops.append(loop)
        return _loops[0]


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` on the tests' event loop and wait for its result."""
    return asyncio.run_coroutine_threadsafe(coroutine, event_loop()).result()


class Blocking:
    """An asyncio object with a synchronous face: its coroutine methods run with ``run``."""

    def __init__(self, target: Any) -> None:
        self.target = target

    def __getattr__(self, name: str) -> Any:
        value = getattr(self.target, name)
        if inspect.iscoroutinefunction(value):

            def blocking(*args: Any, **kwargs: Any) -> Any:
                return run(value(*args, **kwargs))

            return blocking
        return value

    def __repr__(self) -> str:
        return repr(self.target)


class BlockingClient(Blocking):
    """An asyncio client (``client_class``) with its synchronous twin's face: the same
    constructor and ``from_env``/``from_password``, methods that block, ``close`` and ``with``."""

    client_class: Any

    def __init__(self, *args: Any, **options: Any) -> None:
        super().__init__(self.client_class(*args, **options))

    @classmethod
    def wrapping(cls, client: Any) -> Any:
        blocking = cls.__new__(cls)
        blocking.target = client
        return blocking

    @classmethod
    def from_env(cls, **options: Any) -> Any:
        return cls.wrapping(cls.client_class.from_env(**options))

    @classmethod
    def from_password(cls, *args: Any, **options: Any) -> Any:
        return cls.wrapping(run(cls.client_class.from_password(*args, **options)))

    def close(self) -> None:
        run(self.target.close())

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class BlockingAsyncPeblar(BlockingClient):
    """``AsyncPeblar`` with ``Peblar``'s synchronous face, for tests written once for both."""

    client_class = AsyncPeblar


class BlockingAsyncPeblarWeb(BlockingClient):
    """``AsyncPeblarWeb`` with ``PeblarWeb``'s synchronous face."""

    client_class = AsyncPeblarWeb


def web_client_class(name: str) -> Any:
    """The web client class a test runs with, by its name in ``WEB_CLIENTS``."""
    from pyPeblar import PeblarWeb

    return PeblarWeb if name == "PeblarWeb" else BlockingAsyncPeblarWeb


def generated(client: Any, name: str, *, package: str = "pyPeblar") -> Any:
    """The generated API class ``name`` of ``package`` on ``client``'s ``ApiClient``: for an
    asyncio client the asyncio one (``package.aio``), its methods awaited for the test."""
    import importlib

    if isinstance(client, BlockingClient):
        return Blocking(getattr(importlib.import_module(f"{package}.aio"), name)(client.api_client))
    return getattr(importlib.import_module(package), name)(client.api_client)
