"""Switchgrid load curves: the JSON and CSV answers, and their energy.

Pure functions, no I/O.

* JSON: ``{period, startsAt, endsAt, values[number|null]}`` (also wrapped in
  ``loadCurve``), regular, value *i* starting at ``startsAt + i × period``
  (UTC), average W. ``period`` is any ISO-8601 duration (``PT600S`` as much
  as ``PT10M``).
* CSV: ``startDate,powerInWatts`` rows (UTC, start-stamped).
"""

from __future__ import annotations

from collections.abc import Mapping
import csv
from datetime import UTC, datetime, timedelta
import io
from itertools import pairwise
import math
import re
from typing import Any, Final

from ..errors import InvalidResponse, redact
from ..models import EnergyKind, EnergyReading, ReadingBatch
from ..parsing import lenient_number
from .models import LoadCurve

_DURATION: Final = re.compile(
    r"P(?:(?P<weeks>\d+(?:[.,]\d+)?)W)?(?:(?P<days>\d+(?:[.,]\d+)?)D)?"
    r"(?:T(?:(?P<hours>\d+(?:[.,]\d+)?)H)?(?:(?P<minutes>\d+(?:[.,]\d+)?)M)?"
    r"(?:(?P<seconds>\d+(?:[.,]\d+)?)S)?)?"
)
# The `period` query values of GET /request/{id}/data (5min, 1h, 1d ...).
_SHORT_DURATION: Final = re.compile(r"(\d+)\s*(s|sec|min|m|h|d)")
_SHORT_UNITS: Final[Mapping[str, str]] = {
    "s": "seconds",
    "sec": "seconds",
    "min": "minutes",
    "m": "minutes",
    "h": "hours",
    "d": "days",
}


def _instant(value: Any) -> datetime | None:
    """Read a curve's ISO-8601 instant as aware UTC (naive means UTC)."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace(" ", "T", 1))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def parse_iso_duration(text: str) -> timedelta:
    """Parse an ISO-8601 duration such as ``PT600S``, ``PT30M``, ``PT1H30M``, ``P1D``.

    Years and months are refused (their length varies), as is anything that
    is not a duration. The ``period`` values of ``/request/{id}/data``
    (``10min``, ``1h``, ``1d``) are accepted too.
    """
    if not isinstance(text, str):
        raise TypeError(f"expected a string, got {type(text).__name__}")
    raw = text.strip().upper()
    match = _DURATION.fullmatch(raw)
    if match and raw not in {"P", "PT"} and not raw.endswith("T"):
        parts = {
            name: float(value.replace(",", "."))
            for name, value in match.groupdict().items()
            if value is not None
        }
        return timedelta(**parts)
    if short := _SHORT_DURATION.fullmatch(raw.lower()):
        return timedelta(**{_SHORT_UNITS[short.group(2)]: int(short.group(1))})
    raise ValueError(f"not an ISO-8601 duration: {text[:40]!r}")


def parse_load_curve(body: Any) -> LoadCurve:
    """Parse ``{period, startsAt, endsAt, values}`` (also wrapped in ``loadCurve``)."""
    if not isinstance(body, dict):
        raise InvalidResponse("load curve: expected a JSON object")
    curve = body
    if isinstance(curve.get("loadCurve"), dict):
        curve = curve["loadCurve"]
    raw_values = curve.get("values")
    if not isinstance(raw_values, list):
        raise InvalidResponse("load curve without a values list")
    try:
        period = parse_iso_duration(str(curve.get("period") or ""))
    except (ValueError, OverflowError) as err:
        raise InvalidResponse(
            f"load curve with an unreadable period {redact(str(curve.get('period')), 40)}"
        ) from err
    if period <= timedelta(0):
        raise InvalidResponse("load curve with an empty period")
    starts_at = _instant(curve.get("startsAt"))
    if starts_at is None:
        raise InvalidResponse("load curve without startsAt")
    values = tuple(lenient_number(value) for value in raw_values)
    ends_at = _instant(curve.get("endsAt")) or starts_at + period * len(values)
    return LoadCurve(period=period, starts_at=starts_at, ends_at=ends_at, values=values)


def parse_load_curve_csv(
    text: str, *, period: timedelta | None = None
) -> LoadCurve | None:
    """Parse the CSV form of ``/request/{id}/data`` (None when it has no row).

    ``startDate,powerInWatts``: one row per step, UTC, stamped by the step's
    start; an empty value is a gap. The step is ``period`` when given, else
    the smallest gap between two rows; missing rows become gaps. A row off
    that grid is an InvalidResponse (daily ``1d`` buckets are Paris days,
    not a regular UTC series: read them as JSON).
    """
    reader = csv.reader(io.StringIO(text))
    header = [cell.strip() for cell in next(reader, [])]
    if header[:2] != ["startDate", "powerInWatts"]:
        raise InvalidResponse(
            "load curve CSV without its startDate,powerInWatts header"
        )
    points: list[tuple[datetime, float | None]] = []
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        start = _instant(row[0]) if len(row) >= 2 else None
        value = lenient_number(row[1]) if len(row) >= 2 else None
        if start is None or (value is None and row[1].strip()):
            raise InvalidResponse("load curve CSV with an unreadable row")
        points.append((start, value))
    if not points:
        return None
    points.sort(key=lambda point: point[0])
    starts = [start for start, _ in points]
    steps = [b - a for a, b in pairwise(starts) if b > a]
    step = period or (min(steps) if steps else None)
    if step is None or step <= timedelta(0):
        raise InvalidResponse("cannot tell the step of a one-row load curve CSV")
    first = starts[0]
    count = (starts[-1] - first) // step + 1
    values: list[float | None] = [None] * count
    for start, value in points:
        index, rest = divmod(start - first, step)
        if rest:
            raise InvalidResponse("load curve CSV rows off a regular step")
        values[index] = value
    return LoadCurve(
        period=step,
        starts_at=first,
        ends_at=first + step * count,
        values=tuple(values),
    )


def load_curve_readings(
    curve: LoadCurve, kind: EnergyKind, *, meter_id: str
) -> ReadingBatch:
    """Turn average watts into energy per interval: kWh = W × seconds / 3.6e6.

    A ``null``, negative or NaN value gives no reading and is counted in
    ``skipped``.
    """
    seconds = curve.period.total_seconds()
    readings: list[EnergyReading] = []
    skipped = 0
    for index, watts in enumerate(curve.values):
        if watts is None or math.isnan(watts) or math.isinf(watts) or watts < 0:
            skipped += 1
            continue
        readings.append(
            EnergyReading(
                start=curve.start_of(index),
                duration=curve.period,
                kind=kind,
                kwh=watts * seconds / 3600 / 1000,
            )
        )
    return ReadingBatch(
        meter_id=meter_id,
        readings=tuple(readings),
        skipped=skipped,
        kinds=frozenset({kind}) if readings else frozenset(),
    )
