"""Where a charger's Modbus registers and its REST API disagree: ``pypeblar check``'s third API.

The two APIs report one charger, so every field both carry should agree. Live readings are read a
moment apart (the REST answer, then the registers), so they may move a little in between; the
tolerances below allow for that and nothing more. The limit set through each API is not compared:
the REST API's ``ChargeCurrentLimit`` and the Modbus limit are different registers by design.
A real charger that disagrees beyond them (the session energy over Modbus was reported to
misbehave, evcc issue 25956) shows up here.
"""

from __future__ import annotations

from typing import Any, Final

from pyPeblar._shared.control import wire_name
from pyPeblar.cli._drift import Drift

__all__ = ["DIFFERS", "NOT_COMPARED", "modbus_drifts"]

DIFFERS: Final = "differs from the REST API"
#: Fields each API sets on its own.
NOT_COMPARED: Final = frozenset({"charge_current_limit"})
#: How far a live reading may move between the two reads: (absolute, relative).
TOLERANCES: Final = {
    "uptime": (5, 0.0),
    "energy_total": (10, 0.0),
    "energy_session": (10, 0.0),
    "power_total": (50, 0.05),
    "power_phase1": (50, 0.05),
    "power_phase2": (50, 0.05),
    "power_phase3": (50, 0.05),
    "current_phase1": (200, 0.05),
    "current_phase2": (200, 0.05),
    "current_phase3": (200, 0.05),
    "voltage_phase1": (3, 0.0),
    "voltage_phase2": (3, 0.0),
    "voltage_phase3": (3, 0.0),
}


def modbus_drifts(endpoint: str, rest: Any, modbus: Any) -> list[Drift]:
    """The fields of ``endpoint``'s model where the Modbus reading differs from the REST one.

    Only fields both report are compared (what Modbus does not carry is None there, and a key the
    REST API leaves out is None too).
    """
    drifts = []
    for field, info in type(rest).model_fields.items():
        ours, theirs = getattr(modbus, field), getattr(rest, field)
        if field in NOT_COMPARED or ours is None or theirs is None or _close(field, ours, theirs):
            continue
        drifts.append(
            Drift(
                endpoint,
                DIFFERS,
                info.alias or wire_name(field),  # the REST API's key (``EnergyTotal``)
                f"Modbus reads {ours!r}, the REST API {theirs!r}",
                ours,
            )
        )
    return drifts


def _close(field: str, ours: Any, theirs: Any) -> bool:
    if ours == theirs:
        return True
    if field not in TOLERANCES or not isinstance(ours, int) or not isinstance(theirs, int):
        return False
    absolute, relative = TOLERANCES[field]
    return abs(ours - theirs) <= max(absolute, relative * abs(theirs))
