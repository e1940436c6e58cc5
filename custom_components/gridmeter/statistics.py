"""The one writer of GridMeter's long-term statistics.

Every provider's readings end here. Energy becomes hourly external statistics
(`gridmeter:<provider>_<meter>_<kind>`) at UTC hour starts, each row carrying
`state` (the hour's kWh) and `sum` (the running total); money (EUR) takes the
same path with another unit. The recorder overwrites a re-imported hour but
never shifts later sums, so this writer:

- compares what it is given with what is stored and writes nothing when they
  agree (re-importing the same data changes nothing);
- anchors the running sum on the stored row just before the first hour that
  changed, and rewrites every later stored hour with the corrected sum (late
  data and corrections never leave a step in the Energy dashboard);
- writes an hour only when it is complete (all its sub-hour readings present).

It never reads back what it has just written: the recorder commits imports
in its own thread, and no public API says when an import queued from the
event loop is committed (`Recorder.async_block_till_done` returns at once
while the recorder thread is running the last queued task). So the writer
reads a statistic's stored rows once, at its first write, and then keeps
what is stored from that hour on in memory (`_StoredSums`), updated by its
own writes. That memory is dropped after `_FORGET_AFTER` without writes;
by then every import has long been committed (and `async_block_till_done`
still waits for anything left in the queue) so the next read of the database
is current, and a user's own correction of the rows is seen again.

The work that grows with the rows (merging, comparing, building rows) runs
in Home Assistant's executor; the event loop only hands slices of ready rows
to the recorder.
"""

from __future__ import annotations

from array import array
import asyncio
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import reduce
import hashlib
from itertools import chain
import logging
import math
from operator import add
import re
import time
from typing import Final, Literal
from zoneinfo import ZoneInfo

from homeassistant.components.recorder.models import (
    StatisticData,
    StatisticMeanType,
    StatisticMetaData,
)
from homeassistant.components.recorder.statistics import (
    async_add_external_statistics,
    get_last_statistics,
    statistics_during_period,
)
from homeassistant.const import UnitOfEnergy, UnitOfPower
from homeassistant.core import HomeAssistant
from homeassistant.helpers.recorder import get_instance
from homeassistant.util.hass_dict import HassKey
from homeassistant.util.unit_conversion import EnergyConverter, PowerConverter

from .const import DOMAIN
from .providers.models import EnergyKind, EnergyReading, MeterPoint, PowerPeak
from .tariffs import FranceBase, FranceHPHC, ItalyF123, Spain20TD, TariffCalendar

_LOGGER = logging.getLogger(__name__)

HOUR: Final = timedelta(hours=1)
_HOUR_S: Final = 3600
_EPSILON: Final = 1e-9
# Sums are rounded to the micro-unit (kWh, EUR) so that float noise never
# accumulates over years of hourly additions.
_SUM_DIGITS: Final = 6
# How far back to look for the row that anchors a running sum before falling
# back to a full scan (only after a gap longer than this).
_ANCHOR_LOOKBACK: Final = timedelta(days=7)
_OLDEST: Final = datetime(2000, 1, 1, tzinfo=UTC)
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND: Final = timedelta(microseconds=1)
_HOUR_US: Final = 3_600_000_000
_WRITE_SLICE: Final = 500
# Sums are rounded to 1e-6 at each step; anything beyond is a broken chain.
_SUM_TOLERANCE: Final = 1e-5
_FORGET_AFTER: Final = 600.0
"""Seconds without a write after which a statistic's rows are read again."""
_WAIT_FOR_RECORDER: Final = 120.0
# Registers that are also split by tariff period.
SPLIT_KINDS: Final = frozenset({EnergyKind.CONSUMPTION, EnergyKind.RETURN})
CURRENCY_EUR: Final = "EUR"
MAX_POWER: Final = "max_power"
_KIND_BY_KEY: Final = {kind.value: kind for kind in EnergyKind}

DATA_WRITER: HassKey[StatisticsWriter] = HassKey(f"{DOMAIN}_statistics_writer")


def statistic_id(provider: str, meter_id: str, kind: str) -> str:
    """Return the permanent external statistic id of a meter's register."""
    meter = re.sub(r"[^a-z0-9]+", "_", meter_id.lower()).strip("_")
    return f"{DOMAIN}:{provider}_{meter}_{kind}"


def series_key(kind: EnergyKind, period: str | None = None) -> str:
    """Return the kind part of a statistic id: `consumption`, `return_p1` ..."""
    return f"{kind.value}_{period}" if period else kind.value


