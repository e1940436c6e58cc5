"""Pieces every provider sync shares: the daily timetable and sensor totals."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import date, datetime, time, timedelta
import hashlib
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import Store

from ..const import DEFAULT_REFRESH_TIME, REFRESH_JITTER, RETRY_DELAY, STALE_DATA_AFTER
from ..data import ConnectionStatus, EnergyTotals
from ..providers.history import add_months
from ..providers.models import EnergyKind, MeterPoint, PowerPeak
from ..statistics import get_writer, series_key, statistic_id
from ..storage import SAVE_DELAY


class StoredSync:
    """A sync whose state lives in its account's store.

    Subclasses set `_store` and describe their state in `_document`.
    """

    retry_delay: timedelta = RETRY_DELAY
    """How long after a failed run the coordinator tries again."""
    _store: Store[dict[str, Any]]

    def _document(self) -> dict[str, Any]:
        """Snapshot the state in fresh containers (serialised in another thread)."""
        raise NotImplementedError

    def _save(self) -> None:
        snapshot = self._document()
        self._store.async_delay_save(lambda: snapshot, SAVE_DELAY)

    async def async_shutdown(self) -> None:
        """Write the state now (the entry is unloading)."""
        await self._store.async_save(self._document())


def iso(value: datetime | None) -> str | None:
    """Return an instant as stored (ISO 8601), None as None."""
    return value.isoformat() if value else None


def instant(value: Any) -> datetime | None:
    """Read a stored instant; None when missing or unreadable."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None


def install_jitter(seed: str) -> timedelta:
    """Return a per-installation offset so installs do not all call at once."""
    digest = int(hashlib.sha256(seed.encode()).hexdigest()[:8], 16)
    span = int(REFRESH_JITTER.total_seconds())
    return timedelta(seconds=digest % (span + 1))


class DailyTimetable:
    """A daily run at a local time plus a fixed per-installation offset."""

    def __init__(
        self, timezone: str, at: time = DEFAULT_REFRESH_TIME, *, seed: str
    ) -> None:
        """Remember the local time and offset."""
        self._tz = ZoneInfo(timezone)
        self._at = at
        self._offset = install_jitter(seed)

    def _slot(self, day: date) -> datetime:
        return datetime.combine(day, self._at, self._tz) + self._offset

    def last_slot(self, now: datetime) -> datetime:
        """Return the most recent run time at or before `now`."""
        today = now.astimezone(self._tz).date()
        slot = self._slot(today)
        return slot if slot <= now else self._slot(today - timedelta(days=1))

    def next_slot(self, now: datetime) -> datetime:
        """Return the first run time after `now`."""
        today = now.astimezone(self._tz).date()
        slot = self._slot(today)
        return slot if slot > now else self._slot(today + timedelta(days=1))


async def async_energy_totals(
    hass: HomeAssistant,
    point: MeterPoint,
    kinds: Iterable[EnergyKind],
    now: datetime,
) -> tuple[dict[EnergyKind, EnergyTotals], datetime | None]:
    """Sum stored hourly statistics into yesterday / this month / last month.

    Days and months are those of the supply's own time zone. Also returns the
    end of the newest stored hour (of any register).
    """
    kinds = tuple(kinds)
    tz = ZoneInfo(point.timezone)
    today = now.astimezone(tz).date()
    this_month = today.replace(day=1)
    last_month = add_months(this_month, -1)
    start = datetime.combine(last_month, time(), tz)
    writer = get_writer(hass)
    totals: dict[EnergyKind, EnergyTotals] = {}
    latest: datetime | None = None
    for kind in kinds:
        hours = await writer.async_read_states(
            statistic_id(point.provider, point.meter_id, series_key(kind)), start
        )
        # Thousands of hours: summed in the executor, not on the event loop.
        totals[kind], end = await hass.async_add_executor_job(
            _kind_totals, hours, tz, today
        )
        if end is not None:
            latest = end if latest is None or end > latest else latest
    if latest is None:
        # Silent for more than a month: the newest hour is older than the
        # window read above, but it still dates the silence (the 14-day repair
        # and the disconnected status must not vanish after a month).
        for kind in kinds:
            last = await writer.async_last_hour(
                statistic_id(point.provider, point.meter_id, series_key(kind))
            )
            if last is not None:
                end = last + timedelta(hours=1)
                latest = end if latest is None or end > latest else latest
    return totals, latest


def _kind_totals(
    hours: Mapping[datetime, float], tz: ZoneInfo, today: date
) -> tuple[EnergyTotals, datetime | None]:
    """Sum one register's hours into its totals; also the end of its newest hour."""
    this_month = today.replace(day=1)
    last_month = add_months(this_month, -1)
    latest: datetime | None = None
    sums = {"yesterday": 0.0, "this_month": 0.0, "last_month": 0.0}
    seen = dict.fromkeys(sums, False)
    by_day: dict[date, list[float]] = {}
    for hour, kwh in hours.items():
        local_day = hour.astimezone(tz).date()
        by_day.setdefault(local_day, []).append(kwh)
        buckets = []
        if local_day == today - timedelta(days=1):
            buckets.append("yesterday")
        if local_day >= this_month:
            buckets.append("this_month")
        elif local_day >= last_month:
            buckets.append("last_month")
        for bucket in buckets:
            sums[bucket] += kwh
            seen[bucket] = True
        end = hour + timedelta(hours=1)
        latest = end if latest is None or end > latest else latest
    complete = [
        day for day, values in by_day.items() if len(values) == day_hours(day, tz)
    ]
    latest_day = max(complete, default=None)
    totals = EnergyTotals(
        **{
            bucket: round(value, 3) if seen[bucket] else None
            for bucket, value in sums.items()
        },
        latest_day=(
            round(sum(by_day[latest_day]), 3) if latest_day is not None else None
        ),
        latest_day_date=latest_day,
    )
    return totals, latest


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
