"""How an error message names the value it refuses: its ``repr``, cut short.

A message names a refused argument so the caller can see what was wrong; a 100,000-character
string, or a number of 400 digits, is named by its beginning and end, not repeated whole.
``check_bool`` is the one check of a switch, which every layer makes with the same message.
"""

from __future__ import annotations

__all__ = ["check_bool", "shown"]


def shown(value: object, limit: int = 40) -> str:
    """``repr(value)``, cut to about ``limit`` characters."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 7]}...{text[-4:]}"


def check_bool(name: str, value: object) -> bool:
    """``value`` if it is ``True`` or ``False`` (not 1, not ``"yes"``); a ``ValueError`` naming
    the parameter ``name`` otherwise."""
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be True or False, not {shown(value)}")
    return value
