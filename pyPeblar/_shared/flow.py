"""Flows: a client's logic written once, as generators that yield the I/O they need.

A flow yields ``Call(api, operation, args)`` (call ``operation`` of the object the client names
``api``) and ``Sleep(seconds)``, and receives each result, or has its ``PeblarError`` thrown in.
``drive`` runs one synchronously; ``aio_flow.drive_async`` with ``await``. So a synchronous and
an asyncio client behave identically by construction, and neither holds a copy of the other's
logic. (This is the "sans-I/O" design of libraries such as h11: the protocol decides, the caller
does the I/O.) The REST, web and Modbus clients all run their logic this way.
"""

from __future__ import annotations

import time
from collections.abc import Generator, Mapping
from importlib import import_module
from typing import Any, ClassVar, NamedTuple, TypeVar

__all__ = ["Call", "Flow", "GeneratedApis", "Sleep", "drive"]

R = TypeVar("R")


class Call(NamedTuple):
    """A flow's request: call ``operation`` of the client's ``api`` with ``args``."""

    api: str  # a field of the client's Apis: "ev_interface", "link"
    operation: str  # a method of that object: "patch_ev_interface", "read"
    args: tuple[Any, ...] = ()


class Sleep(NamedTuple):
    """A flow's pause, in seconds."""

    seconds: float


#: A flow: yields steps, receives their results, returns ``R``.
Flow = Generator["Call | Sleep", Any, R]


def drive(flow: Flow[R], apis: Any) -> R:
    """Run ``flow`` synchronously: each ``Call`` on ``apis`` (the objects it calls, by name), each
    ``Sleep`` with ``time.sleep``; an error of a call is thrown into the flow, which handles it or
    lets it out. (``aio_flow.drive_async`` is the asyncio twin.)"""
    value: Any = None
    error: Exception | None = None
    while True:
        try:
            step = flow.send(value) if error is None else flow.throw(error)
        except StopIteration as done:
            result: R = done.value
            return result
        value = error = None
        if isinstance(step, Sleep):
            time.sleep(step.seconds)
            continue
        try:
            value = getattr(getattr(apis, step.api), step.operation)(*step.args)
        except Exception as exc:  # handed to the flow, which decides
            error = exc


class GeneratedApis:
    """The generated API classes a client calls, each made on first use, then kept.

    A subclass names its ``package`` (``pyPeblar.api``, ``pyPeblar.aio.api``...) and its ``table``
    (the name a ``Call`` gives -> (module, class)), and declares each name's type for the type
    checker. An instance is on one ``api_client``. The first ``Peblar.meter()`` thus imports the
    meter's API module and model only, not the four other API modules and the models they import
    (docs/performance.md).
    """

    package: ClassVar[str]
    table: ClassVar[Mapping[str, tuple[str, str]]]

    def __init__(self, api_client: Any) -> None:
        self._api_client = api_client

    def __getattr__(self, name: str) -> Any:
        """Called only for a name not made yet: import its module, make it, keep it."""
        entry = self.table.get(name) if not name.startswith("_") else None
        if entry is None:
            raise AttributeError(f"{type(self).__name__!r} has no API {name!r}")
        module, cls = entry
        # Two threads may race to make one: either instance is the same (and stateless) API.
        api = getattr(import_module(f"{self.package}.{module}"), cls)(self._api_client)
        setattr(self, name, api)
        return api
