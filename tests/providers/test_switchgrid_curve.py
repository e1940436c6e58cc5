"""Switchgrid load curves: the JSON and CSV answers and their energy readings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import math
from typing import Any

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.gridmeter.providers.errors import InvalidResponse
from custom_components.gridmeter.providers.models import EnergyKind
from custom_components.gridmeter.providers.switchgrid import (
    LoadCurve,
    load_curve_readings,
)
from custom_components.gridmeter.providers.switchgrid.curve import (
    EARLIEST,
    LATEST,
    MAX_SPAN,
    MAX_WATTS,
    load_curve_energy,
    parse_iso_duration,
    parse_load_curve,
    parse_load_curve_csv,
    usable_step,
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


# -- bounds: nothing an answer says makes a loop or an allocation unbounded -------


@pytest.mark.parametrize(
    "text", ["P99999999999D", "PT1e999S", "P" + "9" * 60 + "D", "PT١٠M", "PT10M" * 9]
)
def test_iso_duration_out_of_range_is_a_value_error(text: str) -> None:
    with pytest.raises(ValueError):
        parse_iso_duration(text)


def test_iso_duration_up_to_ten_years() -> None:
    assert parse_iso_duration("P3660D") == timedelta(days=3660)
    for text in ("P3661D", "P99999999999D"):
        with pytest.raises(ValueError, match="ten years"):
            parse_iso_duration(text)


@given(
    st.one_of(
        st.from_regex(
            r"P([0-9]{1,14}W)?([0-9]{1,14}D)?(T([0-9]{1,14}H)?([0-9]{1,14}M)?"
            r"([0-9]{1,14}(\.[0-9]{1,3})?S)?)?",
            fullmatch=True,
        ),
        st.from_regex(r"[0-9]{1,9}(s|sec|min|m|h|d)", fullmatch=True),
        st.text(max_size=20),
    )
)
def test_any_duration_text_is_a_duration_or_a_value_error(text: str) -> None:
    """At most ten years, or ValueError (never OverflowError)."""
    try:
        duration = parse_iso_duration(text)
    except ValueError:
        return
    assert timedelta(0) <= duration <= timedelta(days=3660)


@pytest.mark.parametrize(
    "change",
    [
        {"startsAt": "9999-12-31T23:00:00-05:00"},
        {"startsAt": "0001-01-01T00:00:00+05:00"},
        {"startsAt": "1999-12-31T22:00:00Z"},
        {"startsAt": "2100-01-01T00:00:00Z"},
        {"startsAt": 1734303600},
        {"period": "P99999999999D"},
        {"period": "P2D"},
        {"period": 600},
        {"values": [1.0] * (MAX_SPAN // timedelta(hours=1) + 1), "period": "PT1H"},
    ],
)
def test_load_curve_out_of_range_is_invalid(change: dict[str, Any]) -> None:
    body = {"period": "PT10M", "startsAt": "2024-12-15T23:00:00Z", "values": [1.0]}
    with pytest.raises(InvalidResponse):
        parse_load_curve(body | change)


def test_load_curve_implausible_values_are_gaps() -> None:
    curve = parse_load_curve(
        {
            "period": "PT10M",
            "startsAt": "2024-12-15T23:00:00Z",
            "endsAt": "9999-01-01T00:00:00Z",
            "values": [
                1e300,
                MAX_WATTS,
                "NaN",
                "-0.5",
                [1],
                {"v": 1},
                True,
                "",
                "1,5",
                12,
            ],
        }
    )
    assert curve.values == (
        None,
        MAX_WATTS,
        None,
        None,
        None,
        None,
        None,
        None,
        1.5,
        12.0,
    )
    # An implausible endsAt is replaced by the end the values give.
    assert curve.ends_at == datetime(2024, 12, 16, 0, 40, tzinfo=UTC)
    energy = load_curve_energy(curve)
    assert energy.skipped == 7
    assert all(kwh is None or (math.isfinite(kwh) and kwh >= 0) for kwh in energy.kwh)


def test_energy_of_a_step_that_does_not_divide_an_hour_is_skipped() -> None:
    """Seven-minute or daily steps cannot be placed in hours: all skipped."""
    for period in (timedelta(minutes=7), timedelta(days=1), timedelta(seconds=30)):
        curve = LoadCurve(
            period=period,
            starts_at=datetime(2024, 12, 15, 23, tzinfo=UTC),
            ends_at=datetime(2024, 12, 15, 23, tzinfo=UTC) + 3 * period,
            values=(1.0, 2.0, None),
        )
        energy = load_curve_energy(curve)
        assert energy.kwh == (None, None, None)
        assert energy.skipped == 3
        batch = load_curve_readings(curve, EnergyKind.CONSUMPTION, meter_id=PRM)
        assert batch.readings == ()
        assert batch.skipped == 3
        assert not usable_step(period)
    assert usable_step(timedelta(minutes=5))


def test_energy_outside_the_plausible_years_is_skipped() -> None:
    """A curve built across 2000 or 2100 keeps only the steps inside."""
    for start, kept in (
        (EARLIEST - timedelta(minutes=20), [None, None, 0.1, 0.1]),
        (LATEST - timedelta(minutes=20), [0.1, 0.1, None, None]),
        (EARLIEST - timedelta(days=30), [None] * 4),
    ):
        curve = LoadCurve(
            period=timedelta(minutes=10),
            starts_at=start,
            ends_at=start + timedelta(minutes=40),
            values=(600.0,) * 4,
        )
        energy = load_curve_energy(curve)
        assert [None if k is None else round(k, 9) for k in energy.kwh] == kept
        assert energy.skipped == kept.count(None)


@pytest.mark.parametrize(
    "text",
    [
        # Rows spanning more than any answer (MemoryError before).
        "startDate,powerInWatts\n2024-01-01T00:00:00Z,1\n2031-01-01T00:00:00Z,1\n",
        "startDate,powerInWatts\n2024-01-01T00:00:00Z,1\n2024-01-01T00:00:00.000001Z,1\n",
        "startDate,powerInWatts\n2024-01-01T00:00:00Z,1\n2024-01-01T00:07:00Z,1\n",
        "startDate,powerInWatts\n9999-12-31T23:00:00-05:00,1\n",
        "startDate,powerInWatts\n1990-01-01T00:00:00Z,1\n1990-01-01T00:10:00Z,1\n",
    ],
)
def test_load_curve_csv_out_of_range_is_invalid(text: str) -> None:
    with pytest.raises(InvalidResponse):
        parse_load_curve_csv(text)


def test_load_curve_csv_implausible_power_is_a_gap() -> None:
    curve = parse_load_curve_csv(
        "startDate,powerInWatts\n"
        "2024-12-15T23:00:00Z,-3\n"
        "2024-12-15T23:10:00Z,1e300\n"
        "2024-12-15T23:20:00Z,7\n"
    )
    assert curve is not None
    assert curve.values == (None, None, 7.0)


# -- property-based: answers from the real shape, mutated ----------------------------

_NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(min_value=0, max_value=20_000),
)
_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    _NUMBERS,
    st.text(max_size=12),
    st.sampled_from(["", "NaN", "Infinity", "-1", "1,5", "١٢", "1e999", " 42 "]),
)
_ANY = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)
_INSTANTS = st.one_of(
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)).map(
        lambda d: d.isoformat() + st_suffix(d)
    ),
    st.sampled_from(
        [
            "2024-12-15T23:00:00Z",
            "2024-12-15T23:00:00.000Z",
            "2024-12-15 23:00:00",
            "9999-12-31T23:00:00-05:00",
            "0001-01-01T00:00:00+05:00",
            "2024-13-01T00:00:00Z",
            "yesterday",
        ]
    ),
    _SCALARS,
)
_PERIODS = st.one_of(
    st.sampled_from(
        ["PT600S", "PT10M", "PT30M", "PT1H", "P1D", "PT7M", "PT0S", "P99999999999D"]
    ),
    st.from_regex(r"P(T[0-9]{1,12}[HMS])?", fullmatch=True),
    _SCALARS,
)


def st_suffix(instant: datetime) -> str:
    """A UTC `Z` on even microseconds, an offset on odd ones (both occur)."""
    return "Z" if instant.microsecond % 2 == 0 else "+05:00"


@st.composite
def curve_bodies(draw: st.DrawFn) -> Any:
    """A load curve answer: the real shape, then some keys mutated or dropped."""
    body: dict[str, Any] = {
        "period": draw(_PERIODS),
        "startsAt": draw(_INSTANTS),
        "endsAt": draw(_INSTANTS),
        "values": draw(st.lists(st.one_of(_NUMBERS, _SCALARS), max_size=60)),
    }
    for key in draw(st.sets(st.sampled_from(sorted(body)), max_size=2)):
        if draw(st.booleans()):
            del body[key]
        else:
            body[key] = draw(_ANY)
    if draw(st.booleans()):
        return {"loadCurve": body}
    return draw(st.one_of(st.just(body), _ANY)) if draw(st.booleans()) else body


def _assert_plausible(curve: LoadCurve) -> None:
    assert timedelta(0) < curve.period <= timedelta(days=1)
    assert EARLIEST <= curve.starts_at < LATEST
    assert curve.starts_at <= curve.ends_at
    assert len(curve.values) * curve.period <= MAX_SPAN
    for watts in curve.values:
        assert watts is None or 0.0 <= watts <= MAX_WATTS
    energy = load_curve_energy(curve)
    assert len(energy.kwh) == len(curve.values)
    assert energy.skipped == energy.kwh.count(None)
    for kwh in energy.kwh:
        assert kwh is None or (math.isfinite(kwh) and kwh >= 0)


@settings(deadline=None)
@given(curve_bodies())
def test_any_curve_answer_is_a_plausible_curve_or_invalid(body: Any) -> None:
    """Only InvalidResponse escapes; every value kept is finite and in range."""
    try:
        curve = parse_load_curve(body)
    except InvalidResponse:
        return
    _assert_plausible(curve)


_CSV_CELLS = st.one_of(
    _INSTANTS.map(str),
    st.sampled_from(["", " ", "12", "-4", "1e400", "nan", "1,5", "x"]),
    st.text(max_size=8),
)


@st.composite
def curve_csvs(draw: st.DrawFn) -> str:
    """A CSV answer: a real grid of rows, then rows mutated, shuffled, cut."""
    start = draw(
        st.datetimes(min_value=datetime(2000, 1, 2), max_value=datetime(2099, 12, 1))
    ).replace(second=0, microsecond=0)
    step = timedelta(minutes=draw(st.sampled_from([5, 10, 15, 30, 60, 7])))
    rows = [
        [(start + i * step).isoformat() + "Z", str(draw(_NUMBERS))]
        for i in range(draw(st.integers(0, 30)))
    ]
    for _ in range(draw(st.integers(0, 3))):
        if rows:
            row = rows[draw(st.integers(0, len(rows) - 1))]
            row[draw(st.integers(0, 1))] = draw(_CSV_CELLS)
    rows = draw(st.permutations(rows)) if draw(st.booleans()) else rows
    if rows and draw(st.booleans()):
        rows.append(rows[0])  # a duplicate
    header = draw(st.sampled_from(["startDate,powerInWatts", "date,value", ""]))
    text = "\n".join([header, *(",".join(row) for row in rows)])
    return text[: draw(st.integers(0, len(text)))] if draw(st.booleans()) else text


@settings(deadline=None)
@given(curve_csvs(), st.sampled_from([None, timedelta(minutes=10), timedelta(hours=1)]))
def test_any_curve_csv_is_a_plausible_curve_or_invalid(
    text: str, period: timedelta | None
) -> None:
    """Only InvalidResponse escapes the CSV reader; what it keeps is plausible."""
    try:
        curve = parse_load_curve_csv(text, period=period)
    except InvalidResponse:
        return
    if curve is not None:
        _assert_plausible(curve)
        assert usable_step(curve.period)
