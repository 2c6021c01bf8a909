"""What the charger's meter remembers: charging sessions, and the statistics derived from them.

A session starts when a plugged-in car is authorised (at once without ``require_authorization``,
else by an RFID card) and ends when the car leaves or a card stops it. Times are Unix seconds on the
simulated clock (``advance()`` moves them too), energies the meter's counter in mWh. The session
graph and the energy history are derived from the same sessions (pyPeblar's choice: a real charger
samples its meter; here each session's average power stands for all its points).
"""

from __future__ import annotations

import calendar
import threading
import zlib
from dataclasses import dataclass
from datetime import datetime, timezone, tzinfo
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["History", "SessionRecord"]

#: Seconds between two points of the session graph.
GRAPH_INTERVAL: Final = 300


@dataclass
class SessionRecord:
    """One session; ``end_time`` and ``end_mwh`` are None while it runs."""

    number: int
    start_time: int
    start_mwh: int
    auth_token: str | None
    phases: int
    end_time: int | None = None
    end_mwh: int | None = None

    def wire(self) -> dict[str, Any]:
        fields = (
            self.number,
            self.start_time,
            self.start_mwh,
            self.end_time,
            self.end_mwh,
            self.auth_token,
        )
        return {
            "AuthToken": self.auth_token,
            "Checksum": zlib.crc32(repr(fields).encode()),
            "SessionEndEnergymWh": self.end_mwh,
            "SessionEndTime": self.end_time,
            "SessionNumber": self.number,
            "SessionStartEnergymWh": self.start_mwh,
            "SessionStartTime": self.start_time,
        }


def zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return timezone.utc


def parse_bound(text: str | None, local: tzinfo) -> float | bool | None:
    """Unix seconds of an ISO 8601 bound; None when absent; False when it cannot be read."""
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return False
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=local)  # naive: the charger's local time
    return moment.timestamp()


class History:
    """The recorded sessions, oldest first."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.sessions: list[SessionRecord] = []

    def start(self, when: float, energy_mwh: int, auth_token: str | None, phases: int) -> None:
        with self.lock:
            self.sessions.append(
                SessionRecord(len(self.sessions) + 1, int(when), energy_mwh, auth_token, phases)
            )

    def end(self, when: float, energy_mwh: int) -> None:
        with self.lock:
            if self.sessions and self.sessions[-1].end_time is None:
                self.sessions[-1].end_time = int(when)
                self.sessions[-1].end_mwh = energy_mwh

    def meter_history(
        self, start: str | None, stop: str | None, meta: dict[str, Any], now: float
    ) -> dict[str, Any]:
        """The ``statistics/meterhistory`` body: sessions overlapping [start, stop]."""
        local = zone(str(meta.get("TimeZone", "UTC")))
        low, high = parse_bound(start, local), parse_bound(stop, local)
        if low is False or high is False:
            low = high = None  # an unreadable bound: the charger ignores the range
        with self.lock:
            chosen = [
                record
                for record in self.sessions
                if (high is None or record.start_time <= float(high))
                and (low is None or (record.end_time or now) >= float(low))
            ]
            if not self.sessions:
                return {"NoSessions": True}
            return {
                "Corrupted": False,
                "CorruptedSession": [False] * len(chosen),
                "MetaData": meta,
                "Session": [record.wire() for record in chosen],
            }

    def session_graph(self, now: float, energy_mwh: int) -> dict[str, Any]:
        """The ``statistics/session`` body: the last session's power graph, newest point first."""
        with self.lock:
            if not self.sessions:
                return {"data": []}
            last = self.sessions[-1]
            end = last.end_time if last.end_time is not None else int(now)
            end_mwh = last.end_mwh if last.end_mwh is not None else energy_mwh
        seconds = max(1, end - last.start_time)
        watts = round((end_mwh - last.start_mwh) / 1000 * 3600 / seconds / last.phases)
        power = [watts if phase < last.phases else 0 for phase in range(3)]
        points = []
        moment = end
        while True:
            stamp = datetime.fromtimestamp(moment, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
            points.append({"averagePower": list(power), "timestamp": stamp})
            moment -= GRAPH_INTERVAL
            if moment <= last.start_time or len(points) >= 288:
                break
        return {"data": points}

    def energy_history(self, now: float, zone_name: str, energy_mwh: int) -> dict[str, Any]:
        """The ``statistics/history`` body: Wh per day of each month and per month of each year.

        Each session counts on the local day it started; months and years run oldest first and
        always include the current one.
        """
        local = zone(zone_name)
        months: dict[tuple[int, int], list[int]] = {}
        years: dict[int, list[int]] = {}

        def book(when: float, wh: int) -> None:
            day = datetime.fromtimestamp(when, local)
            days = calendar.monthrange(day.year, day.month)[1]
            months.setdefault((day.year, day.month), [0] * days)[day.day - 1] += wh
            years.setdefault(day.year, [0] * 12)[day.month - 1] += wh

        book(now, 0)
        with self.lock:
            for record in self.sessions:
                end_mwh = record.end_mwh if record.end_mwh is not None else energy_mwh
                book(record.start_time, (end_mwh - record.start_mwh) // 1000)
        return {
            "HistoryMonth": [
                {"Energy": energy, "Month": month, "Year": year}
                for (year, month), energy in sorted(months.items())
            ],
            "HistoryYear": [
                {"Energy": energy, "Year": year} for year, energy in sorted(years.items())
            ],
        }