def statistic_alias(statistic_id: str) -> str:
    """Name a statistic in logs without its meter id (which is a CUPS or a PRM).

    The provider and a short digest of the whole id: stable, so that the
    lines about one statistic can be followed, and telling nothing else.
    """
    provider = statistic_id.partition(":")[2].partition("_")[0]
    digest = hashlib.sha256(statistic_id.encode()).hexdigest()[:8]
    return f"{provider}#{digest}"


@dataclass(frozen=True, slots=True)
class SumStatistic:
    """An hourly statistic whose rows carry a state and a running sum."""

    statistic_id: str
    name: str
    unit: str
    unit_class: str | None
    """The recorder's unit class (`energy`); None for money (no conversion)."""

    def metadata(self) -> StatisticMetaData:
        """Return the recorder metadata (mean_type and unit_class included)."""
        return StatisticMetaData(
            has_sum=True,
            mean_type=StatisticMeanType.NONE,
            name=self.name,
            source=DOMAIN,
            statistic_id=self.statistic_id,
            unit_class=self.unit_class,
            unit_of_measurement=self.unit,
        )


@dataclass(frozen=True, slots=True)
class EnergyStatistic(SumStatistic):
    """An hourly energy statistic with a running sum (kWh)."""

    unit: str = UnitOfEnergy.KILO_WATT_HOUR
    unit_class: str | None = EnergyConverter.UNIT_CLASS


@dataclass(frozen=True, slots=True)
class MoneyStatistic(SumStatistic):
    """An hourly cost or compensation statistic with a running sum (EUR)."""

    unit: str = CURRENCY_EUR
    unit_class: str | None = None


@dataclass(frozen=True, slots=True)
class PeakStatistic:
    """An hourly max-power statistic (kW): one row per hour holding a peak."""

    statistic_id: str
    name: str

    def metadata(self) -> StatisticMetaData:
        """Return the recorder metadata."""
        return StatisticMetaData(
            has_sum=False,
            mean_type=StatisticMeanType.ARITHMETIC,
            name=self.name,
            source=DOMAIN,
            statistic_id=self.statistic_id,
            unit_class=PowerConverter.UNIT_CLASS,
            unit_of_measurement=UnitOfPower.KILO_WATT,
        )


# -- readings into hours --------------------------------------------------------


@dataclass(slots=True)
class HourlyEnergy:
    """Readings summed into complete UTC hours, per statistic kind."""

    series: dict[str, dict[datetime, float]] = field(default_factory=dict)
    incomplete_hours: int = 0
    period_series: dict[str, frozenset[datetime]] = field(default_factory=dict)
    """Every tariff-period series of the calendar → the complete hours of its
    register: an hour missing from the period's own series holds 0 kWh there
    (so a row left by an older calendar is zeroed, never kept)."""

    def _add_period_series(self, kind: EnergyKind, calendar: TariffCalendar) -> None:
        hours = frozenset(self.series.get(series_key(kind), ()))
        if hours and kind in SPLIT_KINDS:
            for period in calendar.periods:
                self.period_series[series_key(kind, period)] = hours


@dataclass(frozen=True, slots=True)
class RegularReadings:
    """One register's readings on a regular grid, without reading objects.

    ``kwh[i]`` is the energy of ``[start + i × step, start + (i + 1) × step)``;
    None where there is no reading. A load curve of 110,000 points is summed
    into hours from this form about ten times faster than from readings.
    """

    kind: EnergyKind
    start: datetime
    step: timedelta
    kwh: Sequence[float | None]

    def readings(self) -> Iterator[EnergyReading]:
        """Yield the same data as readings."""
        for index, kwh in enumerate(self.kwh):
            if kwh is not None:
                yield EnergyReading(
                    start=self.start + self.step * index,
                    duration=self.step,
                    kind=self.kind,
                    kwh=kwh,
                )


def hour_start(instant: datetime) -> datetime:
    """Floor an instant to its UTC hour (aligned in UTC, never in local time)."""
    return instant.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def _microseconds(instant: datetime) -> int:
    """Microseconds since the epoch, exactly."""
    return (instant - _EPOCH) // _MICROSECOND


