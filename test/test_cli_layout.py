"""The command line's imports run one way: ``_app -> _commands -> command modules -> _context``.

Read from the source with ``ast`` (nothing is imported), so an import inside a function, under
``if TYPE_CHECKING:`` or written relatively counts as much as one at the top of a module.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import pyPeblar.cli

PACKAGE = "pyPeblar.cli"
CLI = Path(pyPeblar.cli.__file__).parent

#: The only module that may import ``_commands``.
ENTRY_POINT = "_app"

#: Each module's layer: a module may import only modules of this package in a later layer.
LAYERS: dict[str, int] = {
    "__init__": 0,
    "_app": 1,
    "_commands": 2,
    "_check": 3,
    "_demo": 3,
    "_events": 3,
    "_report": 3,
    "_scan": 3,
    "_watch": 3,
    "_web_commands": 3,
    "_context": 4,
    "_render": 4,
    "_waiting": 4,
}


def imported(source: str, package: str = PACKAGE) -> Iterator[str]:
    """Every dotted name ``source`` imports, anywhere in it, relative names made absolute.

    ``from X import a`` gives ``X.a`` (``a`` may be a submodule or a name in ``X``);
    ``importlib.import_module`` and ``__import__`` with a literal name count too.
    """
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1])
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            yield from (f"{module}.{alias.name}" for alias in node.names)
        elif (
            isinstance(node, ast.Call)
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
            and (
                (isinstance(node.func, ast.Name) and node.func.id == "__import__")
                or (isinstance(node.func, ast.Attribute) and node.func.attr == "import_module")
            )
        ):
            yield node.args[0].value


def cli_modules(source: str, modules: set[str]) -> set[str]:
    """The modules of this package (named in ``modules``) that ``source`` imports.

    A name of the package that is not one of its modules (``from pyPeblar.cli import main``, or
    ``import pyPeblar.cli``) is an import of its ``__init__``.
    """
    found = set()
    for name in imported(source):
        if name == PACKAGE:
            found.add("__init__")
        elif name.startswith(PACKAGE + "."):
            first = name.removeprefix(PACKAGE + ".").split(".")[0]
            found.add(first if first in modules else "__init__")
    return found


def graph(folder: Path = CLI) -> dict[str, set[str]]:
    """Each module of the package in ``folder`` and the modules of the package it imports."""
    files = {path.stem: path for path in sorted(folder.glob("*.py"))}
    return {
        name: cli_modules(path.read_text(encoding="utf-8"), set(files)) - {name}
        for name, path in files.items()
    }


def test_only_the_entry_point_imports_commands() -> None:
    importers = sorted(name for name, edges in graph().items() if "_commands" in edges)
    assert importers == [ENTRY_POINT], (
        f"only {ENTRY_POINT} may import _commands; shared code belongs in _context"
    )


def test_imports_run_one_way() -> None:
    modules = graph()
    assert set(modules) == set(LAYERS), "a module was added or removed: give it a layer here"
    upward = sorted(
        f"{name} imports {target}"
        for name, edges in modules.items()
        for target in edges
        if LAYERS[target] <= LAYERS[name]
    )
    assert upward == [], "imports must run one way (_app -> _commands -> commands -> _context)"


def test_the_command_modules_take_the_context_from_context() -> None:
    modules = graph()
    for name in ("_check", "_demo", "_events", "_scan", "_watch", "_web_commands"):
        assert "_context" in modules[name], name
    assert modules["_context"] == set(), "_context is the bottom layer: it imports no CLI module"


@pytest.mark.parametrize(
    "source",
    [
        "import pyPeblar.cli._commands",
        "import pyPeblar.cli._commands as commands",
        "from pyPeblar.cli._commands import Context",
        "from pyPeblar.cli import _commands",
        "from pyPeblar.cli import _render, _commands",
        "from . import _commands",
        "from ._commands import UsageError",
        "from ..cli._commands import UsageError",
        "def run() -> None:\n    from pyPeblar.cli._commands import UsageError",
        "if TYPE_CHECKING:\n    from pyPeblar.cli._commands import Context",
        "class A:\n    def f(self) -> None:\n        from . import _commands",
        "import importlib\nimportlib.import_module('pyPeblar.cli._commands')",
        "__import__('pyPeblar.cli._commands')",
    ],
)
def test_every_form_of_import_is_seen(source: str) -> None:
    assert "_commands" in cli_modules(source, set(LAYERS))


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from pyPeblar.cli import main", {"__init__"}),
        ("import pyPeblar.cli", {"__init__"}),
        ("from pyPeblar import cli", {"__init__"}),
        ("from pyPeblar.cli._context import Context", {"_context"}),
        ("from pyPeblar import _client", set()),
        ("from .. import _client", set()),
        ("from .._errors import PeblarError", set()),
        ("import pyPeblar.client_commands", set()),
    ],
)
def test_other_imports_are_not_mistaken(source: str, expected: set[str]) -> None:
    assert cli_modules(source, set(LAYERS)) == expected
