"""Attributes imported on first use (PEP 562), for packages whose import must stay cheap.

``import pyPeblar`` and ``import pyPeblar.simulator`` are on the command line's start-up path, so
they name their members here instead of importing them; the member's module is imported the first
time the name is used, and then cached in the package.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import Any

__all__ = ["exported_by", "lazy_attributes"]


def lazy_attributes(
    package: str,
    namespace: dict[str, Any],
    members: dict[str, str],
    *,
    also_from: tuple[str, ...] = (),
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``: ``members`` maps a name to its module.

    A name that is not a member is looked up in the ``__all__`` of each package in ``also_from``
    (for ``pyPeblar``: the generated ``pyPeblar.api`` and ``pyPeblar.models``), so a class that
    regeneration adds is reachable as ``pyPeblar.NewApi`` without a hand-written line.
    """

    def get_attribute(name: str) -> Any:
        module = members.get(name)
        if module is None:
            module = next((other for other in also_from if name in exported_by(other)), None)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(import_module(module), name)
        namespace[name] = value
        return value

    def list_attributes() -> list[str]:
        names = set(namespace) | set(members)
        for other in also_from:
            names.update(exported_by(other))
        return sorted(names)

    return get_attribute, list_attributes


def exported_by(module: str) -> list[str]:
    """The ``__all__`` of ``module`` (imported if needed; the generated packages import lazily)."""
    names: list[str] = getattr(import_module(module), "__all__", [])
    return names
