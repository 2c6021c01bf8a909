"""The kinds of charger the simulator can play, each as real units of that kind answer."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final, NamedTuple

__all__ = ["ABSENT", "PROFILES", "Absent", "Profile", "profile_named"]


class Absent:
    """Marks a key a charger leaves out of its answer entirely (not null, not zero)."""

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Final = Absent()


class Profile(NamedTuple):
    """What a simulated charger is: its identity, hardware and firmware quirks."""

    name: str
    description: str
    product_pn: str
    product_sn: str
    firmware: str
    phase_count: int
    force_1phase_allowed: bool
    max_current_ma: int
    has_lock_state: bool
    meter_omits_phases_2_3: bool = False
    #: dBm, None for null, ABSENT to leave the key out.
    wlan_signal: int | Absent | None = -62
    cellular_signal: int | Absent | None = None
    #: Operations this firmware lacks: (method, path) -> the status it answers (404 or 405).
    missing_operations: Mapping[tuple[str, str], int] = MappingProxyType({})
    #: Plays newer firmware than the spec knows (see the "future-firmware" profile).
    future: bool = False


PROFILES: Final[dict[str, Profile]] = {
    profile.name: profile
    for profile in (
        Profile(
            name="three-phase-socket",
            description="Peblar Home, 11 kW: three phases, 16 A, a socket with a cable lock",
            product_pn="6004-2300-8002",
            product_sn="23-45-A4O-MOF",
            firmware="1.9.2+1+WL-1",
            phase_count=3,
            force_1phase_allowed=True,
            max_current_ma=16000,
            has_lock_state=True,
        ),
        Profile(
            name="three-phase-cable",
            description="Peblar Home Plus, 22 kW: three phases, 32 A, a fixed cable (no LockState)",
            product_pn="6004-2300-8103",
            product_sn="23-51-K2C-ABL",
            firmware="1.9.2+1+WL-1",
            phase_count=3,
            force_1phase_allowed=True,
            max_current_ma=32000,
            has_lock_state=False,
            cellular_signal=-87,
        ),
        Profile(
            name="single-phase",
            description="Peblar Home 7.4 kW: one phase, 32 A; phase 2/3 meter keys left out",
            product_pn="6004-2504-6400",
            product_sn="24-11-B7K-QZX",
            firmware="1.9.2+1+WL-1",
            phase_count=1,
            force_1phase_allowed=False,
            max_current_ma=32000,
            has_lock_state=True,
            meter_omits_phases_2_3=True,
            wlan_signal=ABSENT,
            cellular_signal=ABSENT,
        ),
        Profile(
            name="old-firmware",
            description="firmware 1.6.1: no PUT /evinterface (405), no charge-session call (404)",
            product_pn="6004-2300-8002",
            product_sn="21-04-D3F-GHJ",
            firmware="1.6.1+1+WL-1",
            phase_count=3,
            force_1phase_allowed=True,
            max_current_ma=16000,
            has_lock_state=True,
            missing_operations={
                ("PUT", "/evinterface"): 405,
                ("POST", "/authorization/charge-session"): 404,
            },
        ),
        Profile(
            name="future-firmware",
            description="newer firmware than the spec: a new key in /evinterface, a new limit "
            "source and CP state, EnergySession gone from /meter",
            product_pn="6004-2300-8002",
            product_sn="25-02-F7T-URE",
            firmware="2.0.0+1+WL-1",
            phase_count=3,
            force_1phase_allowed=True,
            max_current_ma=16000,
            has_lock_state=True,
            future=True,
        ),
    )
}


def profile_named(profile: str | Profile) -> Profile:
    """The profile called ``profile`` (or ``profile`` itself); a ValueError naming the choices."""
    if isinstance(profile, Profile):
        return profile
    try:
        return PROFILES[profile]
    except KeyError:
        raise ValueError(
            f"unknown simulator profile {profile!r}; choose one of: {', '.join(PROFILES)}"
        ) from None
