"""The one writer of GridMeter's long-term statistics.

Every provider's readings end here. Energy becomes hourly external statistics
(`gridmeter:<provider>_<meter>_<kind>`) at UTC hour starts, each row carrying
`state` (the hour's kWh) and `sum` (the running total). The recorder
overwrites a re-imported hour but never shifts later sums, so this writer:

- compares what it is given with what is stored and writes nothing when they
  agree (re-importing the same data changes nothing);
- anchors the running sum on the stored row just before the first hour that
  changed, and rewrites every later stored hour with the corrected sum (late
  data and corrections never leave a step in the Energy dashboard);
- writes an hour only when it is complete (all its sub-hour readings present).

Writes are queued from the event loop; reads go through the recorder's own
executor after waiting for pending writes to commit, so a read always sees
the previous write.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
import logging
import re
from typing import Final, Literal

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
from homeassistant.components.recorder.tasks import SynchronizeTask
from homeassistant.const import UnitOfEnergy, UnitOfPower
from homeassistant.core import HomeAssistant
from homeassistant.helpers.recorder import get_instance
from homeassistant.util.hass_dict import HassKey
from homeassistant.util.unit_conversion import EnergyConverter, PowerConverter

from .const import DOMAIN
from .providers.models import EnergyKind, EnergyReading, MeterPoint, PowerPeak
from .tariffs import TariffCalendar

_LOGGER = logging.getLogger(__name__)

HOUR: Final = timedelta(hours=1)
_EPSILON: Final = 1e-9
# Sums are rounded to the micro-kWh so that float noise never accumulates
# over years of hourly additions.
_SUM_DIGITS: Final = 6
# How far back to look for the row that anchors a running sum before falling
# back to a full scan (only after a gap longer than this).
_ANCHOR_LOOKBACK: Final = timedelta(days=7)
_OLDEST: Final = datetime(2000, 1, 1, tzinfo=UTC)
_SYNC_TIMEOUT: Final = 120.0
_WRITE_SLICE: Final = 500
# Sums are rounded to 1e-6 at each step; anything beyond is a broken chain.
_SUM_TOLERANCE: Final = 1e-5
# Registers that are also split by tariff period.
SPLIT_KINDS: Final = frozenset({EnergyKind.CONSUMPTION, EnergyKind.RETURN})

DATA_WRITER: HassKey[StatisticsWriter] = HassKey(f"{DOMAIN}_statistics_writer")


def statistic_id(provider: str, meter_id: str, kind: str) -> str:
    """Return the permanent external statistic id of a meter's register."""
    meter = re.sub(r"[^a-z0-9]+", "_", meter_id.lower()).strip("_")
    return f"{DOMAIN}:{provider}_{meter}_{kind}"


def series_key(kind: EnergyKind, period: str | None = None) -> str:
    """Return the kind part of a statistic id: `consumption`, `return_p1` ..."""
    return f"{kind.value}_{period}" if period else kind.value


@dataclass(frozen=True, slots=True)
class EnergyStatistic:
    """An hourly energy statistic with a running sum (kWh)."""

    statistic_id: str
    name: str

    def metadata(self) -> StatisticMetaData:
        """Return the recorder metadata (mean_type and unit_class included)."""
        return StatisticMetaData(
            has_sum=True,
            mean_type=StatisticMeanType.NONE,
            name=self.name,
            source=DOMAIN,
            statistic_id=self.statistic_id,
            unit_class=EnergyConverter.UNIT_CLASS,
            unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        )


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


@dataclass(slots=True)
class HourlyEnergy:
    """Readings summed into complete UTC hours, per statistic kind."""

    series: dict[str, dict[datetime, float]] = field(default_factory=dict)
    incomplete_hours: int = 0
    period_series: dict[str, frozenset[datetime]] = field(default_factory=dict)
    """Every tariff-period series of the calendar → the complete hours of its
    register: an hour missing from the period's own series holds 0 kWh there
    (so a row left by an older calendar is zeroed, never kept)."""


def hour_start(instant: datetime) -> datetime:
    """Floor an instant to its UTC hour (aligned in UTC, never in local time)."""
    return instant.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


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
        if hour_start(reading.end - timedelta(microseconds=1)) != hour:
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


def _utc(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, tz=UTC)


