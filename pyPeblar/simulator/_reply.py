"""What the simulator answers: a ``Reply``, or an ``RefusedError`` raised on the way; and how a
Peblar formats JSON (tab indentation, ``"Key" : value``, keys sorted)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

__all__ = ["RefusedError", "Reply", "charger_json"]


@dataclass
class Reply:
    """An answer: ``status``, a JSON ``payload`` (None: empty body) and extra ``headers``."""

    status: int
    payload: Any = None
    headers: dict[str, str] = field(default_factory=dict)


class RefusedError(Exception):
    """A request the charger refuses: becomes ``{"statusmsg": message}`` with ``status``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def charger_json(payload: Any) -> bytes:
    """JSON exactly as real chargers format it."""
    return (
        json.dumps(payload, indent="\t", sort_keys=True, separators=(",", " : ")) + "\n"
    ).encode()
