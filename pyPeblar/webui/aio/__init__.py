"""The web-interface API's asyncio generated classes (openapi-generator's asyncio library).

Hand-written (scripts/regenerate writes ``api/``, ``api_client.py`` and ``rest.py`` here). The
same operations as ``pyPeblar.webui``, as coroutines, returning the same models
(``pyPeblar.webui.models``), on the same policy over aiohttp (the ``async`` extra). Most code
uses ``pyPeblar.AsyncPeblarWeb`` instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyPeblar._lazy import lazy_attributes

if TYPE_CHECKING:
    from pyPeblar.webui.aio.api import *  # noqa: F403 - the asyncio API classes, also names here
    from pyPeblar.webui.aio.api_client import ApiClient
    from pyPeblar.webui.configuration import Configuration
    from pyPeblar.webui.models import *  # noqa: F403 - the models, the same classes as webui's

__all__ = ["ApiClient", "Configuration"]

__getattr__, __dir__ = lazy_attributes(
    __name__,
    globals(),
    {
        "ApiClient": "pyPeblar.webui.aio.api_client",
        "Configuration": "pyPeblar.webui.configuration",
    },
    also_from=("pyPeblar.webui.aio.api", "pyPeblar.webui.models"),
)
