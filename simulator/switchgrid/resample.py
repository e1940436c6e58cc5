"""Server-side resampling of a load curve (``GET /request/{id}/data?period=``).

Each output value is the time-weighted average power (W) over its bucket.
A bucket is ``null`` when any step overlapping it is ``null`` or when the
served range does not cover it entirely (assumption: no partial averages,
so energy = W x bucket length is never understated).

Buckets of 5 min .. 1 h are aligned on the UTC grid (which is also the Paris
grid: Paris offsets are whole hours). ``1d`` buckets are Paris calendar days
(23, 24 or 25 hours long), and the series' ``period`` is then ``P1D``: value
``i`` starts at Paris midnight of ``startsAt``'s day + ``i`` calendar days.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from .data import Series
from .households import PARIS, paris_day_bounds
from .timeutil import ceil_to, floor_to

PERIODS: dict[str, timedelta] = {
    "5min": timedelta(minutes=5),
    "10min": timedelta(minutes=10),
    "15min": timedelta(minutes=15),
    "30min": timedelta(minutes=30),
    "1h": timedelta(hours=1),
    "1d": timedelta(days=1),
}


def _buckets(series: Series, period: str) -> list[tuple[datetime, datetime]]:
    if not series.values:
        return []
    if period == "1d":
        out: list[tuple[datetime, datetime]] = []
        day = series.start.astimezone(PARIS).date()
        while True:
            start, end = paris_day_bounds(day)
            if start >= series.end:
                break
            out.append((start, end))
            day += timedelta(days=1)
        return out
    size = PERIODS[period]
    first = floor_to(series.start, size)
    last = ceil_to(series.end, size)
    count = int((last - first) / size)
    return [(first + i * size, first + (i + 1) * size) for i in range(count)]


def _average(series: Series, start: datetime, end: datetime) -> float | None:
    if start < series.start or end > series.end:
        return None
    step = series.step
    first = int((start - series.start) / step)
    last = -(-int((end - series.start).total_seconds()) // int(step.total_seconds()))
    total = 0.0
    for index in range(first, last):
        value = series.values[index]
        if value is None:
            return None
        step_start = series.start + index * step
        overlap = min(end, step_start + step) - max(start, step_start)
        total += value * overlap.total_seconds()
    return total / (end - start).total_seconds()


def resample(series: Series, period: str) -> tuple[Series, str]:
    """Return the series at ``period`` and its ISO duration string.

    ``period`` is one of :data:`PERIODS`; the native step is returned
    unchanged (integers kept) when it already matches.
    """
    if period != "1d" and PERIODS[period] == series.step:
        return series, f"PT{int(series.step.total_seconds())}S"
    buckets = _buckets(series, period)
    values: list[float | None] = []
    for start, end in buckets:
        average = _average(series, start, end)
        values.append(None if average is None else round(average, 2))
    if not buckets:
        return Series(series.start, PERIODS[period], []), _name(period)
    start = buckets[0][0]
    step = PERIODS[period]
    return Series(start, step, values), _name(period)


def _name(period: str) -> str:
    if period == "1d":
        return "P1D"
    return f"PT{int(PERIODS[period].total_seconds())}S"


def series_end(series: Series, period_name: str) -> datetime:
    """End of the last value (calendar days for ``P1D``)."""
    if period_name != "P1D" or not series.values:
        return series.end
    last_day = series.start.astimezone(PARIS).date() + timedelta(
        days=len(series.values) - 1
    )
    return paris_day_bounds(last_day)[1]
