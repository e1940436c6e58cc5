"""GridMeter's hourly aggregation as it was before the fast paths (an oracle).

Kept verbatim (`aggregate_hourly` of release 0.x, commit eaa0018) so that
tests and benchmarks can show that today's `aggregate_hourly` and
`aggregate_regular` give identical hours, and how much faster they are.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from custom_components.gridmeter.providers.models import EnergyKind, EnergyReading
from custom_components.gridmeter.statistics import SPLIT_KINDS, HourlyEnergy, series_key
from custom_components.gridmeter.tariffs import TariffCalendar

HOUR = timedelta(hours=1)
_EPSILON = 1e-9
_SUM_DIGITS = 6


def _hour_start(instant: datetime) -> datetime:
    return instant.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def reference_aggregate_hourly(
    readings: Iterable[EnergyReading], calendar: TariffCalendar | None = None
) -> HourlyEnergy:
    """Sum readings into complete UTC hours, the way eaa0018 did."""
    latest: dict[tuple[EnergyKind, datetime], EnergyReading] = {}
    for reading in readings:
        latest[(reading.kind, reading.start)] = reading

    covered: dict[tuple[EnergyKind, datetime], float] = defaultdict(float)
    totals: dict[tuple[EnergyKind, datetime], float] = defaultdict(float)
    by_period: dict[tuple[EnergyKind, str, datetime], float] = defaultdict(float)
    for (kind, start), reading in latest.items():
        hour = _hour_start(start)
        if _hour_start(reading.end - timedelta(microseconds=1)) != hour:
            continue
        covered[(kind, hour)] += reading.duration.total_seconds()
        totals[(kind, hour)] += reading.kwh
        if calendar is not None and kind in SPLIT_KINDS:
            by_period[(kind, calendar.period_at(start), hour)] += reading.kwh

    result = HourlyEnergy()
    complete: set[tuple[EnergyKind, datetime]] = set()
    for key, seconds in covered.items():
        if seconds + _EPSILON < HOUR.total_seconds():
            result.incomplete_hours += 1
            continue
        complete.add(key)
        kind, hour = key
        result.series.setdefault(series_key(kind), {})[hour] = round(
            totals[key], _SUM_DIGITS
        )
    for (kind, period, hour), kwh in by_period.items():
        if (kind, hour) in complete:
            result.series.setdefault(series_key(kind, period), {})[hour] = round(
                kwh, _SUM_DIGITS
            )
    if calendar is not None:
        for kind in SPLIT_KINDS:
            hours = frozenset(hour for (k, hour) in complete if k is kind)
            if hours:
                for period in calendar.periods:
                    result.period_series[series_key(kind, period)] = hours
    return result
