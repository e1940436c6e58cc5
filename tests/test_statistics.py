"""The statistics writer against the real recorder."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from homeassistant.components.recorder import Recorder
from homeassistant.components.recorder.statistics import (
    get_metadata,
    statistics_during_period,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.recorder import get_instance
import pytest
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.gridmeter.providers.models import EnergyKind, EnergyReading
from custom_components.gridmeter.statistics import (
    EnergyStatistic,
    PeakStatistic,
    StatisticsWriter,
    aggregate_hourly,
    energy_statistic,
    get_writer,
    statistic_id,
)
from custom_components.gridmeter.tariffs import FranceHPHC, Spain20TD

from .stats_helpers import read_hours

HOUR = timedelta(hours=1)
T0 = datetime(2026, 3, 28, 20, tzinfo=UTC)
STAT = EnergyStatistic("gridmeter:test_meter_consumption", "Test consumption")


async def _rows(
    hass: HomeAssistant, stat_id: str
) -> list[tuple[datetime, float, float]]:
    """Stored (hour, state, sum) rows, oldest first."""
    hours = await read_hours(hass, stat_id)
    return [(hour, state, total) for hour, (state, total) in sorted(hours.items())]


def _hours(values: list[float], start: datetime = T0) -> dict[datetime, float]:
    return {start + i * HOUR: v for i, v in enumerate(values)}


def test_statistic_ids_are_valid_and_stable() -> None:
    """Ids are lowercase, sanitised and never depend on anything but the meter."""
    assert (
        statistic_id("datadis", "ES0031607515707001RC", "consumption_p1")
        == "gridmeter:datadis_es0031607515707001rc_consumption_p1"
    )
    assert statistic_id("switchgrid", "0912-3456", "return") == (
        "gridmeter:switchgrid_0912_3456_return"
    )


def test_aggregate_sums_sub_hour_readings_and_drops_incomplete_hours() -> None:
    """Ten-minute readings make complete hours; a partial hour waits."""
    readings = [
        EnergyReading(
            start=T0 + timedelta(minutes=10 * i),
            duration=timedelta(minutes=10),
            kind=EnergyKind.CONSUMPTION,
            kwh=0.1,
        )
        for i in range(9)  # 1.5 hours
    ]
    hourly = aggregate_hourly(readings)
    assert hourly.series == {"consumption": {T0: pytest.approx(0.6)}}
    assert hourly.incomplete_hours == 1


def test_aggregate_counts_a_repeated_reading_once() -> None:
    """Overlapping answers never double count: the latest reading wins."""
    first = EnergyReading(start=T0, duration=HOUR, kind=EnergyKind.RETURN, kwh=1.0)
    again = EnergyReading(start=T0, duration=HOUR, kind=EnergyKind.RETURN, kwh=1.25)
    assert aggregate_hourly([first, again]).series == {"return": {T0: 1.25}}


def test_aggregate_splits_by_tariff_period_inside_an_hour() -> None:
    """A 22:30 off-peak start splits one hour between HP and HC."""
    calendar = FranceHPHC(
        ((datetime(2026, 1, 1, 22, 30).time(), datetime(2026, 1, 1, 6, 30).time()),)
    )
    start = datetime(2026, 1, 12, 21, tzinfo=UTC)  # 22:00 in Paris
    readings = [
        EnergyReading(
            start=start + timedelta(minutes=30 * i),
            duration=timedelta(minutes=30),
            kind=EnergyKind.CONSUMPTION,
            kwh=0.5 + i,
        )
        for i in range(2)
    ]
    series = aggregate_hourly(readings, calendar).series
    assert series["consumption"] == {start: 2.0}
    assert series["consumption_hp"] == {start: 0.5}
    assert series["consumption_hc"] == {start: 1.5}


def test_energy_statistic_names() -> None:
    """Names say which meter and which register."""
    from custom_components.gridmeter.providers.models import MeterPoint

    point = MeterPoint(
        provider="datadis", meter_id="ES1", timezone="Europe/Madrid", address="Calle 1"
    )
    assert energy_statistic(point, "consumption_p2").name == "Calle 1 consumption P2"
    assert (
        energy_statistic(point, "self_consumption").name == "Calle 1 self-consumption"
    )
    assert (
        energy_statistic(point, "return").statistic_id == "gridmeter:datadis_es1_return"
    )


async def test_write_then_rewrite_is_idempotent(
    recorder_mock: Recorder, hass: HomeAssistant
) -> None:
    """Writing the same hours twice writes nothing the second time."""
    writer = get_writer(hass)
    assert await writer.async_write_sum(STAT, _hours([1.0, 2.0, 3.0])) == 3
    assert await writer.async_write_sum(STAT, _hours([1.0, 2.0, 3.0])) == 0
    rows = await _rows(hass, STAT.statistic_id)
    assert [(s, st) for _, s, st in rows] == [(1.0, 1.0), (2.0, 3.0), (3.0, 6.0)]
    metadata = await get_instance(hass).async_add_executor_job(
        lambda: get_metadata(hass, statistic_ids={STAT.statistic_id})
    )
    meta = metadata[STAT.statistic_id][1]
    assert meta["unit_class"] == "energy"
    assert meta["has_sum"] is True
    assert meta["mean_type"] == 0


async def test_late_correction_rewrites_every_later_hour(
    recorder_mock: Recorder, hass: HomeAssistant
) -> None:
    """A corrected early hour shifts the sums of everything after it."""
    writer = get_writer(hass)
    await writer.async_write_sum(STAT, _hours([1.0, 2.0, 3.0, 4.0]))
    # Only hour 1 is re-sent, with a new value (estimated → real).
    written = await writer.async_write_sum(STAT, {T0 + HOUR: 2.5})
    assert written == 3
    rows = await _rows(hass, STAT.statistic_id)
    assert [(s, st) for _, s, st in rows] == [
        (1.0, 1.0),
        (2.5, 3.5),
        (3.0, 6.5),
        (4.0, 10.5),
    ]


async def test_gap_filled_later_keeps_sums_continuous(
    recorder_mock: Recorder, hass: HomeAssistant
) -> None:
    """Hours arriving into a gap are inserted and later sums follow."""
    writer = get_writer(hass)
    await writer.async_write_sum(STAT, _hours([1.0]))
    await writer.async_write_sum(STAT, _hours([5.0], T0 + 10 * HOUR))
    await writer.async_write_sum(STAT, _hours([2.0, 3.0], T0 + 5 * HOUR))
    rows = await _rows(hass, STAT.statistic_id)
    assert [st for _, _, st in rows] == [1.0, 3.0, 6.0, 11.0]


async def test_older_history_after_newer_rewrites_the_newer(
    recorder_mock: Recorder, hass: HomeAssistant
) -> None:
    """Backfilling older months after newer ones still gives one continuous sum."""
    writer = get_writer(hass)
    await writer.async_write_sum(STAT, _hours([4.0, 4.0], T0 + 48 * HOUR))
    await writer.async_write_sum(STAT, _hours([1.0, 1.0]))
    rows = await _rows(hass, STAT.statistic_id)
    assert [st for _, _, st in rows] == [1.0, 2.0, 6.0, 10.0]


async def test_anchor_found_across_a_long_gap(
    recorder_mock: Recorder, hass: HomeAssistant
) -> None:
    """The sum before a new hour is found even after weeks without rows."""
    writer = get_writer(hass)
    await writer.async_write_sum(STAT, _hours([7.0]))
    await writer.async_write_sum(STAT, _hours([1.0], T0 + timedelta(days=40)))
    rows = await _rows(hass, STAT.statistic_id)
    assert [st for _, _, st in rows] == [7.0, 8.0]


async def test_sums_do_not_drift(recorder_mock: Recorder, hass: HomeAssistant) -> None:
    """Thousands of 3-decimal hours sum exactly to the micro-kWh."""
    writer = get_writer(hass)
    values = [0.1, 0.2, 0.3, 0.123] * 500
    await writer.async_write_sum(STAT, _hours(values))
    rows = await _rows(hass, STAT.statistic_id)
    assert rows[-1][2] == round(sum(values), 6)


async def test_peaks_are_written_once_per_hour(
    recorder_mock: Recorder, hass: HomeAssistant
) -> None:
    """Max power keeps the highest peak of an hour; re-writing changes nothing."""
    peak_stat = PeakStatistic("gridmeter:test_meter_max_power", "Test max power")
    writer = get_writer(hass)
    peaks = {T0 + timedelta(minutes=15): 3.1, T0 + timedelta(minutes=45): 3.4}
    assert await writer.async_write_peaks(peak_stat, peaks) == 1
    assert await writer.async_write_peaks(peak_stat, peaks) == 0
    assert await writer.async_write_peaks(peak_stat, {}) == 0
    await async_wait_recording_done(hass)
    result = await get_instance(hass).async_add_executor_job(
        statistics_during_period,
        hass,
        T0,
        None,
        {peak_stat.statistic_id},
        "hour",
        None,
        {"max", "mean", "min"},
    )
    row = result[peak_stat.statistic_id][0]
    assert (row["max"], row["mean"], row["min"]) == (3.4, 3.4, 3.4)


def test_spain_calendar_split_in_aggregation() -> None:
    """Hourly Spanish readings land in P1/P2/P3 by their local start hour."""
    monday_10_madrid = datetime(2026, 1, 12, 9, tzinfo=UTC)
    readings = [
        EnergyReading(
            start=monday_10_madrid + i * HOUR,
            duration=HOUR,
            kind=EnergyKind.CONSUMPTION,
            kwh=1.0,
        )
        for i in range(-3, 1)  # 07:00, 08:00, 09:00, 10:00 local
    ]
    series = aggregate_hourly(readings, Spain20TD()).series
    assert sum(series["consumption_p3"].values()) == 1.0
    assert sum(series["consumption_p2"].values()) == 2.0
    assert sum(series["consumption_p1"].values()) == 1.0


async def test_broken_sum_chain_is_repaired(
    recorder_mock: Recorder, hass: HomeAssistant
) -> None:
    """A stored hour whose sum does not follow (a crash between two writes) is
    rewritten by the next write, even when every value is unchanged.
    """
    from homeassistant.components.recorder.models import StatisticData
    from homeassistant.components.recorder.statistics import (
        async_add_external_statistics,
    )

    writer = get_writer(hass)
    await writer.async_write_sum(STAT, _hours([1.0, 2.0, 3.0]))
    await async_wait_recording_done(hass)
    async_add_external_statistics(
        hass, STAT.metadata(), [StatisticData(start=T0 + 2 * HOUR, state=3.0, sum=99.0)]
    )
    await async_wait_recording_done(hass)
    # The crash restarted Home Assistant: a new writer reads what is stored.
    writer = StatisticsWriter(hass)
    assert await writer.async_write_sum(STAT, _hours([1.0, 2.0, 3.0])) == 1
    rows = await _rows(hass, STAT.statistic_id)
    assert [st for _, _, st in rows] == [1.0, 3.0, 6.0]


async def test_large_writes_go_in_slices(
    recorder_mock: Recorder, hass: HomeAssistant
) -> None:
    """Two years of hours are written completely, slice after slice."""
    writer = get_writer(hass)
    values = [0.25] * 5000
    assert await writer.async_write_sum(STAT, _hours(values)) == 5000
    rows = await _rows(hass, STAT.statistic_id)
    assert len(rows) == 5000
    assert rows[-1][2] == 1250.0


async def test_new_off_peak_hours_leave_no_stale_period_rows(
    recorder_mock: Recorder, hass: HomeAssistant
) -> None:
    """Re-importing with other off-peak hours zeroes the old HC/HP rows.

    Every hour then splits into HP + HC equal to the consumption, whichever
    calendar wrote it first.
    """
    from custom_components.gridmeter.providers.models import MeterPoint
    from custom_components.gridmeter.statistics import async_import_energy

    from .stats_helpers import assert_continuous

    point = MeterPoint(provider="switchgrid", meter_id="P1", timezone="Europe/Paris")
    start = datetime(2026, 1, 12, 18, tzinfo=UTC)
    readings = [
        EnergyReading(
            start=start + i * HOUR,
            duration=HOUR,
            kind=EnergyKind.CONSUMPTION,
            kwh=1.0 + i / 10,
        )
        for i in range(12)
    ]
    night = FranceHPHC(
        ((datetime(2026, 1, 1, 22).time(), datetime(2026, 1, 1, 6).time()),)
    )
    early = FranceHPHC(
        ((datetime(2026, 1, 1, 0).time(), datetime(2026, 1, 1, 8).time()),)
    )
    await async_import_energy(hass, point, readings, night)
    await async_import_energy(hass, point, readings, early)
    total = await read_hours(hass, "gridmeter:switchgrid_p1_consumption")
    hp = await read_hours(hass, "gridmeter:switchgrid_p1_consumption_hp")
    hc = await read_hours(hass, "gridmeter:switchgrid_p1_consumption_hc")
    assert len(total) == 12
    for hour, (kwh, _) in total.items():
        assert round(hp.get(hour, (0.0, 0.0))[0] + hc.get(hour, (0.0, 0.0))[0], 6) == (
            round(kwh, 6)
        ), hour
    # 22:00 and 23:00 Paris (21:00, 22:00 UTC) are peak hours now.
    assert hc[datetime(2026, 1, 12, 21, tzinfo=UTC)][0] == 0.0
    assert hp[datetime(2026, 1, 12, 21, tzinfo=UTC)][0] == pytest.approx(1.3)
    assert_continuous(hp)
    assert_continuous(hc)
    # A third run with the same calendar writes nothing.
    report = await async_import_energy(hass, point, readings, early)
    assert report.total == 0


async def test_latest_data_survives_a_silence_longer_than_a_month(
    recorder_mock: Recorder, hass: HomeAssistant
) -> None:
    """Two months without data: the meter is disconnected, not waiting."""
    from custom_components.gridmeter.data import ConnectionStatus
    from custom_components.gridmeter.providers.models import MeterPoint
    from custom_components.gridmeter.statistics import async_import_energy
    from custom_components.gridmeter.sync.common import (
        async_energy_totals,
        meter_status,
    )

    point = MeterPoint(provider="datadis", meter_id="ES9", timezone="Europe/Madrid")
    last = datetime(2026, 8, 31, 21, tzinfo=UTC)
    readings = [
        EnergyReading(
            start=last - i * HOUR, duration=HOUR, kind=EnergyKind.CONSUMPTION, kwh=0.5
        )
        for i in range(3)
    ]
    await async_import_energy(hass, point, readings, None)
    now = datetime(2026, 11, 21, 10, tzinfo=UTC)
    totals, latest = await async_energy_totals(
        hass, point, [EnergyKind.CONSUMPTION], now
    )
    assert latest == last + HOUR
    assert totals[EnergyKind.CONSUMPTION].this_month is None
    assert meter_status(latest, now) is ConnectionStatus.DISCONNECTED
