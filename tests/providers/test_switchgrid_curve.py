"""Switchgrid load curves: the JSON and CSV answers and their energy readings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import math
from typing import Any

import pytest

from custom_components.gridmeter.providers.errors import InvalidResponse
from custom_components.gridmeter.providers.models import EnergyKind
from custom_components.gridmeter.providers.switchgrid import (
    LoadCurve,
    load_curve_readings,
)
from custom_components.gridmeter.providers.switchgrid.curve import (
    parse_iso_duration,
    parse_load_curve,
    parse_load_curve_csv,
)

PRM = "00059461297239"


# -- durations ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PT600S", timedelta(minutes=10)),
        ("PT10M", timedelta(minutes=10)),
        ("PT30M", timedelta(minutes=30)),
        ("PT1800S", timedelta(minutes=30)),
        ("PT1H", timedelta(hours=1)),
        ("P1D", timedelta(days=1)),
        ("PT1H30M", timedelta(minutes=90)),
        ("pt15m", timedelta(minutes=15)),
        ("P1W", timedelta(weeks=1)),
        ("PT0.5H", timedelta(minutes=30)),
        ("P1DT2H", timedelta(hours=26)),
        ("10min", timedelta(minutes=10)),
        ("1h", timedelta(hours=1)),
        ("1d", timedelta(days=1)),
    ],
)
def test_iso_durations(text: str, expected: timedelta) -> None:
    assert parse_iso_duration(text) == expected


@pytest.mark.parametrize(
    "text", ["", "P", "PT", "P1DT", "1800", "PT30X", "P1Y", "P1M", "garbage"]
)
def test_iso_duration_garbage(text: str) -> None:
    with pytest.raises(ValueError):
        parse_iso_duration(text)


def test_iso_duration_not_a_string() -> None:
    with pytest.raises(TypeError):
        parse_iso_duration(1800)  # type: ignore[arg-type]


# -- load curves --------------------------------------------------------------------


def test_dst_autumn_day_has_50_half_hours() -> None:
    """26 Oct 2025: Paris midnight to midnight is 25 h, i.e. 50 values of 30 min."""
    start = datetime(2025, 10, 25, 22, tzinfo=UTC)
    values = [1000.0 + i for i in range(50)]
    curve = parse_load_curve(
        {
            "period": "PT1800S",
            "startsAt": "2025-10-25T22:00:00.000Z",
            "endsAt": "2025-10-26T23:00:00.000Z",
            "values": values,
        }
    )
    assert curve.period == timedelta(minutes=30)
    assert curve.ends_at == start + timedelta(hours=25)
    batch = load_curve_readings(curve, EnergyKind.CONSUMPTION, meter_id=PRM)
    assert len(batch.readings) == 50
    assert [r.start for r in batch.readings] == [
        start + timedelta(minutes=30 * i) for i in range(50)
    ]
    assert batch.readings[0].kwh == pytest.approx(0.5)
    assert batch.readings[0].duration == timedelta(minutes=30)
    assert sum(r.kwh for r in batch.readings) == pytest.approx(sum(values) / 2000)
    assert batch.kinds == {EnergyKind.CONSUMPTION}
    assert batch.skipped == 0
    assert batch.meter_id == PRM


def test_load_curve_gaps_and_bad_values_are_skipped() -> None:
    curve = parse_load_curve(
        {
            "loadCurve": {
                "period": "PT10M",
                "startsAt": "2024-12-15T23:00:00Z",
                "values": [321, None, "294", -5, "x", 600],
            }
        }
    )
    # A negative power is no power: a gap, counted when it becomes energy.
    assert curve.values == (321.0, None, 294.0, None, None, 600.0)
    # No endsAt: derived from the values.
    assert curve.ends_at == datetime(2024, 12, 16, 0, tzinfo=UTC)
    nan_curve = LoadCurve(
        period=curve.period,
        starts_at=curve.starts_at,
        ends_at=curve.ends_at,
        values=(*curve.values, math.nan, math.inf),
    )
    batch = load_curve_readings(nan_curve, EnergyKind.RETURN, meter_id=PRM)
    assert [round(r.kwh * 1000, 3) for r in batch.readings] == [53.5, 49.0, 100.0]
    assert batch.readings[2].start == datetime(2024, 12, 15, 23, 50, tzinfo=UTC)
    assert batch.skipped == 5
    empty = load_curve_readings(
        LoadCurve(
            period=curve.period,
            starts_at=curve.starts_at,
            ends_at=curve.ends_at,
            values=(None,),
        ),
        EnergyKind.CONSUMPTION,
        meter_id=PRM,
    )
    assert empty.kinds == frozenset()
    assert empty.skipped == 1


@pytest.mark.parametrize(
    "body",
    [
        [],
        {"period": "PT10M", "startsAt": "2024-12-15T23:00:00Z"},
        {"period": "soon", "startsAt": "2024-12-15T23:00:00Z", "values": []},
        {"period": "PT0S", "startsAt": "2024-12-15T23:00:00Z", "values": []},
        {"period": "PT10M", "startsAt": None, "values": []},
    ],
)
def test_load_curve_malformed(body: Any) -> None:
    with pytest.raises(InvalidResponse):
        parse_load_curve(body)


def test_load_curve_csv() -> None:
    """Rows on a regular UTC grid; empty values and missing rows are gaps."""
    curve = parse_load_curve_csv(
        "startDate,powerInWatts\n"
        "2024-12-15T23:00:00.000Z,321\n"
        "2024-12-15T23:10:00.000Z,\n"
        "2024-12-15T23:30:00.000Z,294.5\n"
    )
    assert curve is not None
    assert curve.period == timedelta(minutes=10)
    assert curve.starts_at == datetime(2024, 12, 15, 23, tzinfo=UTC)
    assert curve.values == (321.0, None, None, 294.5)
    assert curve.ends_at == datetime(2024, 12, 15, 23, 40, tzinfo=UTC)
    one = parse_load_curve_csv(
        "startDate,powerInWatts\r\n2024-12-15T23:00:00Z,5\r\n",
        period=timedelta(hours=1),
    )
    assert one is not None and one.values == (5.0,)
    assert parse_load_curve_csv("startDate,powerInWatts\n") is None
    for bad in (
        "",
        "date,value\n2024-12-15T23:00:00Z,1\n",
        "startDate,powerInWatts\nyesterday,1\n",
        "startDate,powerInWatts\n2024-12-15T23:00:00Z,lots\n",
        "startDate,powerInWatts\n2024-12-15T23:00:00Z\n",
        "startDate,powerInWatts\n2024-12-15T23:00:00Z,1\n",
        "startDate,powerInWatts\n"
        "2024-12-15T23:00:00Z,1\n2024-12-15T23:10:00Z,1\n2024-12-15T23:25:00Z,1\n",
    ):
        with pytest.raises(InvalidResponse):
            parse_load_curve_csv(bad)
