"""Human-readable output: units people read (A, kW, kWh), 80 columns, absent values said so.

Every function takes models (or plain values) and returns text; nothing here talks to a charger,
so each command's output is built in one place and the JSON form is simply ``to_dict()``.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone, tzinfo
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from pyPeblar._web.events import ChargerEvent
    from pyPeblar.models import EVInterfaceResponse, HealthResponse, MeterResponse, SystemResponse
    from pyPeblar.webui.models import MeterHistory, RfidToken, Versions

__all__ = [
    "ABSENT",
    "HISTORY_COLUMNS",
    "SAMPLE_HEADER",
    "amps",
    "cp_state_words",
    "event_document",
    "event_line",
    "history_csv",
    "render_changed_settings",
    "render_ev",
    "render_health",
    "render_meter",
    "render_rfid_tokens",
    "render_settings",
    "render_smart_charging",
    "render_status",
    "render_system",
    "render_versions",
    "sample_line",
]

#: What an absent or null value shows as (never 0: 0 would be a reading).
ABSENT: Final = "-"

CP_STATE_WORDS: Final = {
    "State A": "no vehicle connected",
    "State B": "vehicle connected, not charging",
    "State C": "charging",
    "State D": "charging, ventilation requested",
    "State E": "error: no pilot signal or short to earth",
    "State F": "fault detected by the charger",
    "State Invalid": "invalid control-pilot signal",
    "unknown state": "control pilot cannot be measured",
}


def cp_state_words(state: object) -> str:
    """``"charging (State C)"``; a state this version does not know is shown as sent."""
    if state is None:
        return ABSENT
    text = str(state)
    words = CP_STATE_WORDS.get(text)
    return f"{words} ({text})" if words else f"{text} (a state this pyPeblar does not know)"


def amps(milliamps: int | None) -> str:
    return ABSENT if milliamps is None else f"{milliamps / 1000:.1f} A"


def kilowatts(watts: int | None) -> str:
    return ABSENT if watts is None else f"{watts / 1000:.2f} kW"


def kilowatt_hours(watt_hours: int | None) -> str:
    return ABSENT if watt_hours is None else f"{watt_hours / 1000:.2f} kWh"


def volts(value: int | None) -> str:
    return ABSENT if value is None else f"{value} V"


def yes_no(value: bool | None, yes: str = "on", no: str = "off") -> str:
    return ABSENT if value is None else (yes if value else no)


def duration(seconds: int | None) -> str:
    if seconds is None:
        return ABSENT
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    return f"{days} d {hours} h" if days else f"{hours} h {rest // 60} min"


def codes(values: list[int] | None) -> str:
    if values is None:
        return ABSENT
    return ", ".join(str(code) for code in values) if values else "none"


def rows(pairs: list[tuple[str, str]]) -> str:
    return "\n".join(f"{label:<14}{value}".rstrip() for label, value in pairs)


def limit_rows(ev: EVInterfaceResponse) -> list[tuple[str, str]]:
    """The limit set through the API, and what the charger actually offers and why."""
    limit = ev.charge_current_limit
    if limit is not None and limit < 6000:
        own = f"paused ({amps(limit)} set through the API)"
    else:
        own = f"{amps(limit)} set through the API"
    offered = amps(ev.charge_current_limit_actual)
    if ev.charge_current_limit_source is not None:
        offered += f" (lowest limit: {ev.charge_current_limit_source})"
    return [("Limit", own), ("Offered", offered)]


def render_ev(ev: EVInterfaceResponse) -> str:
    return rows(
        [
            ("Vehicle", cp_state_words(ev.cp_state)),
            *limit_rows(ev),
            ("Single phase", yes_no(ev.force1_phase)),
            ("Socket lock", yes_no(ev.lock_state, "locked", "unlocked")),
        ]
    )


def phase_rows(meter: MeterResponse) -> list[tuple[str, str]]:
    result = []
    for phase in (1, 2, 3):
        current = getattr(meter, f"current_phase{phase}")
        voltage = getattr(meter, f"voltage_phase{phase}")
        power = getattr(meter, f"power_phase{phase}")
        if phase > 1 and current is None and voltage is None and power is None:
            continue  # a single-phase charger leaves these keys out
        result.append(
            (f"  L{phase}", f"{amps(current):>8}  {volts(voltage):>6}  {kilowatts(power):>9}")
        )
    return result


def render_meter(meter: MeterResponse) -> str:
    return rows(
        [
            ("Power", kilowatts(meter.power_total)),
            *phase_rows(meter),
            ("Session", kilowatt_hours(meter.energy_session)),
            ("Total", kilowatt_hours(meter.energy_total)),
        ]
    )


def render_system(system: SystemResponse) -> str:
    signal = system.wlan_signal_strength
    cellular = system.cellular_signal_strength
    return rows(
        [
            ("Product", f"{system.product_pn or ABSENT}, serial {system.product_sn or ABSENT}"),
            ("Firmware", system.firmware_version or ABSENT),
            ("Uptime", duration(system.uptime)),
            ("Phases", str(system.phase_count) if system.phase_count is not None else ABSENT),
            ("Single phase", yes_no(system.force1_phase_allowed, "allowed", "not allowed")),
            ("Wi-Fi", ABSENT if signal is None else f"{signal} dBm"),
            ("Cellular", ABSENT if cellular is None else f"{cellular} dBm"),
            ("Errors", codes(system.active_error_codes)),
            ("Warnings", codes(system.active_warning_codes)),
        ]
    )


def render_health(health: HealthResponse) -> str:
    return rows(
        [
            ("API version", health.api_version or ABSENT),
            ("Access mode", str(health.access_mode) if health.access_mode else ABSENT),
        ]
    )


def render_status(
    health: HealthResponse | None,
    system: SystemResponse,
    ev: EVInterfaceResponse,
    meter: MeterResponse,
) -> str:
    """One screen: what a person wants to know about a charger (``health`` None: over Modbus,
    which has no API version or access mode to read)."""
    firmware = (system.firmware_version or ABSENT).split("+", 1)[0]
    title = (
        f"Peblar {system.product_sn or ABSENT} ({system.product_pn or ABSENT}), "
        f"firmware {firmware}, up {duration(system.uptime)}"
    )
    phases = ABSENT if system.phase_count is None else f"{system.phase_count} connected"
    mode = "on" if ev.force1_phase else ("off" if ev.force1_phase is False else ABSENT)
    access = str(health.access_mode) if health and health.access_mode else ABSENT
    api = f"{health.api_version or ABSENT}, {access}" if health else "Modbus TCP"
    return "\n".join(
        [
            title,
            "",
            rows(
                [
                    ("Vehicle", cp_state_words(ev.cp_state)),
                    *limit_rows(ev),
                    ("Phases", f"{phases}; single-phase charging {mode}"),
                    ("Power", kilowatts(meter.power_total)),
                    *phase_rows(meter),
                    (
                        "Energy",
                        f"session {kilowatt_hours(meter.energy_session)}, "
                        f"total {kilowatt_hours(meter.energy_total)}",
                    ),
                    ("API", api),
                    ("Errors", codes(system.active_error_codes)),
                    ("Warnings", codes(system.active_warning_codes)),
                ]
            ),
        ]
    )


#: The columns of ``sample_line``, printed once above the samples.
SAMPLE_HEADER: Final = (
    f"{'time':<8} {'vehicle':<13} {'offered':>7} {'power':>9}  {'current L1/L2/L3':<13}  session"
)


def sample_line(when: datetime, ev: EVInterfaceResponse, meter: MeterResponse) -> str:
    """One line per watch sample, for logs and pipes (fits 80 columns; ``SAMPLE_HEADER`` names
    its columns)."""
    state = str(ev.cp_state) if ev.cp_state is not None else ABSENT
    currents = "/".join(
        ABSENT if value is None else f"{value / 1000:.1f}"
        for value in (meter.current_phase1, meter.current_phase2, meter.current_phase3)
    )
    return (
        f"{when:%H:%M:%S} {state:<13} {amps(ev.charge_current_limit_actual):>7} "
        f"{kilowatts(meter.power_total):>9}  {currents} A  "
        f"{kilowatt_hours(meter.energy_session)}"
    )


# -- the web interface ----------------------------------------------------------------------------


def setting(value: Any) -> str:
    """A setting as ``config set`` takes it: JSON's true, false and numbers, strings as they are."""
    value = getattr(value, "value", value)  # an enum member: its wire value
    if value is None:
        return ABSENT
    if isinstance(value, str):
        return value if value.strip() == value and value else json.dumps(value)
    return json.dumps(value)


