"""Faults the simulator can inject, for the reliability tests: one ``Fault`` per rule.

A fault matches requests by path and method, applies to the next ``times`` of them (``None``: all),
and says whether the request is processed first (``apply``): a PATCH whose answer is dropped after
it was applied is the hardest case for a client, and the one that matters most.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Final

__all__ = ["FAULT_KINDS", "Fault", "FaultList"]

#: kind -> whether the request is processed before the fault, unless ``apply=`` says otherwise.
FAULT_KINDS: Final = {
    "delay": True,  # answer normally, ``seconds`` late
    "hang": False,  # no answer for ``seconds`` (default 30), then close
    "drop": False,  # close the connection without an answer
    "reset": False,  # abort the connection (TCP RST)
    "partial": True,  # headers with the full Content-Length, half the body, then close
    "status": False,  # answer ``status`` with ``body``/``headers``/``content_type``
    "body": True,  # answer 200 with the raw ``body``
    "mutate": True,  # change the JSON answer: ``add`` keys, ``remove`` keys, ``set`` values;
    # with apply=False a write is ignored and answered with the state as it was
    "drip": True,  # send the normal answer one byte every ``interval`` seconds (default 0.2)
    "echo": False,  # answer ``status`` (default 400) repeating the request's Authorization and
    # Cookie headers and its body, as a careless charger or proxy does: in the reason phrase, an
    # ``X-Echo`` header and the body, which is ``{"statusmsg": ...}``, or the text itself with
    # ``content_type="text/plain"``, or an HTML page with ``content_type="text/html"``
    "ignore": False,  # a write accepted but not carried out: answered as a success, nothing changes
}


@dataclass
class Fault:
    """One injected fault; ``hits`` counts the requests it has affected."""

    kind: str
    path: str | None
    method: str | None
    times: int | None
    apply: bool
    options: dict[str, Any] = field(default_factory=dict)
    hits: int = 0
    cancelled: bool = False

    def cancel(self) -> None:
        """Stop this fault from affecting further requests."""
        self.cancelled = True

    def matches(self, method: str, path: str, rest_path: str | None) -> bool:
        if self.cancelled or (self.times is not None and self.hits >= self.times):
            return False
        if self.method is not None and self.method.upper() != method:
            return False
        return self.path is None or self.path in (path, rest_path)


class FaultList:
    """The faults in injection order; the first that matches a request is consumed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(
        self,
        kind: str,
        *,
        path: str | None,
        method: str | None,
        times: int | None,
        apply: bool | None,
        options: dict[str, Any],
    ) -> Fault:
        if kind not in FAULT_KINDS:
            raise ValueError(
                f"unknown fault kind {kind!r}; choose one of: {', '.join(FAULT_KINDS)}"
            )
        if times is not None and times < 1:
            raise ValueError("times must be at least 1, or None for every request")
        fault = Fault(
            kind=kind,
            path=path,
            method=method,
            times=times,
            apply=FAULT_KINDS[kind] if apply is None else apply,
            options=dict(options),
        )
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, method: str, path: str, rest_path: str | None) -> Fault | None:
        """The fault for this request, counted as hit; None if no fault applies."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path, rest_path):
                    fault.hits += 1
                    return fault
        return None

    def clear(self) -> None:
        with self._lock:
            for fault in self._faults:
                fault.cancel()
            self._faults.clear()
