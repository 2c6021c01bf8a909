# flake8: noqa

__all__ = [
    "ConnectorApi",
    "DeviceApi",
    "SchedulesApi",
    "SessionApi",
    "SettingsApi",
    "StatisticsApi",
    "TokensApi",
]

import typing as _typing

if _typing.TYPE_CHECKING:
    # import apis into api package
    from pyPeblar.webui.api.connector_api import ConnectorApi
    from pyPeblar.webui.api.device_api import DeviceApi
    from pyPeblar.webui.api.schedules_api import SchedulesApi
    from pyPeblar.webui.api.session_api import SessionApi
    from pyPeblar.webui.api.settings_api import SettingsApi
    from pyPeblar.webui.api.statistics_api import StatisticsApi
    from pyPeblar.webui.api.tokens_api import TokensApi
        
else:
    from importlib import import_module

    _exports = {
        "ConnectorApi": ".connector_api",
        "DeviceApi": ".device_api",
        "SchedulesApi": ".schedules_api",
        "SessionApi": ".session_api",
        "SettingsApi": ".settings_api",
        "StatisticsApi": ".statistics_api",
        "TokensApi": ".tokens_api",
    }

    def __getattr__(name: str) -> object:
        if (module_name := _exports.get(name)) is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(import_module(module_name, __name__), name)
        globals()[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(globals().keys() | _exports.keys())