def aligned(pairs: Iterable[tuple[str, str]], indent: str = "") -> list[str]:
    """``label  value`` lines, the values in one column after the longest label."""
    pairs = list(pairs)
    width = max((len(label) for label, _ in pairs), default=0) + 2
    return [f"{indent}{label:<{width}}{value}".rstrip() for label, value in pairs]


#: The smart-charging mode of settings that match none of ``SmartChargingMode``.
NO_MODE: Final = "none of the web interface's modes"


def render_settings(document: Mapping[str, Any], writable: Iterable[str], mode: str | None) -> str:
    """The user configuration: the smart-charging mode, then the settings ``config set``
    changes, then the rest (set by the installer, or unknown to this pyPeblar), each sorted."""
    can_change = set(writable)
    changeable = [
        (key, setting(value)) for key, value in sorted(document.items()) if key in can_change
    ]
    fixed = [
        (key, setting(value)) for key, value in sorted(document.items()) if key not in can_change
    ]
    lines = [f"Smart charging: {mode or NO_MODE}", ""]
    if changeable:
        lines += [
            "Settings you can change (pypeblar config set KEY=VALUE):",
            *aligned(changeable, "  "),
        ]
    if fixed:
        lines += ["", "Read-only (set by the installer):", *aligned(fixed, "  ")]
    return "\n".join(lines)


def render_changed_settings(document: Mapping[str, Any], keys: Iterable[str]) -> str:
    """The settings named by ``keys`` as the charger now reports them."""
    return "\n".join(
        [
            "Changed; the charger now reports:",
            *aligned(((k, setting(document.get(k))) for k in keys), "  "),
        ]
    )


