"""Human-readable output: units people read (A, kW, kWh), 80 columns, absent values said so.

Every function takes models (or plain values) and returns text; nothing here talks to a charger,
so each command's output is built in one place and the JSON form is simply ``to_dict()``.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from pyPeblar.models import EVInterfaceResponse, HealthResponse, MeterResponse, SystemResponse

__all__ = [
    "ABSENT",
    "amps",
    "cp_state_words",
    "render_ev",
    "render_health",
    "render_meter",
    "render_status",
    "render_system",
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
    health: HealthResponse, system: SystemResponse, ev: EVInterfaceResponse, meter: MeterResponse
) -> str:
    """One screen: what a person wants to know about a charger."""
    firmware = (system.firmware_version or ABSENT).split("+", 1)[0]
    title = (
        f"Peblar {system.product_sn or ABSENT} ({system.product_pn or ABSENT}), "
        f"firmware {firmware}, up {duration(system.uptime)}"
    )
    phases = ABSENT if system.phase_count is None else f"{system.phase_count} connected"
    mode = "on" if ev.force1_phase else ("off" if ev.force1_phase is False else ABSENT)
    access = str(health.access_mode) if health.access_mode else ABSENT
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
                    ("API", f"{health.api_version or ABSENT}, {access}"),
                    ("Errors", codes(system.active_error_codes)),
                    ("Warnings", codes(system.active_warning_codes)),
                ]
            ),
        ]
    )


def sample_line(when: datetime, ev: EVInterfaceResponse, meter: MeterResponse) -> str:
    """One line per watch sample, for logs and pipes (fits 80 columns)."""
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
