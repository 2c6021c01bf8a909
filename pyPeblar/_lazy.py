"""Attributes imported on first use (PEP 562), for packages whose import must stay cheap.

``import pyPeblar`` and ``import pyPeblar.simulator`` are on the command line's start-up path, so
they name their members here instead of importing them; the member's module is imported the first
time the name is used, and then cached in the package.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import Any

__all__ = ["lazy_attributes"]


def lazy_attributes(
    package: str, namespace: dict[str, Any], members: dict[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``: ``members`` maps a name to its module."""

    def get_attribute(name: str) -> Any:
        module = members.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(import_module(module), name)
        namespace[name] = value
        return value

    def list_attributes() -> list[str]:
        return sorted(set(namespace) | set(members))

    return get_attribute, list_attributes