@dataclass(slots=True)
class WriteReport:
    """What a write did: rows sent to the recorder, by statistic."""

    rows: dict[str, int] = field(default_factory=dict)
    hours: dict[str, dict[datetime, float]] = field(default_factory=dict)
    """The complete hourly kWh given, by series key (`consumption`, ...)."""

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
        self._unsynced = False

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
        self._unsynced = True

    async def _async_wait_for_writes(self) -> None:
        """Wait until every statistics import queued so far is committed.

        `Recorder.async_block_till_done` does not wait while the recorder
        thread is already processing the last task (its queue looks empty), so
        a marker task is queued behind our imports and awaited instead.
        """
        if not self._unsynced:
            return
        future: asyncio.Future[None] = self.hass.loop.create_future()
        get_instance(self.hass).queue_task(SynchronizeTask(future))
        try:
            async with asyncio.timeout(_SYNC_TIMEOUT):
                await future
        except TimeoutError:
            _LOGGER.warning("The recorder is slow to commit statistics; reading anyway")
            return
        self._unsynced = False

    async def _async_read(
        self,
        statistic_id: str,
        start: datetime,
        end: datetime | None,
        types: set[RowType],
    ) -> list[tuple[datetime, dict[str, float | None]]]:
        """Read stored hourly rows in [start, end) after pending writes commit."""
        await self._async_wait_for_writes()
        return await get_instance(self.hass).async_add_executor_job(
            _read_rows, self.hass, statistic_id, start, end, types
        )

    async def _async_sum_before(self, statistic_id: str, hour: datetime) -> float:
        """Return the running sum stored at the last row before `hour` (or 0)."""
        for start in (hour - _ANCHOR_LOOKBACK, _OLDEST):
            rows = await self._async_read(statistic_id, start, hour, {"sum"})
            if rows:
                return float(rows[-1][1].get("sum") or 0.0)
        return 0.0

    async def async_write_energy(
        self,
        statistic: EnergyStatistic,
        hours: Mapping[datetime, float],
        *,
        zero_elsewhere: frozenset[datetime] = frozenset(),
    ) -> int:
        """Merge complete hourly kWh into a sum statistic; return rows written.

        Hours of `zero_elsewhere` missing from `hours` hold 0 kWh: a stored
        non-zero row there is set to 0 (a tariff period whose hours moved).
        """
        if not hours and not zero_elsewhere:
            return 0
        async with self._locks[statistic.statistic_id]:
            first = min(hours.keys() | zero_elsewhere)
            stored = dict(
                await self._async_read(
                    statistic.statistic_id, first, None, {"state", "sum"}
                )
            )
            if zero_elsewhere:
                hours = {
                    **{
                        hour: 0.0
                        for hour in zero_elsewhere
                        if hour not in hours
                        and (row := stored.get(hour)) is not None
                        and (row.get("state") or 0.0) != 0.0
                    },
                    **hours,
                }
                if not hours:
                    return 0
            anchor = await self.hass.async_add_executor_job(
                _first_change, hours, stored
            )
            if anchor is None:
                return 0
            before = [start for start in stored if start < anchor]
            if before:
                running = float(stored[max(before)].get("sum") or 0.0)
            else:
                running = await self._async_sum_before(statistic.statistic_id, anchor)
            rows = await self.hass.async_add_executor_job(
                _rows_from, anchor, hours, stored, running
            )
            await self._async_add(statistic.metadata(), rows)
            _LOGGER.debug(
                "Wrote %d hours of %s from %s",
                len(rows),
                statistic.statistic_id,
                anchor,
            )
            return len(rows)

    async def async_write_peaks(
        self, statistic: PeakStatistic, peaks: Mapping[datetime, float]
    ) -> int:
        """Write max-power peaks (kW) at their UTC hours; unchanged rows are skipped."""
        hourly: dict[datetime, float] = {}
        for instant, kw in peaks.items():
            hour = hour_start(instant)
            hourly[hour] = max(kw, hourly.get(hour, kw))
        if not hourly:
            return 0
        async with self._locks[statistic.statistic_id]:
            stored = dict(
                await self._async_read(
                    statistic.statistic_id, min(hourly), None, {"max"}
                )
            )
            rows = [
                StatisticData(start=hour, max=kw, mean=kw, min=kw)
                for hour, kw in sorted(hourly.items())
                if hour not in stored
                or stored[hour].get("max") is None
                or abs(float(stored[hour]["max"] or 0.0) - kw) > _EPSILON
            ]
            if rows:
                await self._async_add(statistic.metadata(), rows)
            return len(rows)

    async def async_last_hour(self, statistic_id: str) -> datetime | None:
        """Return the start of the newest stored hour of a statistic, if any."""
        await self._async_wait_for_writes()
        return await get_instance(self.hass).async_add_executor_job(
            _last_hour, self.hass, statistic_id
        )

    async def async_read_states(
        self, statistic_id: str, start: datetime
    ) -> dict[datetime, float]:
        """Return the stored hourly kWh of a statistic from `start` on."""
        rows = await self._async_read(statistic_id, start, None, {"state"})
        return {
            hour: state for hour, row in rows if (state := row.get("state")) is not None
        }


def _last_hour(hass: HomeAssistant, statistic_id: str) -> datetime | None:
    """Return the start of the newest stored row (recorder thread pool)."""
    rows = get_last_statistics(hass, 1, statistic_id, False, {"state"})
    return next((_utc(row["start"]) for row in rows.get(statistic_id, [])), None)


