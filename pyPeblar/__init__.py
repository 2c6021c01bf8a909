"""pyPeblar: a synchronous Python SDK for the local REST API of Peblar EV chargers.

Hand-written (scripts/regenerate never touches this file). The names below are the public surface;
they are imported on first use, so ``import pyPeblar`` costs almost nothing and a command-line call
only pays for what it uses.

Layers:
- ``Peblar`` and the ``PeblarError`` tree: the hand-written client most code uses.
- ``pyPeblar.models`` and ``pyPeblar.api``, ``ApiClient``, ``Configuration``: generated from
  ``openapi/peblar.yaml`` by openapi-generator.
- ``pyPeblar.simulator``: a charger on loopback, for tests, demos and trying things out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyPeblar._version import __version__

if TYPE_CHECKING:
    from pyPeblar._client import Peblar
    from pyPeblar._errors import (
        PeblarAuthenticationError,
        PeblarBadRequestError,
        PeblarClosedError,
        PeblarConnectionError,
        PeblarConnectionTimeoutError,
        PeblarError,
        PeblarForbiddenError,
        PeblarInvalidResponseError,
        PeblarNotFoundError,
        PeblarRateLimitError,
        PeblarReadOnlyError,
        PeblarRelayProtectionError,
        PeblarResponseError,
        PeblarServerError,
        PeblarSetupError,
        PeblarStateTimeoutError,
        PeblarUnsupportedError,
    )
    from pyPeblar._memory import ChargerMemory
    from pyPeblar.api_client import ApiClient
    from pyPeblar.api_response import ApiResponse
    from pyPeblar.configuration import Configuration
    from pyPeblar.exceptions import ApiException, OpenApiException

_ERRORS = (
    "PeblarAuthenticationError",
    "PeblarBadRequestError",
    "PeblarClosedError",
    "PeblarConnectionError",
    "PeblarConnectionTimeoutError",
    "PeblarError",
    "PeblarForbiddenError",
    "PeblarInvalidResponseError",
    "PeblarNotFoundError",
    "PeblarRateLimitError",
    "PeblarReadOnlyError",
    "PeblarRelayProtectionError",
    "PeblarResponseError",
    "PeblarServerError",
    "PeblarSetupError",
    "PeblarStateTimeoutError",
    "PeblarUnsupportedError",
)

__all__ = [
    "ApiClient",
    "ApiException",
    "ApiResponse",
    "ChargerMemory",
    "Configuration",
    "OpenApiException",
    "Peblar",
    "PeblarAuthenticationError",
    "PeblarBadRequestError",
    "PeblarClosedError",
    "PeblarConnectionError",
    "PeblarConnectionTimeoutError",
    "PeblarError",
    "PeblarForbiddenError",
    "PeblarInvalidResponseError",
    "PeblarNotFoundError",
    "PeblarRateLimitError",
    "PeblarReadOnlyError",
    "PeblarRelayProtectionError",
    "PeblarResponseError",
    "PeblarServerError",
    "PeblarSetupError",
    "PeblarStateTimeoutError",
    "PeblarUnsupportedError",
    "__version__",
]

# name -> module that defines it, imported on first attribute access (PEP 562).
_LAZY = {
    "Peblar": "pyPeblar._client",
    "ChargerMemory": "pyPeblar._memory",
    **dict.fromkeys(_ERRORS, "pyPeblar._errors"),
    "ApiClient": "pyPeblar.api_client",
    "ApiResponse": "pyPeblar.api_response",
    "Configuration": "pyPeblar.configuration",
    "ApiException": "pyPeblar.exceptions",
    "OpenApiException": "pyPeblar.exceptions",
}


def __getattr__(name: str) -> object:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'pyPeblar' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(module_name), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
