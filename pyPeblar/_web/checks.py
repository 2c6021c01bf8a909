"""The web clients' arguments, checked before anything is sent.

Most of what a request may carry is said by ``openapi/webui.yaml``: the generated request models
are strict (unknown keys, wrong types, ``None`` where the spec has no null, ``True`` for a number,
values out of range or not matching the pattern are refused), so each write builds its request
model first, and this module turns pydantic's complaint into a ``ValueError`` that names the
caller's parameter. Here too: what a spec cannot say (a setting named twice, the seven days a
schedule needs, a client's own switches).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final, TypeVar

from pyPeblar._transport.shown import shown

if TYPE_CHECKING:
    from pydantic import BaseModel

    from pyPeblar.webui.models import (
        ChargingSchedulesRequest,
        RfidTokenRequest,
        UserConfigurationUpdate,
        VehicleTokenRequest,
    )

__all__ = [
    "ACCESS_MODES",
    "DAYS",
    "check_access_mode",
    "check_password",
    "configuration_update",
    "request_model",
    "rfid_request",
    "schedules_request",
    "vehicle_request",
]

M = TypeVar("M", bound="BaseModel")

ACCESS_MODES: Final = ("ReadOnly", "ReadWrite")
DAYS: Final = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def check_password(password: object) -> str:
    if not isinstance(password, str) or not password:
        raise ValueError("the web interface password must be a non-empty string")
    return password


def check_access_mode(access_mode: object) -> str:
    if access_mode not in ACCESS_MODES or not isinstance(access_mode, str):
        raise ValueError(f"access_mode must be 'ReadOnly' or 'ReadWrite', not {shown(access_mode)}")
    return access_mode


def request_model(model: type[M], values: Mapping[str, Any], names: Mapping[str, str] | str) -> M:
    """``model`` (a strict generated request model) built from ``values``, or a ``ValueError``
    naming, for each refused field, the caller's parameter and what the spec wants; never the
    value (it may be huge). ``names`` maps a field name to the parameter it came from, or is the
    one parameter all of ``values`` came from (``schedules``)."""
    from pydantic import ValidationError

    try:
        return model.model_validate(dict(values))
    except ValidationError as error:
        problems = []
        for item in error.errors(include_url=False, include_input=False)[:3]:
            where = [str(part) for part in item["loc"]]
            if isinstance(names, str):
                where.insert(0, names)
            elif where:
                where[0] = _parameter(model, where[0], names)
            message = item["msg"].removeprefix("Value error, ")
            problems.append(f"{'.'.join(where)}: {message}")
        raise ValueError(f"refused before sending: {'; '.join(problems)}") from None


def _parameter(model: type[BaseModel], key: str, names: Mapping[str, str]) -> str:
    """The caller's name for the field ``key`` of ``model`` (pydantic names it by alias)."""
    for name, info in model.model_fields.items():
        if key in (name, info.alias):
            return names.get(name, key)
    return key


def configuration_update(
    changes: Mapping[str, Any], names: Mapping[str, str] | None = None
) -> UserConfigurationUpdate:
    """The settings ``changes`` (Python or the charger's names) as a checked request; a refused
    value is named by its key, or by ``names`` (field name to the caller's parameter).

    Only the web interface's writable settings are taken, each named once: ``HmiBuzzerVolume=1,
    hmi_buzzer_volume=2`` names one setting twice, and neither is picked silently.
    """
    from pyPeblar.webui.models.user_configuration_update import UserConfigurationUpdate

    if not changes:
        raise ValueError("name at least one setting to change")
    fields = UserConfigurationUpdate.model_fields
    wire = {info.alias: name for name, info in fields.items() if info.alias}
    unknown = [key for key in changes if key not in fields and key not in wire]
    if unknown:
        raise ValueError(
            f"not a setting the web interface can change: {', '.join(map(shown, unknown))} "
            f"(writable: {', '.join(sorted(fields))})"
        )
    given: dict[str, str] = {}  # field name -> the key the caller used
    for key in changes:
        field = wire.get(key, key)
        if field in given:
            raise ValueError(f"{given[field]} and {key} name the same setting: give it once")
        given[field] = key
    named = {wire.get(key, key): value for key, value in changes.items()}
    return request_model(UserConfigurationUpdate, named, {**given, **(names or {})})


def rfid_request(uid: object, description: object) -> RfidTokenRequest:
    """A card to add, checked: its UID in hex, its description a line of text."""
    from pyPeblar.webui.models.rfid_token_request import RfidTokenRequest

    values = {"rfid_token_uid": uid, "rfid_token_description": description}
    names = {"rfid_token_uid": "uid", "rfid_token_description": "description"}
    return request_model(RfidTokenRequest, values, names)


def vehicle_request(evcc_id: object, alias: object, authorize: object) -> VehicleTokenRequest:
    """A vehicle to add, checked: its EVCC ID, its alias a line of text, ``authorize`` a bool."""
    from pyPeblar.webui.models.vehicle_token_request import VehicleTokenRequest

    values = {"evcc_id": evcc_id, "alias": alias, "authorize": authorize}
    return request_model(VehicleTokenRequest, values, {name: name for name in values})


def schedules_request(schedules: object) -> ChargingSchedulesRequest:
    """The weekly schedule (a ``ChargingSchedules`` as read, or a dict of the seven days by their
    names, ``Monday`` or ``monday``) as a checked request: every day, each slot's limit and time.
    """
    from pyPeblar.webui.models.charging_schedules import ChargingSchedules
    from pyPeblar.webui.models.charging_schedules_request import ChargingSchedulesRequest

    if isinstance(schedules, ChargingSchedulesRequest):
        return schedules
    if isinstance(schedules, ChargingSchedules):
        schedules = schedules.to_dict()
    if not isinstance(schedules, dict):
        raise ValueError(
            f"schedules must be a ChargingSchedules or a dict of the 7 days, not {shown(schedules)}"
        )
    missing = [day for day in DAYS if day not in schedules and day.lower() not in schedules]
    if missing:
        raise ValueError(f"schedules: the charger needs all 7 days; missing: {', '.join(missing)}")
    twice = [day for day in DAYS if day in schedules and day.lower() in schedules]
    if twice:
        raise ValueError(f"schedules: {twice[0]} and {twice[0].lower()} name the same day")
    return request_model(ChargingSchedulesRequest, schedules, "schedules")
