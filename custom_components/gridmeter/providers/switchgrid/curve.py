"""Switchgrid load curves: the JSON and CSV answers, and their energy.

Pure functions, no I/O.

* JSON: ``{period, startsAt, endsAt, values[number|null]}`` (also wrapped in
  ``loadCurve``), regular, value *i* starting at ``startsAt + i × period``
  (UTC), average W. ``period`` is any ISO-8601 duration (``PT600S`` as much
  as ``PT10M``).
* CSV: ``startDate,powerInWatts`` rows (UTC, start-stamped).

Nothing an answer says can make these functions loop or allocate without
bound: a curve spans at most `MAX_SPAN`, its steps are at least `MIN_STEP`,
its instants lie between `EARLIEST` and `LATEST`. A value that is not a
plausible average power (NaN, infinite, negative, above `MAX_WATTS`) is a gap
(None), and every gap is counted as skipped when the curve becomes energy.
"""

from __future__ import annotations

from collections.abc import Mapping
import csv
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
import io
from itertools import pairwise
import re
from typing import Any, Final

from ..errors import InvalidResponse, redact
from ..models import EnergyKind, EnergyReading, ReadingBatch
from ..parsing import lenient_number
from .models import LoadCurve

EARLIEST: Final = datetime(2000, 1, 1, tzinfo=UTC)
"""No meter reading starts before this instant."""
LATEST: Final = datetime(2100, 1, 1, tzinfo=UTC)
"""No meter reading starts at or after this instant."""
MAX_SPAN: Final = timedelta(days=3 * 366)
"""The longest curve read: Enedis keeps 24 months of load curve and GridMeter
asks for 730 days at most; three years bounds any answer."""
MIN_STEP: Final = timedelta(minutes=1)
"""The shortest step read (Enedis curves have 5 to 60 minutes)."""
MAX_STEP: Final = timedelta(days=1)
"""The longest step of a JSON curve (``period=1d`` gives daily averages)."""
MAX_WATTS: Final = 1e8
"""An average power above 100 MW is garbage for any Enedis delivery point."""
HOUR: Final = timedelta(hours=1)

_NUMBER: Final = r"([0-9]+(?:[.,][0-9]+)?)"
_DURATION: Final = re.compile(
    rf"P(?:{_NUMBER}W)?(?:{_NUMBER}D)?(?:T(?:{_NUMBER}H)?(?:{_NUMBER}M)?(?:{_NUMBER}S)?)?"
)
_DURATION_UNITS: Final = ("weeks", "days", "hours", "minutes", "seconds")
# The `period` query values of GET /request/{id}/data (5min, 1h, 1d ...).
_SHORT_DURATION: Final = re.compile(r"([0-9]+)\s*(s|sec|min|m|h|d)")
_SHORT_UNITS: Final[Mapping[str, str]] = {
    "s": "seconds",
    "sec": "seconds",
    "min": "minutes",
    "m": "minutes",
    "h": "hours",
    "d": "days",
}
_MAX_DURATION: Final = timedelta(days=3660)
"""Durations longer than ten years are not durations any answer means."""
_MAX_TEXT: Final = 40
"""Longer durations and instants are garbage (and regular expressions on
megabytes of text are slow)."""


def parse_iso_duration(text: str) -> timedelta:
    """Parse an ISO-8601 duration such as ``PT600S``, ``PT30M``, ``PT1H30M``, ``P1D``.

    Years and months are refused (their length varies), as is anything that
    is not a duration or is longer than ten years (``P99999999999D``: a
    ValueError, never an OverflowError). The ``period`` values of
    ``/request/{id}/data`` (``10min``, ``1h``, ``1d``) are accepted too.
    Digits are ASCII digits.
    """
    if not isinstance(text, str):
        raise TypeError(f"expected a string, got {type(text).__name__}")
    raw = text.strip().upper()
    parts: dict[str, float] | None = None
    if len(raw) <= _MAX_TEXT:
        match = _DURATION.fullmatch(raw)
        if match and raw not in {"P", "PT"} and not raw.endswith("T"):
            parts = {
                unit: float(value.replace(",", "."))
                for unit, value in zip(_DURATION_UNITS, match.groups(), strict=True)
                if value is not None
            }
        elif short := _SHORT_DURATION.fullmatch(raw.lower()):
            parts = {_SHORT_UNITS[short.group(2)]: float(short.group(1))}
    if parts is None:
        raise ValueError(f"not an ISO-8601 duration: {text[:40]!r}")
    try:
        duration = timedelta(**parts)
    except OverflowError:
        duration = _MAX_DURATION * 2  # beyond any timedelta: beyond ten years too
    if duration > _MAX_DURATION:
        raise ValueError(f"duration longer than ten years: {text[:40]!r}")
    return duration


