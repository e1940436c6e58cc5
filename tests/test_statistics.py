"""The statistics writer against the real recorder."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta
import logging
import time as time_module
from typing import Any
from zoneinfo import ZoneInfo

from homeassistant.components.recorder import Recorder
from homeassistant.components.recorder.statistics import (
    get_metadata,
    statistics_during_period,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.recorder import get_instance
from hypothesis import example, given, settings, strategies as st
import pytest
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.gridmeter.providers.models import (
    EnergyKind,
    EnergyReading,
    MeterPoint,
)
from custom_components.gridmeter.providers.switchgrid.curve import (
    load_curve_energy,
    load_curve_readings,
    parse_load_curve,
)
from custom_components.gridmeter.statistics import (
    EnergyStatistic,
    PeakStatistic,
    RegularReadings,
    StatisticsWriter,
    aggregate_hourly,
    aggregate_regular,
    async_import_energy,
    energy_statistic,
    get_writer,
    money_statistic,
    statistic_alias,
    statistic_id,
)
from custom_components.gridmeter.tariffs import (
    FranceBase,
    FranceHPHC,
    ItalyF123,
    Spain20TD,
    TariffCalendar,
)
from simulator.switchgrid import SwitchgridSimulator

from .aggregate_reference import reference_aggregate_hourly
from .stats_helpers import assert_continuous, read_hours

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
    from custom_components.gridmeter.totals import (
        HourlyMemory,
        async_read_recent,
        energy_totals,
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
    memory = HourlyMemory()
    await async_read_recent(hass, memory, point, [EnergyKind.CONSUMPTION], now)
    latest = memory.latest(point.meter_id)
    totals = energy_totals(
        memory.snapshot(point.meter_id, [EnergyKind.CONSUMPTION]), point.timezone, now
    )
    assert latest == last + HOUR
    assert totals[EnergyKind.CONSUMPTION].this_month is None
    assert meter_status(latest, now) is ConnectionStatus.DISCONNECTED


# -- identical hours: the fast path and the general path against eaa0018 -------------

_ZONES = (
    "Europe/Paris",
    "Europe/Madrid",
    "Atlantic/Canary",
    "Europe/Rome",
    "Australia/Lord_Howe",  # half-hour DST shifts
    "Asia/Kolkata",  # a half-hour offset
)
_BASES = (
    datetime(2025, 3, 30, 1, tzinfo=UTC),  # Europe springs forward
    datetime(2025, 10, 26, 1, tzinfo=UTC),  # Europe falls back
    datetime(2025, 4, 5, 15, tzinfo=UTC),  # Lord Howe falls back half an hour
    datetime(2025, 10, 4, 15, 30, tzinfo=UTC),  # Lord Howe springs forward
    datetime(2026, 1, 12, 21, tzinfo=UTC),
)


@dataclass(frozen=True)
class OddMinutes:
    """A calendar GridMeter has no shortcut for: odd local minutes are `odd`."""

    timezone: str = "Europe/Paris"
    key: str = "odd"
    periods: tuple[str, ...] = ("even", "odd")

    def period_at(self, instant: datetime) -> str:
        return self.periods[instant.astimezone(ZoneInfo(self.timezone)).minute % 2]


@st.composite
def calendars(draw: st.DrawFn) -> TariffCalendar | None:
    """Every calendar shape: none, Base, HP/HC to the second, ES, IT, unknown."""
    zone = draw(st.sampled_from(_ZONES))
    clock = st.times().map(lambda t: t.replace(microsecond=0))
    choice = draw(
        st.sampled_from(["none", "base", "hphc", "es", "es_cym", "it", "odd"])
    )
    if choice == "base":
        return FranceBase(timezone=zone)
    if choice == "hphc":
        ranges = draw(st.lists(st.tuples(clock, clock), min_size=1, max_size=3))
        return FranceHPHC(ranges, timezone=zone)
    if choice in ("es", "es_cym"):
        return Spain20TD(
            territory="peninsula" if choice == "es" else "ceuta_melilla",
            timezone=zone,
        )
    if choice == "it":
        return ItalyF123(timezone=zone)
    if choice == "odd":
        return OddMinutes(timezone=zone)
    return None


_KWH = st.none() | st.floats(min_value=0, max_value=5)


@st.composite
def regular_readings(draw: st.DrawFn) -> RegularReadings:
    """A curve on its grid near a DST change; sometimes off the grid."""
    step = draw(
        st.sampled_from(
            [timedelta(minutes=m) for m in (1, 5, 10, 15, 20, 30, 60)]
            + [timedelta(seconds=7.2), timedelta(minutes=7), timedelta(minutes=90)]
        )
    )
    start = draw(st.sampled_from(_BASES)) + draw(st.integers(-300, 300)) * step
    start += draw(
        st.sampled_from(
            [timedelta(0)] * 4 + [timedelta(seconds=1), timedelta(microseconds=5)]
        )
    )
    kwh = draw(st.lists(_KWH, max_size=300))
    return RegularReadings(draw(st.sampled_from(EnergyKind)), start, step, kwh)


@settings(deadline=None)
@given(regular_readings(), calendars())
@example(  # Lord Howe springs forward at half past an hour
    RegularReadings(
        EnergyKind.CONSUMPTION,
        datetime(2025, 10, 4, 13, tzinfo=UTC),
        timedelta(minutes=10),
        [0.1] * 36,
    ),
    FranceHPHC(((time(1, 0), time(3, 0)),), timezone="Australia/Lord_Howe"),
)
@example(  # hourly Spanish periods across the spring change
    RegularReadings(
        EnergyKind.RETURN,
        datetime(2025, 3, 29, 12, tzinfo=UTC),
        HOUR,
        [0.5, None, *[0.25] * 40],
    ),
    Spain20TD(),
)
@example(  # a half-hour offset: Italian bands looked up step by step
    RegularReadings(
        EnergyKind.CONSUMPTION,
        datetime(2026, 1, 12, 4, tzinfo=UTC),
        timedelta(minutes=15),
        [0.1] * 30,
    ),
    ItalyF123(timezone="Asia/Kolkata"),
)
def test_regular_curves_give_the_hours_of_eaa0018(
    readings: RegularReadings, calendar: TariffCalendar | None
) -> None:
    """The fast path's hours, periods and counts are today's, to the last bit."""
    expected = reference_aggregate_hourly(readings.readings(), calendar)
    assert aggregate_regular(readings, calendar) == expected
    assert aggregate_hourly(readings.readings(), calendar) == expected


@st.composite
def irregular_readings(draw: st.DrawFn) -> list[EnergyReading]:
    """Readings of any length, missing, repeated with other values, unsorted."""
    base = draw(st.sampled_from(_BASES))
    readings = [
        EnergyReading(
            start=base + timedelta(seconds=draw(st.integers(-36_000, 36_000)) * 30),
            duration=timedelta(
                minutes=draw(st.sampled_from([5, 7, 10, 15, 30, 60, 90]))
            ),
            kind=draw(st.sampled_from(EnergyKind)),
            kwh=draw(st.floats(min_value=0, max_value=5)),
        )
        for _ in range(draw(st.integers(0, 60)))
    ]
    if readings:
        repeated = draw(st.lists(st.sampled_from(readings), max_size=10))
        readings.extend(
            replace(reading, kwh=draw(st.floats(min_value=0, max_value=5)))
            for reading in repeated
        )
    return draw(st.permutations(readings))


@settings(deadline=None)
@given(irregular_readings(), calendars())
def test_irregular_readings_give_the_hours_of_eaa0018(
    readings: list[EnergyReading], calendar: TariffCalendar | None
) -> None:
    """Complete hours only, a repeated reading once (the last), as before."""
    assert aggregate_hourly(readings, calendar) == reference_aggregate_hourly(
        readings, calendar
    )


@pytest.mark.parametrize(
    ("prm", "direction"),
    [("19876543210987", "CONSUMPTION"), ("07654321098765", "INJECTION")],
)
def test_simulator_curves_give_the_hours_of_eaa0018(prm: str, direction: str) -> None:
    """Real 10- and 30-minute curves around both DST days, with gaps."""
    sim = SwitchgridSimulator(clock=lambda: datetime(2026, 11, 10, 9, tzinfo=UTC))
    truth = sim.truth_w(prm, direction)  # type: ignore[arg-type]
    calendars_ = (
        FranceHPHC(((time(22, 30), time(6, 30)),)),
        FranceHPHC(((time(1, 28), time(6, 58)), (time(13, 58), time(16, 28)))),
        FranceBase(),
    )
    for first, last in (
        (datetime(2025, 3, 27, tzinfo=UTC), datetime(2025, 4, 2, tzinfo=UTC)),
        (datetime(2025, 10, 23, tzinfo=UTC), datetime(2025, 10, 29, tzinfo=UTC)),
    ):
        starts = sorted(t for t in truth if first <= t < last)
        values = [truth[t] for t in starts]
        for index in range(17, len(values), 97):
            values[index] = None  # a gap every few hours
        curve = parse_load_curve(
            {
                "period": f"PT{int((starts[1] - starts[0]).total_seconds())}S",
                "startsAt": starts[0].isoformat(),
                "values": values,
            }
        )
        energy = load_curve_energy(curve)
        kind = EnergyKind.RETURN if direction == "INJECTION" else EnergyKind.CONSUMPTION
        regular = RegularReadings(kind, energy.start, energy.step, energy.kwh)
        readings = load_curve_readings(curve, kind, meter_id=prm).readings
        for calendar in calendars_:
            hourly = aggregate_regular(regular, calendar)
            assert hourly == reference_aggregate_hourly(readings, calendar)
            assert hourly.incomplete_hours > 0
            assert len(hourly.series[kind.value]) > 100


# -- the writer keeps what it wrote; nothing read back -------------------------------


async def test_a_correction_right_after_a_write_needs_no_wait(
    recorder_mock: Recorder, hass: HomeAssistant
) -> None:
    """Writes one after the other, never waiting for the recorder: sums follow."""
    writer = get_writer(hass)
    await writer.async_write_sum(STAT, _hours([1.0] * 600))
    await writer.async_write_sum(STAT, _hours([2.0] * 10, T0 + 300 * HOUR))
    await writer.async_write_sum(STAT, _hours([5.0], T0 - 2 * HOUR))
    states = await writer.async_read_states(STAT.statistic_id, T0 - 2 * HOUR)
    assert len(states) == 601
    assert await writer.async_last_hour(STAT.statistic_id) == T0 + 599 * HOUR
    rows = await read_hours(hass, STAT.statistic_id)
    assert_continuous(rows)
    assert rows[T0 + 599 * HOUR] == (1.0, 615.0)


async def test_what_is_known_is_forgotten_when_idle(
    recorder_mock: Recorder, hass: HomeAssistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After idle minutes the database is read again, a user's correction too."""
    from homeassistant.components.recorder.models import StatisticData
    from homeassistant.components.recorder.statistics import (
        async_add_external_statistics,
    )

    writer = get_writer(hass)
    await writer.async_write_sum(STAT, _hours([1.0, 2.0, 3.0]))
    await async_wait_recording_done(hass)
    # The user fixes a spike in the developer tools: every sum moves by 10.
    async_add_external_statistics(
        hass,
        STAT.metadata(),
        [
            StatisticData(start=T0 + i * HOUR, state=state, sum=total)
            for i, (state, total) in enumerate([(1.0, 11.0), (2.0, 13.0), (3.0, 16.0)])
        ],
    )
    await async_wait_recording_done(hass)
    now = time_module.monotonic()
    monkeypatch.setattr(time_module, "monotonic", lambda: now + 601)
    assert await writer.async_read_states(STAT.statistic_id, T0) == {
        T0: 1.0,
        T0 + HOUR: 2.0,
        T0 + 2 * HOUR: 3.0,
    }
    assert await writer.async_write_sum(STAT, _hours([1.0, 2.0, 3.0, 4.0])) == 1
    rows = await read_hours(hass, STAT.statistic_id)
    assert rows[T0 + 3 * HOUR] == (4.0, 20.0)


