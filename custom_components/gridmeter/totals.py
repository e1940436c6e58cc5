"""What the energy sensors show, from hourly figures kept in memory.

A coordinator keeps the hourly kWh of each register since the start of the
previous month (read once from the recorder at set-up, then updated from
every write), so after a run nothing is read back from the recorder: data
flows client → coordinator → (statistics writer, entities).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from homeassistant.core import HomeAssistant

from .const import STALE_DATA_AFTER
from .data import ConnectionStatus, EnergyTotals, MeterData
from .providers.history import add_months
from .providers.models import MeterPoint, PowerPeak
from .statistics import get_writer, statistic_id

HOUR = timedelta(hours=1)


def window_start(now: datetime, timezone: str) -> datetime:
    """Return the first instant the sensors need: the previous month's start."""
    tz = ZoneInfo(timezone)
    this_month = now.astimezone(tz).date().replace(day=1)
    return datetime.combine(add_months(this_month, -1), time(), tz).astimezone(UTC)


@dataclass(slots=True)
class HourlyMemory:
    """Hourly kWh per (meter, register) since the previous month, and the newest hour.

    Each register's hours are replaced by a new mapping on every update
    (never mutated), so a computation in a worker thread reads a snapshot.
    """

    _hours: dict[tuple[str, str], Mapping[datetime, float]] = field(
        default_factory=dict
    )
    """(meter, series: an energy register or a money series) → hourly values."""
    _latest: dict[str, datetime] = field(default_factory=dict)
    """End of the newest hour with data, per meter (any register)."""

    def update(self, meter_id: str, kind: str, hours: Mapping[datetime, float]) -> None:
        """Merge hourly kWh just written (or read back once at set-up)."""
        if not hours:
            return
        key = (meter_id, kind)
        self._hours[key] = {**self._hours.get(key, {}), **hours}
        self.note_latest(meter_id, max(hours) + HOUR)

    def note_latest(self, meter_id: str, end: datetime | None) -> None:
        """Remember the end of a newer hour with data."""
        if end is not None and (
            meter_id not in self._latest or end > self._latest[meter_id]
        ):
            self._latest[meter_id] = end

    def prune(self, meter_id: str, before: datetime) -> None:
        """Forget hours the sensors no longer need."""
        for key, hours in list(self._hours.items()):
            if key[0] == meter_id and hours and min(hours) < before:
                self._hours[key] = {h: v for h, v in hours.items() if h >= before}

    def forget(self, keep: Collection[str]) -> None:
        """Forget the meters not in `keep` (supply points that are gone)."""
        for key in [k for k in self._hours if k[0] not in keep]:
            del self._hours[key]
        for meter_id in [m for m in self._latest if m not in keep]:
            del self._latest[meter_id]

    def has(self, meter_id: str) -> bool:
        """Whether anything is known of a meter."""
        return meter_id in self._latest or any(k[0] == meter_id for k in self._hours)

    def latest(self, meter_id: str) -> datetime | None:
        """End of the newest hour with data of a meter."""
        return self._latest.get(meter_id)

    def snapshot[K: str](
        self, meter_id: str, kinds: Iterable[K]
    ) -> dict[K, Mapping[datetime, float]]:
        """Return the registers' hours as they are now (for a worker thread)."""
        return {kind: self._hours.get((meter_id, kind), {}) for kind in kinds}


async def async_read_recent(
    hass: HomeAssistant,
    memory: HourlyMemory,
    point: MeterPoint,
    kinds: Iterable[str],
    now: datetime,
) -> None:
    """Read a meter's recent hours from the recorder into memory (once, at set-up).

    Only what the sensors need: the hours since the previous month's start
    and, for a meter silent longer than that, its newest hour (which still
    dates the silence for the 14-day repair). Through the recorder's public
    statistics API, in its executor.
    """
    writer = get_writer(hass)
    start = window_start(now, point.timezone)
    ids = {kind: statistic_id(point.provider, point.meter_id, kind) for kind in kinds}
    for kind, sid in ids.items():
        memory.update(point.meter_id, kind, await writer.async_read_states(sid, start))
    if memory.latest(point.meter_id) is None:
        for sid in ids.values():
            if (last := await writer.async_last_hour(sid)) is not None:
                memory.note_latest(point.meter_id, last + HOUR)


