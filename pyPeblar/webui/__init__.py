"""The charger's web-interface API (``/api/v1/``), generated from ``openapi/webui.yaml``.

Hand-written (scripts/regenerate writes the subpackages ``models`` and ``api``, ``api_client.py``,
``configuration.py``, ``rest.py`` and ``aio/``'s generated modules). Most code uses the
hand-written clients instead: ``pyPeblar.PeblarWeb`` and ``pyPeblar.AsyncPeblarWeb`` log in, keep
the session, and give typed methods for what owners do. The generated layer is here for
everything else, on the same policy layer as every other request (timeouts, the call deadline,
safe retries, the shared rate limiter, the ``PeblarError`` tree):
``pyPeblar.webui.SettingsApi(web.api_client).get_user_configuration()``.

Names are imported on first use: the models (``UserConfiguration``...), the API classes
(``SettingsApi``...), ``ApiClient`` and ``Configuration`` (this API's own, with its server).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyPeblar._lazy import lazy_attributes

if TYPE_CHECKING:
    from pyPeblar.api_response import ApiResponse
    from pyPeblar.exceptions import ApiException
    from pyPeblar.webui.api import *  # noqa: F403 - the API classes, also names here
    from pyPeblar.webui.api_client import ApiClient
    from pyPeblar.webui.configuration import Configuration
    from pyPeblar.webui.models import *  # noqa: F403 - the models, also names here

__all__ = ["ApiClient", "ApiException", "ApiResponse", "Configuration"]

__getattr__, __dir__ = lazy_attributes(
    __name__,
    globals(),
    {
        "ApiClient": "pyPeblar.webui.api_client",
        "ApiResponse": "pyPeblar.api_response",
        "Configuration": "pyPeblar.webui.configuration",
        "ApiException": "pyPeblar.exceptions",
    },
    also_from=("pyPeblar.webui.api", "pyPeblar.webui.models"),
)