async def test_a_write_cut_short_is_repaired_by_the_next_one(
    recorder_mock: Recorder, hass: HomeAssistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Cancelled between two slices (Home Assistant stopping): nothing is lost."""
    from custom_components.gridmeter import statistics

    writer = get_writer(hass)
    real_add = statistics.async_add_external_statistics
    calls = 0

    def add_then_stop(*args: Any) -> None:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise asyncio.CancelledError
        real_add(*args)

    monkeypatch.setattr(statistics, "async_add_external_statistics", add_then_stop)
    with pytest.raises(asyncio.CancelledError):
        await writer.async_write_sum(STAT, _hours([0.5] * 1200))
    monkeypatch.setattr(statistics, "async_add_external_statistics", real_add)
    assert len(await read_hours(hass, STAT.statistic_id)) == 500
    assert await writer.async_write_sum(STAT, _hours([0.5] * 1200)) == 700
    rows = await read_hours(hass, STAT.statistic_id)
    assert len(rows) == 1200
    assert_continuous(rows)


async def test_older_peaks_after_newer_ones(
    recorder_mock: Recorder, hass: HomeAssistant
) -> None:
    """Peaks of earlier months read what is stored before them, once."""
    peak_stat = PeakStatistic("gridmeter:test_meter_max_power", "Test max power")
    writer = get_writer(hass)
    assert await writer.async_write_peaks(peak_stat, {T0 + 48 * HOUR: 2.0}) == 1
    assert (
        await writer.async_write_peaks(peak_stat, {T0: 1.0, T0 + 48 * HOUR: 2.0}) == 1
    )
    assert await writer.async_write_peaks(peak_stat, {T0: 1.5}) == 1


# -- money takes the energy path ------------------------------------------------------


async def test_a_money_statistic_is_written_and_corrected_like_energy(
    recorder_mock: Recorder, hass: HomeAssistant
) -> None:
    """EUR rows with state and sum: continuous, corrected, re-import writes nothing."""
    point = MeterPoint(
        provider="datadis", meter_id="ES1", timezone="Europe/Madrid", address="Calle 1"
    )
    cost = money_statistic(point, "cost_p1")
    assert cost.statistic_id == "gridmeter:datadis_es1_cost_p1"
    assert cost.name == "Calle 1 consumption P1 cost"
    assert money_statistic(point, "compensation").name == (
        "Calle 1 grid return compensation"
    )
    writer = get_writer(hass)
    euros = [0.123456, 0.2, 0.05, 0.31]
    assert await writer.async_write_sum(cost, _hours(euros)) == 4
    assert await writer.async_write_sum(cost, _hours(euros)) == 0
    # A price revision moves the second hour: every later sum follows.
    assert await writer.async_write_sum(cost, {T0 + HOUR: 0.25}) == 3
    rows = await read_hours(hass, cost.statistic_id)
    assert [state for state, _ in rows.values()] == [0.123456, 0.25, 0.05, 0.31]
    assert list(rows.values())[-1][1] == 0.733456
    assert_continuous(rows)
    metadata = await get_instance(hass).async_add_executor_job(
        lambda: get_metadata(hass, statistic_ids={cost.statistic_id})
    )
    meta = metadata[cost.statistic_id][1]
    assert (meta["unit_of_measurement"], meta["unit_class"]) == ("EUR", None)
    assert (meta["has_sum"], meta["mean_type"]) == (True, 0)
    # A restart (a new writer) re-imports the same euros: nothing written.
    assert await StatisticsWriter(hass).async_write_sum(cost, {T0 + HOUR: 0.25}) == 0


# -- what an import reports, and what it logs ---------------------------------------


async def test_the_report_holds_every_hour_given_and_logs_no_meter_id(
    recorder_mock: Recorder, hass: HomeAssistant, caplog: pytest.LogCaptureFixture
) -> None:
    """A coordinator keeps its totals from the report; logs name no CUPS."""
    point = MeterPoint(
        provider="datadis", meter_id="ES0031607515707001RC", timezone="Europe/Madrid"
    )
    readings = [
        EnergyReading(start=T0 + i * HOUR, duration=HOUR, kind=kind, kwh=1.0 + i)
        for i in range(3)
        for kind in (EnergyKind.CONSUMPTION, EnergyKind.RETURN)
    ] + [
        EnergyReading(
            start=T0 + 5 * HOUR,
            duration=timedelta(minutes=30),
            kind=EnergyKind.CONSUMPTION,
            kwh=1.0,
        )
    ]
    caplog.set_level(logging.DEBUG, logger="custom_components.gridmeter.statistics")
    report = await async_import_energy(hass, point, readings, Spain20TD())
    assert report.hours["consumption"] == {T0 + i * HOUR: 1.0 + i for i in range(3)}
    assert set(report.kind_hours()) == {EnergyKind.CONSUMPTION, EnergyKind.RETURN}
    assert sum(len(hours) for key, hours in report.hours.items() if "_p" in key) == 6
    assert report.total == 12
    ours = "\n".join(
        record.getMessage()
        for record in caplog.records
        if record.name.startswith("custom_components.gridmeter")
    )
    assert "Wrote 3 hours of datadis#" in ours
    assert "1 incomplete hours of datadis#" in ours
    assert "es0031607515707001rc" not in ours.lower()
    assert statistic_alias(energy_statistic(point, "consumption").statistic_id) == (
        statistic_alias("gridmeter:datadis_es0031607515707001rc_consumption")
    )


async def test_rows_without_state_are_rewritten(
    recorder_mock: Recorder, hass: HomeAssistant
) -> None:
    """A stored hour missing its state (written by something else) is repaired."""
    from homeassistant.components.recorder.models import StatisticData
    from homeassistant.components.recorder.statistics import (
        async_add_external_statistics,
    )

    async_add_external_statistics(
        hass,
        STAT.metadata(),
        [
            StatisticData(start=T0, state=1.0, sum=1.0),
            StatisticData(start=T0 + HOUR, sum=3.0),
            StatisticData(start=T0 + 2 * HOUR, state=3.0, sum=6.0),
        ],
    )
    await async_wait_recording_done(hass)
    # Even a write with nothing new (a tariff period without energy) repairs it.
    period_hours = frozenset({T0 + HOUR})
    assert (
        await get_writer(hass).async_write_sum(STAT, {}, zero_elsewhere=period_hours)
        == 2
    )
    rows = await read_hours(hass, STAT.statistic_id)
    assert list(rows.values()) == [(1.0, 1.0), (0.0, 1.0), (3.0, 4.0)]


async def test_reads_join_the_database_and_what_was_written(
    recorder_mock: Recorder, hass: HomeAssistant
) -> None:
    """Hours stored before this run are read; hours written since are known."""
    from homeassistant.components.recorder.models import StatisticData
    from homeassistant.components.recorder.statistics import (
        async_add_external_statistics,
    )

    writer = get_writer(hass)
    unknown = "gridmeter:test_meter_return"
    assert await writer.async_read_states(unknown, T0) == {}
    assert await writer.async_last_hour(unknown) is None
    async_add_external_statistics(
        hass,
        STAT.metadata(),
        [StatisticData(start=T0 + i * HOUR, state=1.0, sum=1.0 + i) for i in range(3)],
    )
    await async_wait_recording_done(hass)
    assert await writer.async_last_hour(STAT.statistic_id) == T0 + 2 * HOUR
    await writer.async_write_sum(STAT, _hours([2.0, 2.0], T0 + 3 * HOUR))
    assert await writer.async_last_hour(STAT.statistic_id) == T0 + 4 * HOUR
    # Before what the writer read at its first write: the database; then memory.
    assert await writer.async_read_states(STAT.statistic_id, T0) == {
        **_hours([1.0, 1.0, 1.0]),
        **_hours([2.0, 2.0], T0 + 3 * HOUR),
    }
    assert await writer.async_read_states(STAT.statistic_id, T0 + 4 * HOUR) == {
        T0 + 4 * HOUR: 2.0
    }


async def test_a_regular_curve_and_peaks_through_the_import_helpers(
    recorder_mock: Recorder, hass: HomeAssistant
) -> None:
    """`async_import_energy` takes RegularReadings; peaks keep an hour's highest."""
    from custom_components.gridmeter.providers.models import PowerPeak
    from custom_components.gridmeter.statistics import async_import_peaks

    point = MeterPoint(provider="switchgrid", meter_id="P1", timezone="Europe/Paris")
    curve = RegularReadings(
        EnergyKind.CONSUMPTION, T0, timedelta(minutes=30), [0.25, 0.5, 0.5, None]
    )
    report = await async_import_energy(hass, point, curve, FranceBase())
    assert report.hours == {"consumption": {T0: 0.75}, "consumption_base": {T0: 0.75}}
    peaks = [
        PowerPeak(at=T0 + timedelta(minutes=5), kw=2.0),
        PowerPeak(at=T0 + timedelta(minutes=5), kw=2.5),
        PowerPeak(at=T0 + timedelta(minutes=50), kw=1.0),
    ]
    assert await async_import_peaks(hass, point, peaks) == 1
