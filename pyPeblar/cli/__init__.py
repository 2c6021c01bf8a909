"""The ``pypeblar`` command line (also ``python -m pyPeblar``); see docs/cli.md."""

from pyPeblar.cli._app import EXIT_CODES, main

__all__ = ["EXIT_CODES", "main"]
