"""Both clients behind one test: ``AsyncPeblar`` (and the other asyncio clients) driven from
synchronous test code.

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

from pyPeblar import AsyncPeblar, AsyncPeblarModbus, AsyncPeblarWeb

__all__ = [
    "CLIENTS",
    "MODBUS_CLIENTS",
    "WEB_CLIENTS",
    "Blocking",
    "BlockingAsyncPeblar",
    "BlockingAsyncPeblarModbus",
    "BlockingAsyncPeblarWeb",
    "generated",
    "modbus_class",
    "run",
]

T = TypeVar("T")

#: The client classes every client behaviour test runs with.
CLIENTS = ["Peblar", "AsyncPeblar"]
#: The same for the web interface's clients.
WEB_CLIENTS = ["PeblarWeb", "AsyncPeblarWeb"]
#: The same for the Modbus clients.
MODBUS_CLIENTS = ["PeblarModbus", "AsyncPeblarModbus"]

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


class BlockingAsyncPeblarModbus(BlockingClient):
    """``AsyncPeblarModbus`` with ``PeblarModbus``'s synchronous face."""

    client_class = AsyncPeblarModbus


def modbus_class(name: str) -> Any:
    """The Modbus client class ``name`` names, with a synchronous face."""
    if name == "AsyncPeblarModbus":
        return BlockingAsyncPeblarModbus
    from pyPeblar import PeblarModbus

    return PeblarModbus


def generated(client: Any, name: str) -> Any:
    """The generated API class ``name`` on ``client``'s ``ApiClient``: for ``AsyncPeblar`` the
    asyncio one (``pyPeblar.aio``), its methods awaited for the test."""
    if isinstance(client, BlockingAsyncPeblar):
        import pyPeblar.aio

        return Blocking(getattr(pyPeblar.aio, name)(client.api_client))
    import pyPeblar

    return getattr(pyPeblar, name)(client.api_client)
