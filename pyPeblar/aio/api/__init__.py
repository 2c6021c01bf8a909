# flake8: noqa

__all__ = [
    "AuthorizationApi",
    "EVInterfaceApi",
    "HealthApi",
    "MeterApi",
    "SystemApi",
]

import typing as _typing

if _typing.TYPE_CHECKING:
    # import apis into api package
    from pyPeblar.aio.api.authorization_api import AuthorizationApi
    from pyPeblar.aio.api.ev_interface_api import EVInterfaceApi
    from pyPeblar.aio.api.health_api import HealthApi
    from pyPeblar.aio.api.meter_api import MeterApi
    from pyPeblar.aio.api.system_api import SystemApi
        
else:
    from importlib import import_module

    _exports = {
        "AuthorizationApi": ".authorization_api",
        "EVInterfaceApi": ".ev_interface_api",
        "HealthApi": ".health_api",
        "MeterApi": ".meter_api",
        "SystemApi": ".system_api",
    }

    def __getattr__(name: str) -> object:
        if (module_name := _exports.get(name)) is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(import_module(module_name, __name__), name)
        globals()[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(globals().keys() | _exports.keys())
