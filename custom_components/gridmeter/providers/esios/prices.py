"""PVPC days: what a complete, plausible day of prices is.

Whatever the source (the public day file or the token indicator API), a day
is only kept when it has one finite, plausible price for every hour of the
supply's local day (23, 24 or 25 hours): a day with a missing, duplicated or
absurd hour is rejected whole, so that no hour of it is ever guessed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
import math
from typing import Final
from zoneinfo import ZoneInfo

from ..signals import HourlyPrice
from .systems import PvpcZone

HOUR: Final = timedelta(hours=1)
MIN_EUR_PER_KWH: Final = -0.5
"""Lowest plausible price: PVPC hours below zero have been seen with very
high solar output (e.g. 2026-09-05), never far below."""
MAX_EUR_PER_KWH: Final = 3.0
"""Highest plausible price (the March 2022 peak was under 0.8 €/kWh)."""


class DayRejected(ValueError):
    """A day's answer is incomplete or implausible (never raised to callers)."""


def local_hours(day: date, time_zone: ZoneInfo) -> tuple[datetime, ...]:
    """UTC starts of the hours of the local `day` (23, 24 or 25 of them)."""
    start = datetime.combine(day, time(), time_zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(), time_zone).astimezone(UTC)
    count = int((end - start) / HOUR)
    return tuple(start + index * HOUR for index in range(count))


def local_day(instant: datetime, time_zone: ZoneInfo) -> date:
    """Return the local date of an aware instant."""
    return instant.astimezone(time_zone).date()


def plausible(price: float) -> bool:
    """Tell whether a €/kWh price is finite and within the plausible range."""
    return math.isfinite(price) and MIN_EUR_PER_KWH <= price <= MAX_EUR_PER_KWH


def complete_day(
    day: date, prices: Mapping[datetime, float], zone: PvpcZone
) -> tuple[HourlyPrice, ...]:
    """Return the day's prices in hour order; DayRejected unless complete."""
    hours = local_hours(day, zone.time_zone)
    if set(prices) != set(hours):
        raise DayRejected(f"{day}: {len(prices)} prices for {len(hours)} hours")
    values = [float(prices[hour]) for hour in hours]
    if not all(plausible(value) for value in values):
        raise DayRejected(f"{day}: a price is not plausible")
    return tuple(
        HourlyPrice(start=hour, eur_per_kwh=value)
        for hour, value in zip(hours, values, strict=True)
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class PvpcPrices:
    """PVPC prices of the requested days, by local day of the zone."""

    zone: PvpcZone
    by_day: Mapping[date, tuple[HourlyPrice, ...]]
    """Every day known completely; a day absent here is not known (yet)."""
    missing: tuple[date, ...] = ()
    """Requested days with no complete answer (not published, or rejected)."""
    rejected: int = 0
    """Days (or rows) that were answered but unusable, and were skipped."""
    requests: int = 0
    """HTTP requests this fetch took."""

    @property
    def prices(self) -> tuple[HourlyPrice, ...]:
        """Every known hour, oldest first."""
        return tuple(price for day in sorted(self.by_day) for price in self.by_day[day])


@dataclass(slots=True)
class DayCollector:
    """Gathers the days of a range fetched in several answers."""

    zone: PvpcZone
    first: date
    last: date
    by_day: dict[date, tuple[HourlyPrice, ...]] = field(default_factory=dict)
    rejected: int = 0
    requests: int = 0

    def wanted(self, day: date) -> bool:
        """Tell whether `day` is in the requested range."""
        return self.first <= day <= self.last

    def add(self, day: date, prices: Mapping[datetime, float]) -> None:
        """Keep a requested day if complete (else count it); ignore the others."""
        if not self.wanted(day):
            return
        try:
            self.by_day[day] = complete_day(day, prices, self.zone)
        except DayRejected:
            self.rejected += 1

    def result(self) -> PvpcPrices:
        """Return the prices gathered so far, with the requested days missing."""
        span = (self.last - self.first).days + 1
        days: Iterable[date] = (self.first + timedelta(days=n) for n in range(span))
        return PvpcPrices(
            zone=self.zone,
            by_day=dict(sorted(self.by_day.items())),
            missing=tuple(day for day in days if day not in self.by_day),
            rejected=self.rejected,
            requests=self.requests,
        )