def usable_step(step: timedelta) -> bool:
    """Whether readings of this step fill whole hours (it divides an hour)."""
    return MIN_STEP <= step <= HOUR and not HOUR % step


def _instant(value: Any) -> datetime | None:
    """Read a curve's ISO-8601 instant as aware UTC (naive means UTC).

    None when it is not an instant or lies outside `EARLIEST`..`LATEST`.
    """
    if not isinstance(value, str) or not 0 < len(value) <= _MAX_TEXT:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace(" ", "T", 1))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    elif not EARLIEST - timedelta(days=1) < parsed.replace(tzinfo=UTC) < LATEST:
        return None  # far years cannot even be moved to UTC
    instant = parsed.astimezone(UTC)
    return instant if EARLIEST <= instant < LATEST else None


def _watts(value: Any) -> float | None:
    """Read an average power: a number between 0 and `MAX_WATTS`, else None."""
    number = lenient_number(value)
    if number is None or not 0.0 <= number <= MAX_WATTS:
        return None
    return number


def parse_load_curve(body: Any) -> LoadCurve:
    """Parse ``{period, startsAt, endsAt, values}`` (also wrapped in ``loadCurve``).

    An unreadable or implausible value is a gap (None). The answer is an
    InvalidResponse without a values list, a readable period of at most a
    day, a plausible ``startsAt``, or when it spans more than `MAX_SPAN`.
    """
    if not isinstance(body, dict):
        raise InvalidResponse("load curve: expected a JSON object")
    curve = body
    if isinstance(curve.get("loadCurve"), dict):
        curve = curve["loadCurve"]
    raw_values = curve.get("values")
    if not isinstance(raw_values, list):
        raise InvalidResponse("load curve without a values list")
    raw_period = curve.get("period")
    try:
        period = parse_iso_duration(raw_period if isinstance(raw_period, str) else "")
    except ValueError as err:
        raise InvalidResponse(
            f"load curve with an unreadable period {redact(str(raw_period), 40)}"
        ) from err
    if not timedelta(0) < period <= MAX_STEP:
        raise InvalidResponse("load curve with an empty or a longer than daily period")
    starts_at = _instant(curve.get("startsAt"))
    if starts_at is None:
        raise InvalidResponse("load curve without a plausible startsAt")
    if len(raw_values) > MAX_SPAN // period:
        raise InvalidResponse("load curve longer than any answer Switchgrid sends")
    values = tuple(
        [
            # The answer's own floats, the common case, without a call.
            value
            if type(value) is float and 0.0 <= value <= MAX_WATTS
            else _watts(value)
            for value in raw_values
        ]
    )
    computed_end = starts_at + period * len(values)
    ends_at = _instant(curve.get("endsAt"))
    if ends_at is None or ends_at < starts_at:
        ends_at = computed_end
    return LoadCurve(period=period, starts_at=starts_at, ends_at=ends_at, values=values)


def _gap(cell: str) -> bool:
    """Whether a CSV power that is not a plausible number is a gap.

    An empty cell is one, and so is a number out of range (``1e300``,
    ``inf``); text that is no number at all is not.
    """
    text = cell.strip().replace(",", ".")
    if not text:
        return True
    try:
        float(text)
    except ValueError:
        return False
    return True


