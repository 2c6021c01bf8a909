"""pyPeblar for asyncio: ``AsyncPeblar`` and the asyncio generated API classes.

Hand-written (scripts/regenerate writes only ``pyPeblar/aio/api/``, ``api_client.py`` and
``rest.py`` here). The asyncio generated layer is openapi-generator's asyncio library run on the
same spec: ``pyPeblar.aio.MeterApi(api_client).get_meter()`` is a coroutine, with the same
``*_with_http_info`` and ``*_without_preload_content`` variants, returning the same models as the
synchronous classes (``pyPeblar.models``: there is one copy). Its ``ApiClient`` takes the same
``pyPeblar.Configuration`` and is used with ``async with``. Every call follows the same policy
as the synchronous road, over aiohttp (the ``async`` extra: ``pip install 'pyPeblar[async]'``).

Names are imported on first use; aiohttp is imported by the first client made.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyPeblar._lazy import lazy_attributes

if TYPE_CHECKING:
    from pyPeblar._local.aio_client import AsyncPeblar
    from pyPeblar.aio.api import *  # noqa: F403 - the asyncio API classes, also names here
    from pyPeblar.aio.api_client import ApiClient
    from pyPeblar.api_response import ApiResponse
    from pyPeblar.configuration import Configuration
    from pyPeblar.exceptions import ApiException, OpenApiException
    from pyPeblar.models import *  # noqa: F403 - the models, the same classes as pyPeblar's

__all__ = [
    "ApiClient",
    "ApiException",
    "ApiResponse",
    "AsyncPeblar",
    "Configuration",
    "OpenApiException",
]

__getattr__, __dir__ = lazy_attributes(
    __name__,
    globals(),
    {
        "AsyncPeblar": "pyPeblar._local.aio_client",
        "ApiClient": "pyPeblar.aio.api_client",
        "ApiResponse": "pyPeblar.api_response",
        "Configuration": "pyPeblar.configuration",
        "ApiException": "pyPeblar.exceptions",
        "OpenApiException": "pyPeblar.exceptions",
    },
    also_from=("pyPeblar.aio.api", "pyPeblar.models"),
)