def energy_totals[K: str](
    registers: Mapping[K, Mapping[datetime, float]],
    timezone: str,
    now: datetime,
) -> dict[K, EnergyTotals]:
    """Sum hourly kWh into yesterday / this month / last month / latest day.

    Days and months are those of the supply's own time zone; the latest day
    is the newest complete local day (data arrives days late).
    """
    tz = ZoneInfo(timezone)
    today = now.astimezone(tz).date()
    this_month = today.replace(day=1)
    last_month = add_months(this_month, -1)
    yesterday = today - timedelta(days=1)
    totals: dict[K, EnergyTotals] = {}
    for kind, hours in registers.items():
        sums = {"yesterday": 0.0, "this_month": 0.0, "last_month": 0.0}
        seen = dict.fromkeys(sums, False)
        by_day: dict[date, list[float]] = {}
        for hour, kwh in hours.items():
            local_day = hour.astimezone(tz).date()
            if local_day < last_month:
                continue
            by_day.setdefault(local_day, []).append(kwh)
            buckets = ["this_month" if local_day >= this_month else "last_month"]
            if local_day == yesterday:
                buckets.append("yesterday")
            for bucket in buckets:
                sums[bucket] += kwh
                seen[bucket] = True
        complete = [
            day for day, values in by_day.items() if len(values) == day_hours(day, tz)
        ]
        latest_day = max(complete, default=None)
        totals[kind] = EnergyTotals(
            yesterday=round(sums["yesterday"], 3) if seen["yesterday"] else None,
            this_month=round(sums["this_month"], 3) if seen["this_month"] else None,
            last_month=round(sums["last_month"], 3) if seen["last_month"] else None,
            latest_day=(
                round(sum(by_day[latest_day]), 3) if latest_day is not None else None
            ),
            latest_day_date=latest_day,
        )
    return totals


def day_hours(day: date, tz: ZoneInfo) -> int:
    """Return how many hours a local day has (23 or 25 on DST days)."""
    start = datetime.combine(day, time(), tz)
    end = datetime.combine(day + timedelta(days=1), time(), tz)
    return int((end - start).total_seconds() // 3600)


def meter_status(latest: datetime | None, now: datetime) -> ConnectionStatus:
    """Return connected while data arrives, disconnected after 14 silent days."""
    if latest is None:
        return ConnectionStatus.WAITING_FOR_DATA
    if now - latest > STALE_DATA_AFTER:
        return ConnectionStatus.DISCONNECTED
    return ConnectionStatus.CONNECTED


def account_status(
    meters: Mapping[str, MeterData], *, no_supplies: bool = False
) -> ConnectionStatus:
    """How an account stands: connected while any of its meters is."""
    if no_supplies or not meters:
        return ConnectionStatus.NO_SUPPLIES
    statuses = {meter.status for meter in meters.values()}
    if ConnectionStatus.CONNECTED in statuses:
        return ConnectionStatus.CONNECTED
    if statuses == {ConnectionStatus.WAITING_FOR_DATA}:
        return ConnectionStatus.WAITING_FOR_DATA
    return ConnectionStatus.DISCONNECTED


class PeakSummary(NamedTuple):
    """What the sensors and the power advice show of a meter's peaks."""

    last: PowerPeak | None
    year: PowerPeak | None
    """Highest peak of the last 12 months."""
    months: int
    """How many of the last 12 months have peak data."""


def peak_summary(peaks: Collection[PowerPeak], now: datetime) -> PeakSummary:
    """Return the newest peak, the year's highest and its months with data."""
    recent = [p for p in peaks if p.at >= now - timedelta(days=365)]
    return PeakSummary(
        last=max(peaks, key=lambda p: p.at) if peaks else None,
        year=max(recent, key=lambda p: p.kw) if recent else None,
        months=len({(p.at.year, p.at.month) for p in recent}),
    )
