"""RTE portal answers into tokens, forecasts and EcoWatt hours: examples and properties."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
import math
from typing import Any

from hypothesis import given, strategies as st
import pytest

from custom_components.gridmeter.providers.errors import InvalidResponse
from custom_components.gridmeter.providers.http import Answer
from custom_components.gridmeter.providers.rte import (
    EcowattHour,
    forecast_mix,
    parse_consumption,
    parse_ecowatt,
    parse_generation,
    parse_token,
)
from custom_components.gridmeter.providers.rte.answers import (
    error_detail,
    raise_for_status,
)
from custom_components.gridmeter.providers.rte.values import (
    parse_day,
    parse_instant,
    power,
)
from custom_components.gridmeter.providers.signals import SignalBasis

from ..rte_sim import JSON_VALUES, SCALARS, mutated

START = datetime(2026, 1, 21, 23, 0, tzinfo=UTC)  # Paris midnight, 22 January
END = START + timedelta(days=1)


def value(start: str, end: str, mw: Any) -> dict[str, Any]:
    return {
        "start_date": start,
        "end_date": end,
        "updated_date": "2026-01-21T18:00:00+01:00",
        "value": mw,
    }


def series(
    kind: str, values: list[dict[str, Any]], forecast_type: str = "D-1"
) -> dict[str, Any]:
    return {
        "production_type": kind,
        "type": forecast_type,
        "start_date": "2026-01-22T00:00:00+01:00",
        "end_date": "2026-01-23T00:00:00+01:00",
        "values": values,
    }


HALF_HOURS = [
    ("2026-01-22T00:00:00+01:00", "2026-01-22T00:30:00+01:00"),
    ("2026-01-22T00:30:00+01:00", "2026-01-22T01:00:00+01:00"),
]


def test_token() -> None:
    """The documented token answer; lifetimes read, bounded or defaulted."""
    assert (
        parse_token(
            {"access_token": "abc", "token_type": "Bearer", "expires_in": 7200}
        ).expires_in
        == 7200
    )
    assert parse_token({"access_token": "abc", "expires_in": "junk"}).expires_in == 3600
    assert parse_token({"access_token": "abc", "expires_in": 10**9}).expires_in == 3600
    for body in (
        {},
        {"access_token": ""},
        {"access_token": "é"},
        [],
        {"access_token": "x" * 5000},
    ):
        with pytest.raises(InvalidResponse):
            parse_token(body)


def test_generation_and_consumption_into_hourly_rows() -> None:
    """Half hours average to hours; renewable is solar + wind, total consumption."""
    generation = {
        "forecasts": [
            series(
                "SOLAR",
                [
                    value(a, b, mw)
                    for (a, b), mw in zip(HALF_HOURS, (0, 10), strict=True)
                ],
            ),
            series(
                "WIND_ONSHORE",
                [
                    value(a, b, mw)
                    for (a, b), mw in zip(HALF_HOURS, (8000, 8200), strict=True)
                ],
            ),
            series("WIND_OFFSHORE", [value(*HALF_HOURS[0], 900)]),  # half an hour only
            series("SOLAR", [value(*HALF_HOURS[0], 99)], "D-2"),  # another type
            series("AGGREGATED_FRANCE", [value(*HALF_HOURS[0], 1)]),
        ]
    }
    consumption = {
        "short_term": [
            {
                "type": "D-1",
                "values": [
                    value(a, b, mw)
                    for (a, b), mw in zip(HALF_HOURS, (60000, 62000), strict=True)
                ],
            }
        ]
    }
    by_type, bad = parse_generation(generation, START, END)
    hourly, bad_consumption = parse_consumption(consumption, START, END)
    assert (bad, bad_consumption) == (0, 0)
    assert by_type == {"SOLAR": {START: 5.0}, "WIND_ONSHORE": {START: 8100.0}}
    batch = forecast_mix(by_type, hourly)
    (row,) = batch.rows
    assert row.start == START
    assert row.basis is SignalBasis.FORECAST
    assert row.renewable_mw == 8105.0  # offshore incomplete: not added
    assert row.total_mw == 61000.0


def test_wind_and_solar_above_consumption_are_capped() -> None:
    """A surplus (exported) hour is 100 % renewable, never more."""
    batch = forecast_mix(
        {"SOLAR": {START: 30000.0}, "WIND_ONSHORE": {START: 20000.0}}, {START: 40000.0}
    )
    assert batch.rows[0].renewable_mw == batch.rows[0].total_mw == 40000.0


def test_hours_without_every_part_or_consumption_are_left_out() -> None:
    """No solar, no onshore wind or no consumption: no row for that hour."""
    later = START + timedelta(hours=1)
    batch = forecast_mix(
        {"SOLAR": {START: 1.0, later: 1.0}, "WIND_ONSHORE": {START: 1.0}},
        {START: 0.0, later: 50000.0},
        skipped=3,
    )
    assert batch.rows == ()
    assert batch.skipped == 3


def test_values_that_are_not_a_list() -> None:
    """A series whose values are not a list counts as one skipped entry."""
    body = {"forecasts": [{**series("SOLAR", []), "values": "none"}]}
    assert parse_generation(body, START, END) == ({}, 1)


@pytest.mark.parametrize(
    "bad",
    [
        value(
            "2026-01-22T00:00:00+01:00", "2026-01-22T00:20:00+01:00", 1
        ),  # 20 minutes
        value("2026-01-22T00:10:00+01:00", "2026-01-22T00:25:00+01:00", 1),  # unaligned
        value(
            "2026-01-22T00:30:00+01:00", "2026-01-22T01:30:00+01:00", 1
        ),  # crosses an hour
        value(
            "2026-01-21T00:00:00+01:00", "2026-01-21T00:30:00+01:00", 1
        ),  # out of range
        value("2026-01-22T00:00:00", "2026-01-22T00:30:00", 1),  # naive
        value(*HALF_HOURS[0], -5),
        value(*HALF_HOURS[0], "ND"),
        value(*HALF_HOURS[0], float("inf")),
        "not an object",
    ],
)
def test_bad_values_are_skipped(bad: Any) -> None:
    """Each unreadable value is skipped and counted."""
    by_type, skipped = parse_generation(
        {"forecasts": [series("SOLAR", [bad])]}, START, END
    )
    assert by_type == {}
    assert skipped == 1


def test_duplicate_values_are_skipped() -> None:
    """A second value for the same interval is not added twice."""
    values = [
        value(*HALF_HOURS[0], 10),
        value(*HALF_HOURS[0], 10),
        value(*HALF_HOURS[1], 10),
    ]
    by_type, skipped = parse_generation(
        {"forecasts": [series("SOLAR", values)]}, START, END
    )
    assert by_type == {"SOLAR": {START: 10.0}}
    assert skipped == 1


@pytest.mark.parametrize("body", [None, {}, {"forecasts": "x"}, [], {"short_term": []}])
def test_generation_without_forecasts_is_invalid(body: Any) -> None:
    """No ``forecasts`` list at all cannot be read."""
    with pytest.raises(InvalidResponse):
        parse_generation(body, START, END)


def test_ecowatt_example() -> None:
    """The v5 shape; a date or a local midnight for ``jour``; bad hours skipped."""
    body = {
        "signals": [
            {
                "GenerationFichier": "2026-01-21T17:00:00+01:00",
                "jour": "2026-01-22T00:00:00+01:00",
                "dvalue": 2,
                "message": "Système électrique tendu.",
                "values": [
                    {"pas": 8, "hvalue": 2},
                    {"pas": 7, "hvalue": 1},
                    {"pas": 8, "hvalue": 3},
                    {"pas": 24, "hvalue": 1},
                    {"pas": 9, "hvalue": 4},
                    {"pas": True, "hvalue": 1},
                ],
            },
            {
                "GenerationFichier": "junk",
                "jour": "2026-01-23",
                "values": [{"pas": 0, "hvalue": 0}],
            },
            {"jour": "2026-01-23", "values": []},  # the same day again
            {"jour": "someday", "values": []},
        ]
    }
    forecast = parse_ecowatt(body)
    assert forecast.generated == datetime(2026, 1, 21, 16, 0, tzinfo=UTC)
    assert [(h.start, h.level) for h in forecast.hours] == [
        (datetime(2026, 1, 22, 6, 0, tzinfo=UTC), 1),
        (datetime(2026, 1, 22, 7, 0, tzinfo=UTC), 2),
        (datetime(2026, 1, 22, 23, 0, tzinfo=UTC), 0),
    ]
    assert forecast.skipped == 6
    assert [p.reason for p in forecast.stress()] == ["ecowatt_2"]


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ('{"error": "invalid_client", "error_description": "bad"}', "bad"),
        ('{"error_code": "ODSQLError", "message": "no"}', "no"),
        ('["a list"]', '["a list"]'),
        ("plain text", "plain text"),
        ("[" * 100_000, "[" * 199 + "…"),
    ],
)
def test_error_details(text: str, detail: str) -> None:
    """The message of any error body, or its text, redacted and shortened."""
    assert error_detail(text) == detail


def test_an_unexpected_status_is_an_invalid_response() -> None:
    """A status no rule covers (a redirect not followed) is InvalidResponse."""
    with pytest.raises(InvalidResponse, match="302"):
        raise_for_status("RTE", "x", Answer(302, "", None), START)


def test_ecowatt_hour_checks() -> None:
    """An hour is UTC, non-empty, level 0-3."""
    start = datetime(2026, 1, 22, 6, 0, tzinfo=UTC)
    with pytest.raises(ValueError, match="level"):
        EcowattHour(start=start, end=start + timedelta(hours=1), level=4)
    with pytest.raises(ValueError, match="after"):
        EcowattHour(start=start, end=start, level=1)


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("2026-01-22T00:00:00+01:00", datetime(2026, 1, 21, 23, 0, tzinfo=UTC)),
        ("2026-01-22T00:00:00Z", datetime(2026, 1, 22, tzinfo=UTC)),
        ("2026-01-22T00:00:00", None),
        ("２０２６-01-22T00:00:00Z", None),
        ("1900-01-01T00:00:00Z", None),
        ("2026-01-22T23:59:60+01:00", None),
        (20260122, None),
        ("", None),
    ],
)
def test_instants(text: Any, parsed: datetime | None) -> None:
    """Only aware ASCII ISO instants of this century are read."""
    assert parse_instant(text) == parsed


def test_days_and_powers() -> None:
    """Days keep their local date; powers are finite, non-negative, bounded."""
    assert parse_day("2026-10-25T00:00:00+02:00") == date(2026, 10, 25)
    assert parse_day("2026-10-25") == date(2026, 10, 25)
    assert parse_day("2026-10-25T00:00:00") is None
    assert parse_day("3000-01-01") is None
    assert [
        power(v)
        for v in (12, "12.5", " 7 ", True, "ND", "", -1, 10**400, "1e400", "١٢")
    ] == [
        12.0,
        12.5,
        7.0,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
    ]


# -- properties -------------------------------------------------------------------------

OFFSETS = st.integers(0, 95)
INSTANT_TEXT = OFFSETS.map(
    lambda n: (START + n * timedelta(minutes=15)).astimezone(UTC).isoformat()
)
VALUES = st.fixed_dictionaries(
    {
        "start_date": INSTANT_TEXT,
        "end_date": INSTANT_TEXT,
        "updated_date": INSTANT_TEXT,
        "value": st.integers(0, 90_000) | st.floats(0, 90_000),
    }
)
SERIES = st.fixed_dictionaries(
    {
        "production_type": st.sampled_from(
            ["SOLAR", "WIND_ONSHORE", "WIND_OFFSHORE", "AGGREGATED_FRANCE"]
        ),
        "type": st.sampled_from(["D-1", "D-2", "ID"]),
        "values": st.lists(mutated(VALUES), max_size=8),
    }
)


@given(
    st.fixed_dictionaries({"forecasts": st.lists(mutated(SERIES), max_size=4)})
    | JSON_VALUES
)
def test_any_generation_answer(body: Any) -> None:
    """Only InvalidResponse escapes; hourly means are finite, in range."""
    try:
        by_type, skipped = parse_generation(body, START, END)
    except InvalidResponse:
        return
    assert skipped >= 0
    for hours in by_type.values():
        for hour, mean in hours.items():
            assert START <= hour < END and hour.minute == 0
            assert math.isfinite(mean) and 0 <= mean <= 200_000


@given(
    st.fixed_dictionaries({"short_term": st.lists(mutated(SERIES), max_size=3)})
    | JSON_VALUES,
    st.dictionaries(OFFSETS, st.floats(0, 90_000), max_size=8),
)
def test_any_consumption_answer_makes_valid_rows(
    body: Any, solar: dict[int, float]
) -> None:
    """Combined rows are hourly, finite, renewable never above the total."""
    try:
        consumption, _ = parse_consumption(body, START, END)
    except InvalidResponse:
        return
    hours = {START + timedelta(hours=n % 24): mw for n, mw in solar.items()}
    batch = forecast_mix({"SOLAR": hours, "WIND_ONSHORE": hours}, consumption)
    for row in batch.rows:
        assert 0 <= row.renewable_mw <= row.total_mw
        assert math.isfinite(row.total_mw)


@given(
    st.fixed_dictionaries(
        {"access_token": st.text(max_size=30) | JSON_VALUES, "expires_in": JSON_VALUES}
    )
    | JSON_VALUES
)
def test_any_token_answer(body: Any) -> None:
    """A usable token with a finite, bounded lifetime, or InvalidResponse."""
    try:
        token = parse_token(body)
    except InvalidResponse:
        return
    assert token.access_token and token.access_token.isascii()
    assert 0 < token.expires_in <= 86_400


@given(
    JSON_VALUES
    | st.datetimes().map(datetime.isoformat)
    | st.dates().map(date.isoformat)
)
def test_value_readers_never_raise(value: Any) -> None:
    """Instants are aware UTC in 2000-2100, days too, powers finite and bounded."""
    instant = parse_instant(value)
    assert instant is None or (
        instant.utcoffset() == timedelta(0) and 2000 <= instant.year <= 2100
    )
    day = parse_day(value)
    assert day is None or 2000 <= day.year <= 2100
    mw = power(value)
    assert mw is None or (math.isfinite(mw) and 0 <= mw <= 200_000)


HOUR_VALUES = st.fixed_dictionaries(
    {"pas": st.integers(-2, 26), "hvalue": st.integers(-1, 4)}
)
SIGNALS = st.fixed_dictionaries(
    {
        "GenerationFichier": INSTANT_TEXT,
        "jour": st.dates(date(2026, 3, 27), date(2026, 3, 31)).map(date.isoformat)
        | st.dates(date(2026, 10, 23), date(2026, 10, 27)).map(
            lambda d: f"{d.isoformat()}T00:00:00+02:00"
        ),
        "dvalue": st.integers(0, 4),
        "values": st.lists(
            HOUR_VALUES
            | HOUR_VALUES.map(lambda item: {**item, "pas": str(item["pas"])})
            | HOUR_VALUES.map(lambda item: {"pas": item["pas"]})
            | SCALARS,
            max_size=26,
        ),
    }
)


@given(
    st.fixed_dictionaries({"signals": st.lists(mutated(SIGNALS), max_size=5)})
    | JSON_VALUES
)
def test_any_ecowatt_answer(body: Any) -> None:
    """Only InvalidResponse escapes; hours are sorted, non-overlapping, 0-3."""
    try:
        forecast = parse_ecowatt(body)
    except InvalidResponse:
        return
    for before, after in pairwise(forecast.hours):
        assert before.start <= after.start
    for hour in forecast.hours:
        assert hour.level in (0, 1, 2, 3)
        assert timedelta(0) < hour.end - hour.start <= timedelta(hours=2)
    for period in forecast.stress():
        assert period.end > period.start