def parse_load_curve_csv(
    text: str, *, period: timedelta | None = None
) -> LoadCurve | None:
    """Parse the CSV form of ``/request/{id}/data`` (None when it has no row).

    ``startDate,powerInWatts``: one row per step, UTC, stamped by the step's
    start; an empty value is a gap, and so is an implausible power. The step
    is ``period`` when given, else the smallest gap between two rows; missing
    rows become gaps. A row off that grid, an unreadable or implausible date,
    a step that does not divide an hour or rows spanning more than `MAX_SPAN`
    make an InvalidResponse (daily ``1d`` buckets are Paris days, not a
    regular UTC series: read them as JSON).
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
        number = lenient_number(row[1]) if len(row) >= 2 else None
        if start is None or (number is None and not _gap(row[1])):
            raise InvalidResponse("load curve CSV with an unreadable row")
        points.append((start, _watts(number)))
    if not points:
        return None
    points.sort(key=lambda point: point[0])
    starts = [start for start, _ in points]
    steps = [b - a for a, b in pairwise(starts) if b > a]
    step = period or (min(steps) if steps else None)
    if step is None:
        raise InvalidResponse("cannot tell the step of a one-row load curve CSV")
    if not usable_step(step):
        raise InvalidResponse("load curve CSV whose step does not divide an hour")
    first = starts[0]
    if starts[-1] - first >= MAX_SPAN:
        raise InvalidResponse("load curve CSV longer than any answer Switchgrid sends")
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


@dataclass(frozen=True, slots=True, kw_only=True)
class CurveEnergy:
    """The energy of each step of a load curve, ready to be summed into hours.

    ``kwh[i]`` is the energy of ``[start + i × step, start + (i + 1) × step)``;
    None where the curve has no usable value. ``skipped`` counts those.
    """

    start: datetime
    step: timedelta
    kwh: tuple[float | None, ...]
    skipped: int


def load_curve_energy(curve: LoadCurve) -> CurveEnergy:
    """Turn average watts into energy per step: kWh = W × seconds / 3.6e6.

    A gap, a value that is not a plausible power (NaN, infinite, negative,
    above `MAX_WATTS`) and a step outside `LATEST` give None, and so does
    every value of a curve whose step does not divide an hour (its energy
    cannot be placed in hours). All of them are counted in ``skipped``.
    """
    values = curve.values
    if not usable_step(curve.period):
        return CurveEnergy(
            start=curve.starts_at,
            step=curve.period,
            kwh=(None,) * len(values),
            skipped=len(values),
        )
    seconds = curve.period.total_seconds()
    # Closed form: the steps that start inside EARLIEST..LATEST.
    first = max(0, -((curve.starts_at - EARLIEST) // curve.period))
    end = max(0, min(len(values), -((curve.starts_at - LATEST) // curve.period)))
    inside = [
        watts * seconds / 3600 / 1000
        if watts is not None and 0.0 <= watts <= MAX_WATTS
        else None
        for watts in values[first:end]
    ]
    kwh = (None,) * min(first, len(values)) + tuple(inside)
    kwh += (None,) * (len(values) - len(kwh))
    return CurveEnergy(
        start=curve.starts_at,
        step=curve.period,
        kwh=kwh,
        skipped=kwh.count(None),
    )


def load_curve_readings(
    curve: LoadCurve, kind: EnergyKind, *, meter_id: str
) -> ReadingBatch:
    """Turn a load curve into energy readings (see `load_curve_energy`).

    The readings' own form, for callers that want readings; a regular curve
    is summed into hours faster from its `CurveEnergy`.
    """
    energy = load_curve_energy(curve)
    readings = tuple(
        EnergyReading(
            start=curve.start_of(index),
            duration=curve.period,
            kind=kind,
            kwh=kwh,
        )
        for index, kwh in enumerate(energy.kwh)
        if kwh is not None
    )
    return ReadingBatch(
        meter_id=meter_id,
        readings=readings,
        skipped=energy.skipped,
        kinds=frozenset({kind}) if readings else frozenset(),
    )