def _read_rows(
    hass: HomeAssistant,
    statistic_id: str,
    start: datetime,
    end: datetime | None,
    types: set[RowType],
) -> list[tuple[datetime, dict[str, float | None]]]:
    """Query the recorder and key rows by their UTC start (recorder thread pool)."""
    result = statistics_during_period(
        hass, start, end, {statistic_id}, "hour", None, types
    )
    return [
        (_utc(row["start"]), dict(row))  # type: ignore[arg-type]
        for row in result.get(statistic_id, [])
    ]


type StoredRows = Mapping[datetime, Mapping[str, float | None]]
type RowType = Literal["change", "last_reset", "max", "mean", "min", "state", "sum"]


def _first_change(
    hours: Mapping[datetime, float], stored: StoredRows
) -> datetime | None:
    """Return the earliest hour that must be (re)written, or None.

    That is an hour whose value differs from storage or is missing there, or a
    stored hour whose sum does not follow from the one before it (a write cut
    short by a crash is repaired by the next one).
    """
    changed = [
        hour
        for hour, kwh in hours.items()
        if (row := stored.get(hour)) is None
        or (state := row.get("state")) is None
        or abs(state - kwh) > _EPSILON
    ]
    previous: float | None = None
    for start in sorted(stored):
        total, state = stored[start].get("sum"), stored[start].get("state")
        if total is None or state is None:
            changed.append(start)
            break
        if previous is not None and abs(previous + state - total) > _SUM_TOLERANCE:
            changed.append(start)
            break
        previous = total
    return min(changed) if changed else None


def _rows_from(
    anchor: datetime,
    hours: Mapping[datetime, float],
    stored: StoredRows,
    running: float,
) -> list[StatisticData]:
    """Build every row from `anchor` on, stored later hours included.

    Their sums then follow whatever changed before them.
    """
    timeline = {
        start: float(row.get("state") or 0.0)
        for start, row in stored.items()
        if start >= anchor
    }
    timeline.update({hour: kwh for hour, kwh in hours.items() if hour >= anchor})
    rows: list[StatisticData] = []
    for start in sorted(timeline):
        running = round(running + timeline[start], _SUM_DIGITS)
        rows.append(StatisticData(start=start, state=timeline[start], sum=running))
    return rows


def get_writer(hass: HomeAssistant) -> StatisticsWriter:
    """Return Home Assistant's single GridMeter statistics writer."""
    if (writer := hass.data.get(DATA_WRITER)) is None:
        writer = hass.data[DATA_WRITER] = StatisticsWriter(hass)
    return writer


_KIND_LABELS: Final = {
    EnergyKind.CONSUMPTION: "consumption",
    EnergyKind.RETURN: "grid return",
    EnergyKind.GENERATION: "generation",
    EnergyKind.SELF_CONSUMPTION: "self-consumption",
}
MAX_POWER: Final = "max_power"
_KIND_BY_KEY: Final = {kind.value: kind for kind in EnergyKind}


def meter_label(point: MeterPoint) -> str:
    """Return how a meter is named in statistics (its address, else its id)."""
    return point.address or point.meter_id


def energy_statistic(point: MeterPoint, key: str) -> EnergyStatistic:
    """Describe the energy statistic `key` (`consumption_p1` ...) of a meter."""
    label = key
    for kind in EnergyKind:
        if key == kind.value:
            label = _KIND_LABELS[kind]
        elif kind in SPLIT_KINDS and key.startswith(f"{kind.value}_"):
            label = f"{_KIND_LABELS[kind]} {key.removeprefix(kind.value + '_').upper()}"
    return EnergyStatistic(
        statistic_id=statistic_id(point.provider, point.meter_id, key),
        name=f"{meter_label(point)} {label}",
    )


def peak_statistic(point: MeterPoint) -> PeakStatistic:
    """Describe the max-power statistic of a meter."""
    return PeakStatistic(
        statistic_id=statistic_id(point.provider, point.meter_id, MAX_POWER),
        name=f"{meter_label(point)} max power",
    )


async def async_import_energy(
    hass: HomeAssistant,
    point: MeterPoint,
    readings: Iterable[EnergyReading],
    calendar: TariffCalendar | None,
) -> WriteReport:
    """Write a meter's readings into all its energy statistics."""
    # Tens of thousands of readings: sum them outside the event loop.
    hourly = await hass.async_add_executor_job(aggregate_hourly, readings, calendar)
    writer = get_writer(hass)
    report = WriteReport(hours=hourly.series)
    for key in sorted(hourly.series.keys() | hourly.period_series.keys()):
        statistic = energy_statistic(point, key)
        report.rows[statistic.statistic_id] = await writer.async_write_energy(
            statistic,
            hourly.series.get(key, {}),
            zero_elsewhere=hourly.period_series.get(key, frozenset()),
        )
    if hourly.incomplete_hours:
        _LOGGER.debug(
            "%d incomplete hours of %s wait for their missing readings",
            hourly.incomplete_hours,
            statistic_id(point.provider, point.meter_id, "*"),
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
