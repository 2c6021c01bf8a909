"""pyPeblar: a synchronous Python SDK for the local REST API of Peblar EV chargers.

Hand-written (scripts/regenerate never touches this file). The names below are the public surface;
all but the error tree are imported on first use, so ``import pyPeblar`` costs almost nothing and
a command-line call only pays for what it uses.

Layers:
- ``Peblar`` and the ``PeblarError`` tree: the hand-written client most code uses;
  ``AsyncPeblar``, its asyncio twin (the ``async`` extra), with ``pyPeblar.aio``'s asyncio
  generated API classes.
- ``pyPeblar.models`` and ``pyPeblar.api``, ``ApiClient``, ``Configuration``: generated from
  ``openapi/peblar.yaml`` by openapi-generator. As in any openapi-generator package, every API
  class and model is also a top-level name (``pyPeblar.MeterApi``, ``pyPeblar.MeterResponse``),
  looked up in the generated packages on first use, so a regenerated spec needs no edit here.
- ``PeblarModbus`` and ``AsyncPeblarModbus``: the charger's Modbus TCP API (the ``modbus`` extra),
  with ``Peblar``'s methods and models.
- ``PeblarWeb`` and ``AsyncPeblarWeb``: the charger's web-interface API (settings, smart
  charging, RFID cards, history, firmware), with ``pyPeblar.webui``'s generated layer under them,
  and its live events (``events()``: ``ChargerEvent``s of ``EventTopic``s).
- ``Policy``: the timeouts, deadline, retries and rate limiting every generated client follows.
- ``pyPeblar.simulator``: a charger on loopback, for tests, demos and trying things out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyPeblar import _errors
from pyPeblar._errors import *  # noqa: F403 - the error tree is the public surface (see its __all__)
from pyPeblar._lazy import lazy_attributes
from pyPeblar._version import __version__

if TYPE_CHECKING:
    from pyPeblar._local.aio_client import AsyncPeblar
    from pyPeblar._local.client import Peblar
    from pyPeblar._modbus.aio_client import AsyncPeblarModbus
    from pyPeblar._modbus.client import PeblarModbus
    from pyPeblar._shared.memory import ChargerMemory
    from pyPeblar._transport.policy import Policy
    from pyPeblar._web.aio_client import AsyncPeblarWeb
    from pyPeblar._web.client import PeblarWeb
    from pyPeblar._web.events import ChargerEvent
    from pyPeblar._web.flows import SmartChargingMode
    from pyPeblar.api import *  # noqa: F403 - the generated API classes, also top-level names
    from pyPeblar.api_client import ApiClient
    from pyPeblar.api_response import ApiResponse
    from pyPeblar.configuration import Configuration
    from pyPeblar.exceptions import (
        ApiAttributeError,
        ApiException,
        ApiKeyError,
        ApiTypeError,
        ApiValueError,
        OpenApiException,
    )
    from pyPeblar.models import *  # noqa: F403 - the generated models, also top-level names
    from pyPeblar.webui.models.event_topic import EventTopic

__all__ = [
    "ApiAttributeError",
    "ApiClient",
    "ApiException",
    "ApiKeyError",
    "ApiResponse",
    "ApiTypeError",
    "ApiValueError",
    "AsyncPeblar",
    "AsyncPeblarModbus",
    "AsyncPeblarWeb",
    "ChargerEvent",
    "ChargerMemory",
    "Configuration",
    "EventTopic",
    "OpenApiException",
    "Peblar",
    "PeblarModbus",
    "PeblarWeb",
    "Policy",
    "SmartChargingMode",
    "__version__",
]
__all__ += _errors.__all__

__getattr__, __dir__ = lazy_attributes(
    __name__,
    globals(),
    {
        "Peblar": "pyPeblar._local.client",
        "AsyncPeblar": "pyPeblar._local.aio_client",
        "PeblarModbus": "pyPeblar._modbus.client",
        "AsyncPeblarModbus": "pyPeblar._modbus.aio_client",
        "PeblarWeb": "pyPeblar._web.client",
        "AsyncPeblarWeb": "pyPeblar._web.aio_client",
        "SmartChargingMode": "pyPeblar._web.flows",
        "ChargerEvent": "pyPeblar._web.events",
        "EventTopic": "pyPeblar.webui.models.event_topic",
        "Policy": "pyPeblar._transport.policy",
        "ChargerMemory": "pyPeblar._shared.memory",
        "ApiClient": "pyPeblar.api_client",
        "ApiResponse": "pyPeblar.api_response",
        "Configuration": "pyPeblar.configuration",
        "ApiException": "pyPeblar.exceptions",
        "OpenApiException": "pyPeblar.exceptions",
        "ApiTypeError": "pyPeblar.exceptions",
        "ApiValueError": "pyPeblar.exceptions",
        "ApiKeyError": "pyPeblar.exceptions",
        "ApiAttributeError": "pyPeblar.exceptions",
    },
    also_from=("pyPeblar.api", "pyPeblar.models"),
)