def render_smart_charging(mode: str | None, document: Mapping[str, Any]) -> str:
    """The smart-charging mode and, for custom solar, its three settings."""
    lines = [("Smart charging", mode or NO_MODE)]
    if mode is None:
        lines.append(
            (
                "",
                f"(ScheduledChargingEnable {setting(document.get('ScheduledChargingEnable'))}, "
                f"SolarChargingEnable {setting(document.get('SolarChargingEnable'))})",
            )
        )
    if mode == "custom_solar":
        target = document.get("SolarChargingCustomPowerTarget")
        threshold = document.get("SolarChargingCustomPowerThreshold")
        lines += [
            ("Always charge", yes_no(document.get("SolarChargingCustomAlwaysCharge"), "yes", "no")),
            ("Power target", ABSENT if target is None else f"{target} W at the grid connection"),
            ("Threshold", ABSENT if threshold is None else f"{threshold} W of surplus to start"),
        ]
    return "\n".join(aligned(lines))


def render_rfid_tokens(tokens: list[RfidToken]) -> str:
    """One card a line: its UID and description."""
    if not tokens:
        return "No RFID cards: any card is refused (unless the charger charges without one)."
    return "\n".join(
        aligned((t.rfid_token_uid or ABSENT, t.rfid_token_description or "") for t in tokens)
    )


def render_versions(current: Versions, available: Versions) -> str:
    """Firmware and customisation: what runs, what Peblar offers, and how to install it."""
    lines, offers = [], []
    for label, name in (("Firmware", "firmware"), ("Customization", "customization")):
        now, offered = getattr(current, name), getattr(available, name)
        if offered is None or offered == now:
            news = "up to date"
        else:
            news = f"{offered} available"
            offers.append(label)
        lines.append((label, f"{now or ABSENT} ({news})"))
    text = "\n".join(aligned(lines))
    if offers:
        how = " or ".join(
            "pypeblar update" + ("" if label == "Firmware" else f" --package {label}")
            for label in offers
        )
        text += f"\n\nTo install: {how}"
    return text


#: The columns of ``pypeblar history``.
HISTORY_COLUMNS: Final = ("session", "start", "end", "energy_kwh", "rfid_token")


def local_zone(name: str | None) -> tzinfo:
    """The charger's time zone (an IANA name); UTC when unknown here."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name) if name else timezone.utc
    except (ZoneInfoNotFoundError, ValueError):
        return timezone.utc


def history_csv(history: MeterHistory) -> str:
    """The meter's sessions as CSV: number, start and end in the charger's local time (ISO 8601
    with the offset), energy in kWh, the RFID card's UID; a running session has no end yet."""
    zone = local_zone(history.meta_data.time_zone if history.meta_data else None)

    def moment(seconds: int | None) -> str:
        if seconds is None:
            return ""
        return datetime.fromtimestamp(seconds, zone).isoformat(timespec="seconds")

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HISTORY_COLUMNS)
    for session in history.session or []:
        start, end = session.session_start_energym_wh, session.session_end_energym_wh
        energy = "" if start is None or end is None else f"{(end - start) / 1_000_000:.3f}"
        writer.writerow(
            (
                "" if session.session_number is None else session.session_number,
                moment(session.session_start_time),
                moment(session.session_end_time),
                energy,
                session.auth_token or "",
            )
        )
    return buffer.getvalue()


def event_document(when: datetime, event: ChargerEvent) -> dict[str, Any]:
    """An event as ``pypeblar events --json`` prints it: the charger's own keys for ``data``."""
    data = event.data if isinstance(event.data, dict) else event.data.to_dict()
    return {
        "time": when.isoformat(timespec="seconds"),
        "topic": event.topic,
        "data": data,
        "resumed": event.resumed,
    }


def event_line(when: datetime, event: ChargerEvent) -> str:
    """One line per event, for people (fits 80 columns for the known topics)."""
    data: Any = event.data
    topic = event.topic
    if topic.startswith("/session/status/connector/"):
        text = f"session   {str(data.state) if data.state is not None else ABSENT:<19}"
        meter = data.meter_data
        if meter is not None:
            power = sum(meter.instantaneous_power or []) if meter.instantaneous_power else None
            text += f" {kilowatts(power):>9}  session {kilowatt_hours(meter.session_energy)}"
    elif topic == "/system/fwupdate/status":
        versions = f"{data.fw_ident_old or ABSENT} -> {data.fw_ident_new or ABSENT}"
        text = f"firmware  {data.status or ABSENT}  {versions}"
    elif topic in ("/rfid/tokenfound", "/vehicle/tokenfound"):
        kind = "card" if topic.startswith("/rfid") else "vehicle"
        text = f"{kind:<9} {data.token_id or ABSENT} read"
    else:
        text = f"{topic}  {json.dumps(data, separators=(',', ':'))[:200]}"
    resumed = "  (after a reconnection)" if event.resumed else ""
    return f"{when:%H:%M:%S}  {text.rstrip()}{resumed}"
