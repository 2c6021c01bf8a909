"""The web interface's device, connector, token, statistics and schedule calls.

Each handler takes a ``WebRequest`` and returns a ``Reply`` (or raises ``RefusedError``). What the
web interface keeps besides the charger's own state (identify count, versions, vehicle list,
schedules) is a ``WebState``; everything the local REST API also sees lives on the ``Charger``.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from pyPeblar.simulator._reply import JSON_NULL, RefusedError, Reply, json_object
from pyPeblar.simulator._settings import default_settings, firmware_at_least
from pyPeblar.simulator._state import DAYS, State

__all__ = ["ROUTES", "WebRequest"]

#: What the lists and the schedule take, as openapi/webui.yaml says (pyPeblar's choices where
#: Peblar has published nothing): a card's UID in hex, 4 to 10 bytes; an EVCC ID of letters,
#: digits and ``:._-``; an owner's name of at most 64 characters, none a control character.
RFID_UID: Final = re.compile(r"(?:[0-9A-Fa-f]{2}){4,10}")
EVCC_ID: Final = re.compile(r"[0-9A-Za-z:._-]{1,64}")
OWNERS_NAME: Final = re.compile(r"[^\x00-\x1f\x7f]{0,64}")
MAX_SLOTS: Final = 48
MAX_SCHEDULE_AMPS: Final = 32
#: A firmware update's status on the websocket: the one value seen on real chargers, and the
#: simulator's for an update under way (the real ones are unpublished).
UPDATE_SUCCEEDED: Final = "EFwUpdateSuccess"
UPDATE_RUNNING: Final = "EFwUpdateInProgress"
#: Paths firmware 1.10 moved: (new, old). Each answers 404 on the other side of 1.10.
MOVED: Final = {
    "/api/v1/connector/plug-state": "/api/v1/system/connector",
    "/api/v1/connector/socket-unlock": "/api/v1/system/socket-unlock",
}


@dataclass
class WebRequest:
    """One web-interface request as the handlers see it."""

    state: State
    body: Any
    cookie: str | None
    query: dict[str, str]
    param: str | None = None


# -- device --------------------------------------------------------------------------------------


def system_information(request: WebRequest) -> Reply:
    profile = request.state.charger.profile
    serial = profile.product_sn
    mac = "00:0F:11:" + ":".join(
        f"{byte:02X}" for byte in zlib.crc32(serial.encode()).to_bytes(4, "big")[1:]
    )
    return Reply(
        200,
        {
            "BopCalIGainA": 264625,
            "BopCalIGainB": 267139,
            "BopCalIGainC": 239155,
            "CanChangeChargingPhases": profile.phase_count == 3 and profile.force_1phase_allowed,
            "CanChargeSinglePhase": True,
            "CanChargeThreePhases": profile.phase_count == 3,
            "CustomerId": "PBLR-0000645",
            "CustomerUpdatePackagePubKey": (
                "-----BEGIN PUBLIC KEY-----\nsimulated\n-----END PUBLIC KEY-----\n"
            ),
            "EthMacAddr": mac,
            "FwIdent": profile.firmware,
            "Hostname": "PBLR-0000645",
            "HwFwCompat": "wlac-2",
            "HwHas4pRelay": not profile.force_1phase_allowed and profile.phase_count == 3,
            "HwHasBop": True,
            "HwHasBuzzer": True,
            "HwHasDualSocket": False,
            "HwHasEichrechtLaserMarking": False,
            "HwHasEthernet": True,
            "HwHasLed": True,
            "HwHasLte": isinstance(profile.cellular_signal, int),
            "HwHasMeter": True,
            "HwHasMeterDisplay": True,
            "HwHasPlc": False,
            "HwHasRfid": True,
            "HwHasRs485": True,
            "HwHasShutter": False,
            "HwHasSocket": profile.has_lock_state,
            "HwHasTpm": False,
            "HwHasWlan": True,
            "HwMaxCurrent": profile.max_current_ma // 1000,
            "HwOneOrThreePhase": profile.phase_count,
            "HwUKCompliant": False,
            "MainboardPn": "6004-2300-7600",
            "MainboardSn": "23-38-A4E-2MC",
            "MeterCalIGainA": 267369,
            "MeterCalIGainB": 228286,
            "MeterCalIGainC": 246455,
            "MeterCalIRmsOffsetA": 15573,
            "MeterCalIRmsOffsetB": 268422963,
            "MeterCalIRmsOffsetC": 9082,
            "MeterCalPhaseA": 250,
            "MeterCalPhaseB": 271,
            "MeterCalPhaseC": 271,
            "MeterCalVGainA": 250551,
            "MeterCalVGainB": 246074,
            "MeterCalVGainC": 230191,
            "MeterFwIdent": "b9cbcd",
            "NorFlash": True,
            "ProductModelName": "WLAC1-H11R0WE0ICR00",
            "ProductPn": profile.product_pn,
            "ProductSn": serial,
            "ProductVendorName": "Peblar",
            "WlanApMacAddr": mac[:-2] + f"{(int(mac[-2:], 16) + 1) % 256:02X}",
            "WlanStaMacAddr": mac[:-2] + f"{(int(mac[-2:], 16) + 2) % 256:02X}",
        }
        | (
            {} if profile.has_lock_state else {"HwFixedCableRating": profile.max_current_ma // 1000}
        ),
    )


def ntp_sync(request: WebRequest) -> Reply:
    return Reply(200, {"TimeSynced": True})


def web_interface_mode(request: WebRequest) -> Reply:
    return Reply(200, {"Mode": "dashboard"})


def identify(request: WebRequest) -> Reply:
    web = request.state.web
    with web.lock:
        web.identify_count += 1
    return Reply(200, None)


def reboot(request: WebRequest) -> Reply:
    body = request.body
    if not isinstance(body, dict) or body.get("RebootType") != "HardReboot":
        raise RefusedError(400, "Bad request: RebootType must be HardReboot")
    web = request.state.web

    def reboot() -> None:
        if web.restart is not None:
            web.restart(None)

    return Reply(200, None, after=reboot)


def current_versions(request: WebRequest) -> Reply:
    web = request.state.web
    return Reply(
        200,
        {"Customization": web.customization, "Firmware": request.state.charger.profile.firmware},
    )


def available_versions(request: WebRequest) -> Reply:
    web = request.state.web
    firmware = request.state.charger.profile.firmware
    return Reply(
        200,
        {
            "Customization": web.available_customization or web.customization,
            "Firmware": web.available_firmware or firmware,
        },
    )


def start_update(request: WebRequest) -> Reply:
    state, body = request.state, request.body
    package = body.get("Package-Type") if isinstance(body, dict) else None
    if package not in ("Firmware", "Customization"):
        raise RefusedError(400, "Bad request: Package-Type must be Firmware or Customization")
    web, charger = state.web, state.charger
    if package == "Firmware":
        new = web.available_firmware
        if new is None or new == charger.profile.firmware:
            raise RefusedError(400, "Bad request: the firmware is up to date")
    else:
        new = web.available_customization
        if new is None or new == web.customization:
            raise RefusedError(400, "Bad request: the customization is up to date")

    old = charger.profile.firmware if package == "Firmware" else web.customization
    events = state.events

    def install() -> None:
        """The new package takes effect while the charger is down, as a real update does."""
        events.firmware_update(UPDATE_SUCCEEDED, old, new, final=True)
        if package == "Customization":
            web.customization = new
        else:
            with charger.lock:
                charger.profile = charger.profile._replace(firmware=new)
                fresh = default_settings(charger.profile.max_current_ma // 1000, new)
                for key, value in fresh.items():
                    charger.settings.setdefault(key, value)

    def update() -> None:
        events.firmware_update(UPDATE_RUNNING, old, new, final=False)
        events.flush(1.0)  # out before the reboot cuts the websockets
        if web.restart is not None:
            web.restart(install)
        else:
            install()

    return Reply(200, None, after=update)


# -- connector -----------------------------------------------------------------------------------


def plug_state(request: WebRequest) -> Reply:
    charger = request.state.charger
    with charger.lock:
        plugged = charger.plugged
        body: dict[str, Any] = {
            "PluggedInEV": plugged,
            "PluggedInEVSE": plugged or not charger.profile.has_lock_state,
        }
        if firmware_at_least(charger.profile.firmware, 1, 10):
            body["ConnectorId"] = "1"
    return Reply(200, body)


def socket_unlock(request: WebRequest) -> Reply:
    charger = request.state.charger
    charger.change(socket_released=True)
    return Reply(200, None)


# -- tokens --------------------------------------------------------------------------------------


def list_rfid(request: WebRequest) -> Reply:
    charger = request.state.charger
    with charger.lock:
        tokens = [
            {"RfidTokenDescription": name, "RfidTokenUid": uid}
            for uid, name in charger.rfid_tokens.items()
        ]
    return Reply(200, {"Tokens": tokens})


def get_rfid(request: WebRequest) -> Reply:
    charger = request.state.charger
    with charger.lock:
        name = charger.rfid_tokens.get(request.param or "")
    if name is None:
        raise RefusedError(404, f"Not found: no RFID token {request.param}")
    return Reply(200, {"RfidTokenDescription": name, "RfidTokenUid": request.param})


def add_rfid(request: WebRequest) -> Reply:
    body, charger = json_object(request.body), request.state.charger
    uid, name = body.get("RfidTokenUid"), body.get("RfidTokenDescription", "")
    if not isinstance(uid, str) or not RFID_UID.fullmatch(uid):
        raise RefusedError(400, "Bad request: RfidTokenUid must be a UID of 4 to 10 bytes in hex")
    if not isinstance(name, str) or not OWNERS_NAME.fullmatch(name):
        raise RefusedError(
            400, "Bad request: RfidTokenDescription must be text of at most 64 characters"
        )
    with charger.lock:
        if uid in charger.rfid_tokens:
            raise RefusedError(400, f"Bad request: RFID token {uid} is already in the list")
        charger.rfid_tokens[uid] = name
    return Reply(200, None)


def delete_rfid(request: WebRequest) -> Reply:
    charger = request.state.charger
    with charger.lock:
        if charger.rfid_tokens.pop(request.param or "", None) is None:
            raise RefusedError(404, f"Not found: no RFID token {request.param}")
    return Reply(200, None)


def iso15118(request: WebRequest) -> bool:
    return request.state.charger.settings.get("Iso15118CommunicationEnable") is True


def list_vehicles(request: WebRequest) -> Reply:
    if not iso15118(request):
        return Reply(200, JSON_NULL)
    web = request.state.web
    with web.lock:
        tokens = [{"Alias": alias, "EvccId": evcc} for evcc, alias in web.vehicle_tokens.items()]
    return Reply(200, {"VehicleTokens": tokens})


def add_vehicle(request: WebRequest) -> Reply:
    body, web = request.body, request.state.web
    if not iso15118(request):
        raise RefusedError(403, "Forbidden: ISO 15118 communication is off")
    body = json_object(body)
    evcc, alias = body.get("EvccId"), body.get("Alias", "")
    if not isinstance(evcc, str) or not EVCC_ID.fullmatch(evcc):
        raise RefusedError(400, "Bad request: EvccId must be 1 to 64 letters, digits or :._-")
    if not isinstance(alias, str) or not OWNERS_NAME.fullmatch(alias):
        raise RefusedError(400, "Bad request: Alias must be text of at most 64 characters")
    if not isinstance(body.get("Authorize", True), bool):
        raise RefusedError(400, "Bad request: Authorize must be true or false")
    with web.lock:
        if evcc in web.vehicle_tokens:
            raise RefusedError(400, f"Bad request: vehicle {evcc} is already in the list")
        web.vehicle_tokens[evcc] = alias
    return Reply(200, None)


def delete_vehicle(request: WebRequest) -> Reply:
    web = request.state.web
    with web.lock:
        if web.vehicle_tokens.pop(request.param or "", None) is None:
            raise RefusedError(404, f"Not found: no vehicle {request.param}")
    return Reply(200, None)


# -- statistics and schedules ----------------------------------------------------------------------


def meter_history(request: WebRequest) -> Reply:
    charger = request.state.charger
    meta = {
        "MeterHash": f"{zlib.crc32(charger.profile.product_sn.encode()):08x}",
        "MeterVersion": "1.0.0",
        "MidCertified": True,
        "ProductPn": charger.profile.product_pn,
        "ProductSn": charger.profile.product_sn,
        "TimeZone": charger.time_zone(),
    }
    query = request.query
    body = charger.history.meter_history(
        query.get("StartTime"), query.get("StopTime"), meta, charger.wall_time()
    )
    return Reply(200, body)


def session_graph(request: WebRequest) -> Reply:
    charger = request.state.charger
    now, energy_mwh = charger.meter_reading()
    return Reply(200, charger.history.session_graph(now, energy_mwh))


def energy_history(request: WebRequest) -> Reply:
    charger = request.state.charger
    now, energy_mwh = charger.meter_reading()
    return Reply(200, charger.history.energy_history(now, charger.time_zone(), energy_mwh))


def read_schedules(request: WebRequest) -> Reply:
    web = request.state.web
    with web.lock:
        return Reply(200, {day: [dict(slot) for slot in web.schedules[day]] for day in DAYS})


def write_schedules(request: WebRequest) -> Reply:
    body = json_object(request.body)
    missing = [day for day in DAYS if day not in body]
    if missing:
        raise RefusedError(400, f"Bad request: every day is needed; missing {', '.join(missing)}")
    unknown = [key for key in body if key not in DAYS]
    if unknown:
        raise RefusedError(400, f"Bad request: unknown key {unknown[0]}")
    schedules: dict[str, list[dict[str, int]]] = {}
    for day in DAYS:
        slots = body[day]
        if (
            not isinstance(slots, list)
            or len(slots) > MAX_SLOTS
            or not all(_slot_ok(slot) for slot in slots)
        ):
            raise RefusedError(
                400,
                f"Bad request: {day} must be a list of at most {MAX_SLOTS} "
                f"{{CurrentLimit: A 0-{MAX_SCHEDULE_AMPS}, StartTime: minutes 0-1439}}",
            )
        schedules[day] = [
            {"CurrentLimit": slot["CurrentLimit"], "StartTime": slot["StartTime"]}
            for slot in sorted(slots, key=lambda slot: int(slot["StartTime"]))
        ]
    web = request.state.web
    with web.lock:
        web.schedules = schedules
    return Reply(200, None)


def _slot_ok(slot: Any) -> bool:
    if not isinstance(slot, dict) or set(slot) != {"CurrentLimit", "StartTime"}:
        return False
    limit, start = slot["CurrentLimit"], slot["StartTime"]
    integers = all(isinstance(v, int) and not isinstance(v, bool) for v in (limit, start))
    return integers and 0 <= limit <= MAX_SCHEDULE_AMPS and 0 <= start < 1440


WebHandler = Callable[[WebRequest], Reply]

#: path -> method -> handler; every one needs a session. ``{}`` is a path parameter.
ROUTES: Final[dict[str, dict[str, WebHandler]]] = {
    "/api/v1/system/info": {"GET": system_information},
    "/api/v1/system/ntp-sync": {"GET": ntp_sync},
    "/api/v1/system/web-interface-mode": {"GET": web_interface_mode},
    "/api/v1/system/identify": {"PUT": identify},
    "/api/v1/system/reboot": {"POST": reboot},
    "/api/v1/system/software/automatic-update/current-versions": {"GET": current_versions},
    "/api/v1/system/software/automatic-update/available-versions": {"GET": available_versions},
    "/api/v1/system/software/automatic-update/update": {"POST": start_update},
    "/api/v1/connector/plug-state": {"GET": plug_state},
    "/api/v1/system/connector": {"GET": plug_state},
    "/api/v1/connector/socket-unlock": {"POST": socket_unlock},
    "/api/v1/system/socket-unlock": {"POST": socket_unlock},
    "/api/v1/config/auth/standalonelist": {"GET": list_rfid, "POST": add_rfid},
    "/api/v1/config/auth/standalonelist/{}": {"GET": get_rfid, "DELETE": delete_rfid},
    "/api/v1/config/auth/vehicle-standalonelist": {"GET": list_vehicles, "POST": add_vehicle},
    "/api/v1/config/auth/vehicle-standalonelist/{}": {"DELETE": delete_vehicle},
    "/api/v1/statistics/meterhistory": {"GET": meter_history},
    "/api/v1/statistics/session": {"GET": session_graph},
    "/api/v1/statistics/history": {"GET": energy_history},
    "/api/v1/config/scheduledcharging/schedules": {"GET": read_schedules, "POST": write_schedules},
}
