"""The asyncio driver of flows (``flow``): each ``Call`` awaited, each ``Sleep`` an asyncio sleep.

Apart from ``flow`` so that the synchronous clients never import asyncio; every asyncio client
(``AsyncPeblar``, ``AsyncPeblarWeb``, ``AsyncPeblarModbus``) drives its flows with it.
"""

from __future__ import annotations

import asyncio
from typing import Any, TypeVar

from pyPeblar._shared.flow import Flow, Sleep

__all__ = ["drive_async"]

R = TypeVar("R")


async def drive_async(flow: Flow[R], apis: Any) -> R:
    """``flow.drive``'s asyncio twin: each ``Call`` awaited, each ``Sleep`` an asyncio sleep."""
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
            await asyncio.sleep(step.seconds)
            continue
        try:
            value = await getattr(getattr(apis, step.api), step.operation)(*step.args)
        except Exception as exc:  # handed to the flow, which decides
            error = exc
