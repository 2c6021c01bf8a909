"""What the simulator answers: a ``Reply``, or an ``RefusedError`` raised on the way; and how a
Peblar formats JSON (tab indentation, ``"Key" : value``, keys sorted)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

__all__ = [
    "JSON_NULL",
    "MethodNotAllowedError",
    "RefusedError",
    "Reply",
    "charger_json",
    "json_object",
    "parse_json",
]


class JsonNull:
    """A payload of JSON ``null`` (a payload of None means an empty body)."""

    def __repr__(self) -> str:
        return "JSON_NULL"


JSON_NULL: Final = JsonNull()


@dataclass
class Reply:
    """An answer: ``status``, a JSON ``payload`` (None: empty body) and extra ``headers``.

    ``after`` runs (in a thread of its own) once the answer is sent: a reboot or an update answers
    first and then takes the charger down, as a real one does.
    """

    status: int
    payload: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    after: Callable[[], None] | None = None


class RefusedError(Exception):
    """A request the charger refuses: becomes ``{"statusmsg": message}`` with ``status``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class MethodNotAllowedError(RefusedError):
    """A 405, which carries the methods the path does answer (the ``Allow`` header)."""

    def __init__(self, allowed: str, message: str) -> None:
        super().__init__(405, message)
        self.allowed = allowed


def parse_json(body: bytes) -> Any:
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise RefusedError(400, "Bad request: the body is not valid JSON") from None


def json_object(body: object) -> dict[str, Any]:
    """``body`` if it is a JSON object; a 400 for anything else (what every write refuses)."""
    if not isinstance(body, dict):
        raise RefusedError(400, "Bad request: the body must be a JSON object")
    return body


def charger_json(payload: Any) -> bytes:
    """JSON exactly as real chargers format it."""
    if payload is JSON_NULL:
        return b"null\n"
    return (
        json.dumps(payload, indent="\t", sort_keys=True, separators=(",", " : ")) + "\n"
    ).encode()