def _utc_hour(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


def aggregate_hourly(
    readings: Iterable[EnergyReading], calendar: TariffCalendar | None = None
) -> HourlyEnergy:
    """Sum readings into UTC hours; keep only hours whose readings cover them.

    A reading repeated (same kind and start) counts once, the last one wins,
    so overlapping answers never double count. A reading longer than an hour
    or crossing an hour boundary cannot be placed and is ignored.
    """
    latest: dict[tuple[EnergyKind, datetime], EnergyReading] = {}
    for reading in readings:
        latest[(reading.kind, reading.start)] = reading

    covered: dict[tuple[EnergyKind, datetime], float] = defaultdict(float)
    totals: dict[tuple[EnergyKind, datetime], float] = defaultdict(float)
    by_period: dict[tuple[EnergyKind, str, datetime], float] = defaultdict(float)
    for (kind, start), reading in latest.items():
        hour = hour_start(start)
        if hour_start(reading.end - _MICROSECOND) != hour:
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
            result._add_period_series(kind, calendar)  # noqa: SLF001
    return result


def aggregate_regular(
    readings: RegularReadings, calendar: TariffCalendar | None = None
) -> HourlyEnergy:
    """Sum regular readings into UTC hours: `aggregate_hourly`'s result, faster.

    A plain loop over each hour's slice of values, in whole seconds since the
    epoch, with the tariff periods of an hour's steps looked up once per
    pattern (`_StepPeriods`). Readings off this grid (a step that does not
    divide an hour in whole seconds, a start between two steps) go through
    `aggregate_hourly`.
    """
    step_us = readings.step // _MICROSECOND
    begin = _microseconds(readings.start)
    if step_us <= 0 or step_us % 1_000_000 or _HOUR_US % step_us or begin % step_us:
        return aggregate_hourly(readings.readings(), calendar)
    step = step_us // 1_000_000
    per_hour = _HOUR_S // step
    hour = begin // 1_000_000 - begin // 1_000_000 % _HOUR_S
    index = (hour - begin // 1_000_000) // step
    values = readings.kwh
    periods = (
        _StepPeriods(calendar, step)
        if calendar is not None and readings.kind in SPLIT_KINDS
        else None
    )
    result = HourlyEnergy()
    totals: dict[datetime, float] = {}
    split: dict[str, dict[datetime, float]] = {}
    while index < len(values):
        chunk = values[index if index > 0 else 0 : index + per_hour]
        if len(chunk) < per_hour or None in chunk:
            if chunk.count(None) < len(chunk):
                result.incomplete_hours += 1
        else:
            start = _utc_hour(hour)
            # A left fold from 0.0: the additions `aggregate_hourly` makes, in
            # its order (the built-in sum() compensates, which would differ).
            total = totals[start] = round(reduce(add, chunk, 0.0), _SUM_DIGITS)
            if periods is not None:
                hour_periods = periods.of_hour(hour)
                if isinstance(hour_periods, str):
                    # One period: its sum is the hour's (the same additions).
                    split.setdefault(hour_periods, {})[start] = total
                else:
                    _split_hour(hour_periods, chunk, start, split)
        index += per_hour
        hour += _HOUR_S
    if totals:
        result.series[series_key(readings.kind)] = totals
    for period, hours in split.items():
        result.series[series_key(readings.kind, period)] = hours
    if calendar is not None:
        result._add_period_series(readings.kind, calendar)  # noqa: SLF001
    return result


def _split_hour(
    periods: tuple[str, ...],
    chunk: Sequence[float | None],
    start: datetime,
    split: dict[str, dict[datetime, float]],
) -> None:
    """Add one complete hour's energy to its tariff periods' series."""
    sums: dict[str, float] = {}
    for period, kwh in zip(periods, chunk, strict=True):
        sums[period] = sums.get(period, 0.0) + kwh  # type: ignore[operator]
    for period, kwh in sums.items():
        split.setdefault(period, {})[start] = round(kwh, _SUM_DIGITS)


class _StepPeriods:
    """The tariff period of each step of a UTC hour, as `period_at` says.

    Looked up once per pattern where the calendar's rules allow it: French
    HP/HC depends only on the local time of day (one lookup per local hour
    pattern), Spanish and Italian periods only change at local clock hours
    (one lookup per hour), French Base never changes. Hours where the UTC
    offset changes, offsets of a fraction of an hour and other calendars ask
    `period_at` for every step.
    """

    def __init__(self, calendar: TariffCalendar, step: int) -> None:
        """Prepare the lookups of `calendar` for steps of `step` seconds."""
        self._calendar = calendar
        self._offsets = tuple(range(0, _HOUR_S, step))
        self._by_time_of_day: dict[int, str | tuple[str, ...]] = {}
        self._day_offsets: dict[int, int | None] = {}
        self._zone: ZoneInfo | None = None
        self._of_hour: Callable[[int], str | tuple[str, ...]] = self._every_step
        if isinstance(calendar, FranceBase):
            self._of_hour = self._base
        elif isinstance(calendar, FranceHPHC):
            self._zone = ZoneInfo(calendar.timezone)
            self._of_hour = self._time_of_day
        elif isinstance(calendar, Spain20TD | ItalyF123):
            self._zone = ZoneInfo(calendar.timezone)
            self._of_hour = self._clock_hour

    def of_hour(self, hour: int) -> str | tuple[str, ...]:
        """Return the period of every step of the hour starting at `hour` (s).

        A single id when every step has the same period.
        """
        return self._of_hour(hour)

    def _every_step(self, hour: int) -> str | tuple[str, ...]:
        periods = tuple(
            self._calendar.period_at(_utc_hour(hour + offset))
            for offset in self._offsets
        )
        return periods[0] if len(set(periods)) == 1 else periods

    @staticmethod
    def _base(_hour: int) -> str:
        return "base"

    def _steady_offset(self, hour: int) -> int | None:
        """Return the UTC offset (s) that holds for the whole hour, if one does.

        Looked up once per UTC day when the day has a single offset (zones
        change their offset at most once a day), else per hour.
        """
        day = hour - hour % 86400
        if day not in self._day_offsets:
            self._day_offsets[day] = self._offset_between(day, day + 86399)
        if (offset := self._day_offsets[day]) is None:
            return self._offset_between(hour, hour + _HOUR_S - 1)
        return offset

    def _offset_between(self, first: int, last: int) -> int | None:
        """Return the offset (s) at `first` if it is the one at `last` too."""
        assert self._zone is not None
        offset = _utc_hour(first).astimezone(self._zone).utcoffset()
        if (
            offset is None
            or offset != _utc_hour(last).astimezone(self._zone).utcoffset()
        ):
            return None
        return int(offset.total_seconds())

    def _time_of_day(self, hour: int) -> str | tuple[str, ...]:
        offset = self._steady_offset(hour)
        if offset is None:
            return self._every_step(hour)
        local = (hour + offset) % 86400
        if (periods := self._by_time_of_day.get(local)) is None:
            periods = self._by_time_of_day[local] = self._every_step(hour)
        return periods

    def _clock_hour(self, hour: int) -> str | tuple[str, ...]:
        offset = self._steady_offset(hour)
        if offset is None or offset % _HOUR_S:
            return self._every_step(hour)
        return self._calendar.period_at(_utc_hour(hour))


# -- what the writer knows is stored ------------------------------------------


type RowType = Literal["change", "last_reset", "max", "mean", "min", "state", "sum"]
type StoredRow = tuple[int, float | None, float | None]
"""A stored row as read: (hour in seconds since the epoch, state, sum)."""


@dataclass(slots=True)
class _StoredSums:
    """The rows of one sum statistic from hour `first` on, as stored or queued.

    One slot per hour (seconds since the epoch `first + i × 3600`); NaN where
    there is no row. `base` is the sum of the last row before `first` (0 when
    there is none). `broken` is the first hour whose stored sum does not
    follow from the one before it (a write cut short by a crash), which the
    next write repairs.
    """

    first: int
    base: float
    states: array[float]
    sums: array[float]
    broken: int | None = None
    used: float = field(default_factory=time.monotonic)

    @classmethod
    def from_rows(
        cls, first: int, base: float, rows: Sequence[StoredRow]
    ) -> _StoredSums:
        """Build from the rows read from `first` on (oldest first)."""
        known = cls(first, base, array("d"), array("d"))
        known._put_rows(rows)
        known._check_chain()
        return known

    def prepend(self, first: int, base: float, rows: Sequence[StoredRow]) -> None:
        """Add the stored rows of [first, self.first) read from the database."""
        later, states, sums = self.first, self.states, self.sums
        self.first, self.base, self.broken = first, base, None
        self.states, self.sums = array("d"), array("d")
        self._put_rows(rows)
        self._grow(later - _HOUR_S)
        self.states.extend(states)
        self.sums.extend(sums)
        self._check_chain()

    def _put_rows(self, rows: Sequence[StoredRow]) -> None:
        for hour, state, total in rows:
            self._grow(hour)
            index = (hour - self.first) // _HOUR_S
            self.states[index] = 0.0 if state is None else state
            self.sums[index] = math.nan if total is None else total
            if state is None or total is None:
                self.broken = hour if self.broken is None else min(self.broken, hour)

    def _check_chain(self) -> None:
        """Find the first stored hour whose sum does not follow (from `first`)."""
        previous: float | None = None
        for index, total in enumerate(self.sums):
            state = self.states[index]
            if math.isnan(state):
                continue
            hour = self.first + index * _HOUR_S
            if self.broken is not None and hour >= self.broken:
                return  # a row without state or sum (see `_put_rows`)
            if previous is not None and abs(previous + state - total) > _SUM_TOLERANCE:
                self.broken = hour
                return
            previous = total

    def _grow(self, hour: int) -> None:
        """Make room for the slots up to `hour`."""
        missing = (hour - self.first) // _HOUR_S + 1 - len(self.states)
        if missing > 0:
            self.states.extend([math.nan] * missing)
            self.sums.extend([math.nan] * missing)

    def state(self, hour: int) -> float:
        """Return the stored state of `hour` (NaN: no row)."""
        index = (hour - self.first) // _HOUR_S
        return self.states[index] if 0 <= index < len(self.states) else math.nan

    def merge(
        self, hours: Mapping[int, float], zero_elsewhere: Iterable[int]
    ) -> tuple[int, list[StatisticData]] | None:
        """Merge new hourly values; return the anchor hour and the rows to write.

        None when nothing changed. Hours of `zero_elsewhere` missing from
        `hours` hold 0: a stored non-zero row there is set to 0.
        """
        updates = dict(hours)
        for hour in zero_elsewhere:
            state = self.state(hour)
            if hour not in updates and not math.isnan(state) and state != 0.0:
                updates[hour] = 0.0
        changed = [
            hour
            for hour, value in updates.items()
            if not abs(self.state(hour) - value) <= _EPSILON  # NaN: no row yet
        ]
        if self.broken is not None:
            changed.append(self.broken)
        if not changed:
            return None
        anchor = min(changed)
        if updates:
            self._grow(max(updates))
        for hour, value in updates.items():
            if hour >= anchor:
                self.states[(hour - self.first) // _HOUR_S] = value
        start = (anchor - self.first) // _HOUR_S
        running = self.base
        for index in range(start - 1, -1, -1):
            if not math.isnan(self.states[index]):
                running = self.sums[index]
                break
        rows: list[StatisticData] = []
        for index in range(start, len(self.states)):
            state = self.states[index]
            if math.isnan(state):
                continue
            running = round(running + state, _SUM_DIGITS)
            self.sums[index] = running
            rows.append(
                StatisticData(
                    start=_utc_hour(self.first + index * _HOUR_S),
                    state=state,
                    sum=running,
                )
            )
        self.broken = None
        return anchor, rows

    def states_from(self, hour: int) -> dict[datetime, float]:
        """Return the stored states from `hour` on."""
        start = max(0, (hour - self.first) // _HOUR_S)
        return {
            _utc_hour(self.first + index * _HOUR_S): self.states[index]
            for index in range(start, len(self.states))
            if not math.isnan(self.states[index])
        }

    def last_hour(self) -> int | None:
        """Return the newest stored hour, when it is known here."""
        for index in range(len(self.states) - 1, -1, -1):
            if not math.isnan(self.states[index]):
                return self.first + index * _HOUR_S
        return None


@dataclass(slots=True)
class _StoredPeaks:
    """The stored maxima of a max-power statistic from hour `first` on."""

    first: int
    maxima: dict[int, float | None]
    used: float = field(default_factory=time.monotonic)


def _hour_seconds(hour: datetime) -> int:
    """Seconds since the epoch of an hour start."""
    return _microseconds(hour) // 1_000_000


def _by_second(
    hours: Mapping[datetime, float], zero_elsewhere: Iterable[datetime]
) -> tuple[int, dict[int, float], list[int]]:
    """Key hours by their start in seconds; return the earliest one too.

    Executor work: tens of thousands of aware datetimes.
    """
    updates = {_hour_seconds(hour): value for hour, value in hours.items()}
    zeros = [_hour_seconds(hour) for hour in zero_elsewhere]
    return min(chain(updates, zeros)), updates, zeros


@dataclass(slots=True)
class WriteReport:
    """What an import did: rows sent to the recorder, by statistic.

    `hours` holds the complete hourly values it was given, by series key
    (`consumption`, `consumption_p1` ...), whether they were written or were
    already stored: what a coordinator needs to keep its sensors' totals
    without reading the recorder back.
    """

    rows: dict[str, int] = field(default_factory=dict)
    hours: dict[str, dict[datetime, float]] = field(default_factory=dict)

    def kind_hours(self) -> dict[EnergyKind, dict[datetime, float]]:
        """Return the hours of the whole registers (not their tariff periods)."""
        return {
            kind: hours
            for key, hours in self.hours.items()
            if (kind := _KIND_BY_KEY.get(key)) is not None
        }

    @property
    def total(self) -> int:
        """All rows written."""
        return sum(self.rows.values())


class StatisticsWriter:
    """Writes every GridMeter statistic; one instance per Home Assistant."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Hold a lock per statistic so two writers never interleave on one id."""
        self.hass = hass
        self._locks: dict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._sums: dict[str, _StoredSums] = {}
        self._peaks: dict[str, _StoredPeaks] = {}
        self._forgotten: set[str] = set()

    # -- the recorder -----------------------------------------------------------

    async def _async_add(
        self, metadata: StatisticMetaData, rows: list[StatisticData]
    ) -> None:
        """Queue rows for the recorder (the only place statistics are written).

        Home Assistant validates every row on the event loop; big imports go
        in slices with a pause between them so the loop stays responsive.
        """
        for first in range(0, len(rows), _WRITE_SLICE):
            if first:
                await asyncio.sleep(0)
            async_add_external_statistics(
                self.hass, metadata, rows[first : first + _WRITE_SLICE]
            )

    async def _async_read(
        self,
        statistic_id: str,
        start: datetime,
        end: datetime | None,
        types: set[RowType],
    ) -> list[tuple[int, dict[str, float | None]]]:
        """Read stored hourly rows in [start, end), keyed by hour (seconds)."""
        return await get_instance(self.hass).async_add_executor_job(
            _read_rows, self.hass, statistic_id, start, end, types
        )

    async def _async_read_sums(
        self, statistic_id: str, first: int, end: int | None
    ) -> tuple[float, list[StoredRow]]:
        """Read the rows of [first, end) and the sum of the last row before."""
        start = _utc_hour(first)
        rows = await self._async_read(
            statistic_id,
            start - _ANCHOR_LOOKBACK,
            None if end is None else _utc_hour(end),
            {"state", "sum"},
        )
        before = [row for hour, row in rows if hour < first]
        if not before:
            older = await self._async_read(
                statistic_id, _OLDEST, start - _ANCHOR_LOOKBACK, {"sum"}
            )
            before = [row for _, row in older[-1:]]
        base = float(before[-1].get("sum") or 0.0) if before else 0.0
        return base, [
            (hour, row.get("state"), row.get("sum"))
            for hour, row in rows
            if hour >= first
        ]

    async def _async_settle(self, statistic_id: str) -> None:
        """Before reading a statistic forgotten here, let its imports commit.

        Only a statistic whose memory was dropped can still have rows of this
        writer in the recorder's queue; `async_block_till_done` waits for the
        queue to be worked off. (While the recorder thread runs the last task
        the queue is empty and it returns at once: why a statistic just
        written is never read back, see the module's docstring.)
        """
        if statistic_id not in self._forgotten:
            return
        self._forgotten.discard(statistic_id)
        try:
            async with asyncio.timeout(_WAIT_FOR_RECORDER):
                await get_instance(self.hass).async_block_till_done()
        except TimeoutError:
            _LOGGER.warning("The recorder is slow to commit statistics; reading anyway")

    def _forget(self, statistic_id: str) -> None:
        """Drop what is known of a statistic; the next use reads it again."""
        self._sums.pop(statistic_id, None)
        self._peaks.pop(statistic_id, None)
        self._forgotten.add(statistic_id)

    def _forget_unused(self) -> None:
        """Drop what is known of statistics not written for a while."""
        now = time.monotonic()
        for cache in (self._sums, self._peaks):
            for key in [
                key
                for key, known in cache.items()
                if now - known.used > _FORGET_AFTER and not self._locks[key].locked()
            ]:
                self._forget(key)

    async def _async_known_sums(self, statistic_id: str, first: int) -> _StoredSums:
        """Return what is stored of a statistic from `first` on (read if unknown)."""
        known = self._sums.get(statistic_id)
        if known is None:
            await self._async_settle(statistic_id)
            base, rows = await self._async_read_sums(statistic_id, first, None)
            known = await self.hass.async_add_executor_job(
                _StoredSums.from_rows, first, base, rows
            )
            self._sums[statistic_id] = known
        elif first < known.first:
            # Older than anything this writer wrote: committed, safe to read.
            base, rows = await self._async_read_sums(statistic_id, first, known.first)
            await self.hass.async_add_executor_job(known.prepend, first, base, rows)
        known.used = time.monotonic()
        return known

    # -- writes -----------------------------------------------------------------

    async def async_write_sum(
        self,
        statistic: SumStatistic,
        hours: Mapping[datetime, float],
        *,
        zero_elsewhere: frozenset[datetime] = frozenset(),
    ) -> int:
        """Merge complete hourly values into a sum statistic; return rows written.

        Hours of `zero_elsewhere` missing from `hours` hold 0: a stored
        non-zero row there is set to 0 (a tariff period whose hours moved).
        """
        if not hours and not zero_elsewhere:
            return 0
        self._forget_unused()
        key = statistic.statistic_id
        async with self._locks[key]:
            first, updates, zeros = await self.hass.async_add_executor_job(
                _by_second, hours, zero_elsewhere
            )
            known = await self._async_known_sums(key, first)
            merged = await self.hass.async_add_executor_job(known.merge, updates, zeros)
            if merged is None:
                return 0
            anchor, rows = merged
            try:
                await self._async_add(statistic.metadata(), rows)
            except BaseException:
                # Not every row was queued: what is known here is wrong.
                self._forget(key)
                raise
            _LOGGER.debug(
                "Wrote %d hours of %s from %s",
                len(rows),
                statistic_alias(key),
                _utc_hour(anchor),
            )
            return len(rows)

    async def async_write_peaks(
        self, statistic: PeakStatistic, peaks: Mapping[datetime, float]
    ) -> int:
        """Write max-power peaks (kW) at their UTC hours; unchanged rows are skipped."""
        hourly: dict[int, float] = {}
        for instant, kw in peaks.items():
            hour = _hour_seconds(hour_start(instant))
            hourly[hour] = max(kw, hourly.get(hour, kw))
        if not hourly:
            return 0
        self._forget_unused()
        key = statistic.statistic_id
        async with self._locks[key]:
            known = self._peaks.get(key)
            first = min(hourly)
            if known is None or first < known.first:
                if known is None:
                    await self._async_settle(key)
                stored = await self._async_read(
                    key,
                    _utc_hour(first),
                    None if known is None else _utc_hour(known.first),
                    {"max"},
                )
                maxima = {hour: row.get("max") for hour, row in stored}
                if known is None:
                    known = self._peaks[key] = _StoredPeaks(first, maxima)
                else:
                    known.first = first
                    known.maxima.update(maxima)
            known.used = time.monotonic()
            changed = {
                hour: kw
                for hour, kw in sorted(hourly.items())
                if (stored_kw := known.maxima.get(hour)) is None
                or abs(stored_kw - kw) > _EPSILON
            }
            if not changed:
                return 0
            rows = [
                StatisticData(start=_utc_hour(hour), max=kw, mean=kw, min=kw)
                for hour, kw in changed.items()
            ]
            try:
                await self._async_add(statistic.metadata(), rows)
            except BaseException:
                self._forget(key)
                raise
            known.maxima.update(changed)
            return len(rows)

    # -- reads --------------------------------------------------------------------

    async def async_last_hour(self, statistic_id: str) -> datetime | None:
        """Return the start of the newest stored hour of a statistic, if any."""
        async with self._locks[statistic_id]:
            known = self._sums.get(statistic_id)
            if known is not None and (hour := known.last_hour()) is not None:
                return _utc_hour(hour)
            if known is None:
                await self._async_settle(statistic_id)
            return await get_instance(self.hass).async_add_executor_job(
                _last_hour, self.hass, statistic_id
            )

    async def async_read_states(
        self, statistic_id: str, start: datetime
    ) -> dict[datetime, float]:
        """Return the stored hourly values of a statistic from `start` on."""
        first = _hour_seconds(hour_start(start))
        async with self._locks[statistic_id]:
            known = self._sums.get(statistic_id)
            if known is None:
                await self._async_settle(statistic_id)
            elif first >= known.first:
                return await self.hass.async_add_executor_job(known.states_from, first)
            states = await get_instance(self.hass).async_add_executor_job(
                _read_states,
                self.hass,
                statistic_id,
                start,
                None if known is None else _utc_hour(known.first),
            )
            if known is not None:
                states.update(
                    await self.hass.async_add_executor_job(known.states_from, first)
                )
            return states


def _last_hour(hass: HomeAssistant, statistic_id: str) -> datetime | None:
    """Return the start of the newest stored row (recorder thread pool)."""
    rows = get_last_statistics(hass, 1, statistic_id, False, {"state"})
    return next(
        (_utc_hour(int(row["start"])) for row in rows.get(statistic_id, [])), None
    )


def _read_rows(
    hass: HomeAssistant,
    statistic_id: str,
    start: datetime,
    end: datetime | None,
    types: set[RowType],
) -> list[tuple[int, dict[str, float | None]]]:
    """Query the recorder and key rows by their UTC start (recorder thread pool)."""
    result = statistics_during_period(
        hass, start, end, {statistic_id}, "hour", None, types
    )
    return [
        (int(row["start"]), dict(row))  # type: ignore[arg-type]
        for row in result.get(statistic_id, [])
    ]


def _read_states(
    hass: HomeAssistant, statistic_id: str, start: datetime, end: datetime | None
) -> dict[datetime, float]:
    """Read the stored hourly states in [start, end) (recorder thread pool)."""
    return {
        _utc_hour(hour): state
        for hour, row in _read_rows(hass, statistic_id, start, end, {"state"})
        if (state := row.get("state")) is not None
    }


def get_writer(hass: HomeAssistant) -> StatisticsWriter:
    """Return Home Assistant's single GridMeter statistics writer."""
    if (writer := hass.data.get(DATA_WRITER)) is None:
        writer = hass.data[DATA_WRITER] = StatisticsWriter(hass)
    return writer


# -- describing a meter's statistics ----------------------------------------------

_KIND_LABELS: Final = {
    EnergyKind.CONSUMPTION: "consumption",
    EnergyKind.RETURN: "grid return",
    EnergyKind.GENERATION: "generation",
    EnergyKind.SELF_CONSUMPTION: "self-consumption",
}
_MONEY_LABELS: Final = {
    "cost": (EnergyKind.CONSUMPTION, "cost"),
    "compensation": (EnergyKind.RETURN, "compensation"),
}


def meter_label(point: MeterPoint) -> str:
    """Return how a meter is named in statistics (its address, else its id)."""
    return point.address or point.meter_id


def _series_label(key: str) -> str:
    """`consumption_p2` → `consumption P2`, `self_consumption` → `self-consumption`."""
    label = key
    for kind in EnergyKind:
        if key == kind.value:
            label = _KIND_LABELS[kind]
        elif kind in SPLIT_KINDS and key.startswith(f"{kind.value}_"):
            label = f"{_KIND_LABELS[kind]} {key.removeprefix(kind.value + '_').upper()}"
    return label


def energy_statistic(point: MeterPoint, key: str) -> EnergyStatistic:
    """Describe the energy statistic `key` (`consumption_p1` ...) of a meter."""
    return EnergyStatistic(
        statistic_id=statistic_id(point.provider, point.meter_id, key),
        name=f"{meter_label(point)} {_series_label(key)}",
    )


def money_statistic(point: MeterPoint, key: str) -> MoneyStatistic:
    """Describe the money statistic `key` (`cost`, `cost_p1`, `compensation` ...).

    Named after the energy statistic it pairs with in the Energy dashboard:
    "CALLE … consumption P1 cost", "CALLE … grid return compensation".
    """
    head, _, period = key.partition("_")
    kind, word = _MONEY_LABELS[head]
    return MoneyStatistic(
        statistic_id=statistic_id(point.provider, point.meter_id, key),
        name=f"{meter_label(point)} {_series_label(series_key(kind, period))} {word}",
    )


def peak_statistic(point: MeterPoint) -> PeakStatistic:
    """Describe the max-power statistic of a meter."""
    return PeakStatistic(
        statistic_id=statistic_id(point.provider, point.meter_id, MAX_POWER),
        name=f"{meter_label(point)} max power",
    )


def _aggregate(
    readings: Iterable[EnergyReading] | RegularReadings,
    calendar: TariffCalendar | None,
) -> HourlyEnergy:
    if isinstance(readings, RegularReadings):
        return aggregate_regular(readings, calendar)
    return aggregate_hourly(readings, calendar)


async def async_import_energy(
    hass: HomeAssistant,
    point: MeterPoint,
    readings: Iterable[EnergyReading] | RegularReadings,
    calendar: TariffCalendar | None,
) -> WriteReport:
    """Write a meter's readings into all its energy statistics.

    `readings` are reading objects or, for a regular curve, `RegularReadings`
    (the same hours, much faster).
    """
    # Tens of thousands of readings: sum them outside the event loop.
    hourly = await hass.async_add_executor_job(_aggregate, readings, calendar)
    writer = get_writer(hass)
    report = WriteReport(hours=dict(hourly.series))
    for key in sorted(hourly.series.keys() | hourly.period_series.keys()):
        statistic = energy_statistic(point, key)
        report.rows[statistic.statistic_id] = await writer.async_write_sum(
            statistic,
            hourly.series.get(key, {}),
            zero_elsewhere=hourly.period_series.get(key, frozenset()),
        )
    if hourly.incomplete_hours:
        _LOGGER.debug(
            "%d incomplete hours of %s wait for their missing readings",
            hourly.incomplete_hours,
            statistic_alias(statistic_id(point.provider, point.meter_id, "energy")),
        )
    return report


async def async_import_peaks(
    hass: HomeAssistant, point: MeterPoint, peaks: Iterable[PowerPeak]
) -> int:
    """Write a meter's power peaks into its max-power statistic."""
    by_instant: dict[datetime, float] = {}
    for peak in peaks:
        by_instant[peak.at] = max(peak.kw, by_instant.get(peak.at, peak.kw))
    return await get_writer(hass).async_write_peaks(peak_statistic(point), by_instant)
