"""How an error message names the value it refuses: its ``repr``, cut short.

A message names a refused argument so the caller can see what was wrong; a 100,000-character
string, or a number of 400 digits, is named by its beginning and end, not repeated whole.
"""

from __future__ import annotations

__all__ = ["shown"]


def shown(value: object, limit: int = 40) -> str:
    """``repr(value)``, cut to about ``limit`` characters."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 7]}...{text[-4:]}"
