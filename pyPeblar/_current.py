"""Charge currents: what a limit may be, and how people write one.

The API speaks integer milliamps. People speak amps ("10", "10.5", "10A") or milliamps ("16000mA").
Everything is checked here, before anything is sent, so a typo never reaches a charger. Standard
library only: the command line uses it before pydantic is imported.
"""

from __future__ import annotations

import math
import re
from typing import Final

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


def _number(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{name} must be a number, not {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, not {value!r}")
    return float(value)


def milliamps_from(amps: object = None, milliamps: object = None) -> int:
    """The limit in mA from exactly one of ``amps`` or ``milliamps``, checked to be 6 to 32 A."""
    if (amps is None) == (milliamps is None):
        raise ValueError("give exactly one of amps= or milliamps=")
    if amps is not None:
        number = _number("amps", amps)
        if abs(number) > 1e6:  # checked before scaling: 1e306 A would overflow to infinity
            raise ValueError(f"amps={amps!r} is far outside 6 to 32 A")
        value = round(number * 1000)
    else:
        number = _number("milliamps", milliamps)
        if not number.is_integer():
            raise ValueError(f"milliamps must be a whole number, not {milliamps!r}")
        if abs(number) > 1e9:
            raise ValueError(f"milliamps={milliamps!r} is far outside 6000 to 32000 mA")
        value = int(number)
    return check_charging_limit(value)


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
            f"{text!r} is not a current: write amps (10, 10.5, 10A) or milliamps (16000mA)"
        )
    number = float(match["number"])
    if (match["unit"] or "a").lower() == "ma":
        return milliamps_from(milliamps=number)
    return milliamps_from(amps=number)
