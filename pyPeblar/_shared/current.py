"""Charge currents: what a limit may be, and how people write one.

The API speaks integer milliamps. People speak amps ("10", "10.5", "10A") or milliamps ("16000mA").
Everything is checked here, before anything is sent, so a typo never reaches a charger. Standard
library only: the command line uses it before pydantic is imported.
"""

from __future__ import annotations

import math
import re
from typing import Final

from pyPeblar._transport.shown import shown

__all__ = [
    "MAX_MILLIAMPS",
    "MIN_CHARGING_MILLIAMPS",
    "BelowChargingError",
    "milliamps_from",
    "parse_current",
]

#: Below this a charger pauses charging instead (IEC 61851: 6 A is the lowest current a car takes).
MIN_CHARGING_MILLIAMPS: Final = 6000
#: The most any Peblar gives (22 kW units); 11 kW units stop at 16000 and refuse more themselves.
MAX_MILLIAMPS: Final = 32000

_CURRENT = re.compile(r"^\s*(?P<number>[0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*(?P<unit>ma|a)?\s*$", re.I)


def _number(name: str, value: object, far: float, allowed: str) -> float:
    """``value`` as a float, if it is a number within ``far`` of zero; else a ValueError naming
    ``name``. The bound is checked before ``float()``: an int such as ``10**400`` has no float,
    and Python compares ints of any size with floats exactly (NaN fails every comparison)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{name} must be a number, not {shown(value)}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, not {shown(value)}")
    if not -far <= value <= far:
        raise ValueError(f"{name}={shown(value)} is far outside {allowed}")
    return float(value)


def milliamps_from(amps: object = None, milliamps: object = None) -> int:
    """The limit in mA from exactly one of ``amps`` or ``milliamps``, checked to be 6 to 32 A;
    every ``ValueError`` names the parameter."""
    value = _milliamps(amps, milliamps)
    try:
        return check_charging_limit(value)
    except ValueError as error:
        name, given = ("amps", amps) if amps is not None else ("milliamps", milliamps)
        raise ValueError(f"{name}={shown(given)}: {error}") from None


def _milliamps(amps: object, milliamps: object) -> int:
    """Exactly one of ``amps`` or ``milliamps``, a number near enough to a limit, in mA."""
    if (amps is None) == (milliamps is None):
        raise ValueError("give exactly one of amps= or milliamps=")
    if amps is not None:
        # Bounded before scaling: 1e306 A would overflow to infinity.
        return round(_number("amps", amps, 1e6, "6 to 32 A") * 1000)
    number = _number("milliamps", milliamps, 1e9, "6000 to 32000 mA")
    if not number.is_integer():
        raise ValueError(f"milliamps must be a whole number, not {shown(milliamps)}")
    return int(number)


class BelowChargingError(ValueError):
    """A limit below 6 A, where a charger pauses instead of charging: a caller who meant to
    pause is told how (``advice``: Python's words by default, the command line gives its own)."""

    def __init__(self, milliamps: int, advice: str = "call pause() to pause") -> None:
        self.milliamps = milliamps
        super().__init__(
            f"{milliamps / 1000:g} A is below 6 A, where a charger pauses instead of charging: "
            f"{advice} (limits from 6 to 32 A are allowed)"
        )


def check_charging_limit(milliamps: int) -> int:
    """``milliamps`` if it is a charging limit (6 to 32 A); a clear ``ValueError`` otherwise."""
    if milliamps < 0:
        raise ValueError(f"a current limit cannot be negative ({milliamps} mA)")
    if milliamps < MIN_CHARGING_MILLIAMPS:
        raise BelowChargingError(milliamps)
    if milliamps > MAX_MILLIAMPS:
        raise ValueError(
            f"{milliamps / 1000:g} A is above 32 A, the most any Peblar charger gives "
            "(limits from 6 to 32 A are allowed)"
        )
    return milliamps


def parse_current(text: str) -> int:
    """Read ``"10"``, ``"10.5"``, ``"10A"`` or ``"16000mA"`` as a checked limit in mA."""
    match = _CURRENT.match(text)
    if not match:
        raise ValueError(
            f"{shown(text)} is not a current: write amps (10, 10.5, 10A) or milliamps (16000mA)"
        )
    number = float(match["number"])
    unit = (match["unit"] or "a").lower()
    return check_charging_limit(
        _milliamps(None, number) if unit == "ma" else _milliamps(number, None)
    )
