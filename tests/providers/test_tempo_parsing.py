"""services-rte.com Tempo season answers into colours: examples and properties."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from hypothesis import given, strategies as st
import pytest

from custom_components.gridmeter.providers.errors import InvalidResponse
from custom_components.gridmeter.providers.signals import TempoColour, TempoDay
from custom_components.gridmeter.providers.tempo import TempoCalendar, season_bounds
from custom_components.gridmeter.providers.tempo.parsing import (
    MAX_ENTRIES,
    parse_season,
)

from ..rte_sim import JSON_VALUES

SEASON = "2025-2026"
FIRST, LAST = season_bounds(SEASON)


def test_a_real_shaped_answer() -> None:
    """Day keys give colours; fallback keys and other keys are not days."""
    body = {
        "values": {
            "2025-09-02": "WHITE",
            "2025-09-01": "BLUE",
            "2025-09-01-fallback": "false",
            "2026-01-12": "RED",
            "2026-01-12-fallback": "false",
            "2026-01-13": "red",
            "2026-01-13-fallback": "true",  # degraded mode: not taken
            "2026-01-14": None,  # a day RTE once served without a value
            "2024-12-01": "RED",  # another season
            "2026-02-30": "BLUE",  # not a date
            "updated": "2026-01-12T10:40:00+01:00",
        }
    }
    colours, skipped = parse_season(body, SEASON)
    assert colours == {
        date(2025, 9, 1): TempoColour.BLUE,
        date(2025, 9, 2): TempoColour.WHITE,
        date(2026, 1, 12): TempoColour.RED,
    }
    assert skipped == 4


def test_json_booleans_as_fallback_flags() -> None:
    """A flag sent as a JSON boolean reads like its string."""
    body = {
        "values": {
            "2025-10-01": "BLUE",
            "2025-10-01-fallback": True,
            "2025-10-02": "BLUE",
            "2025-10-02-fallback": False,
            "2025-10-03-fallback": "maybe",
        }
    }
    assert parse_season(body, SEASON) == ({date(2025, 10, 2): TempoColour.BLUE}, 1)


@pytest.mark.parametrize(
    "body", [None, [], "values", {}, {"values": []}, {"values": "x"}]
)
def test_without_a_values_object_the_answer_is_invalid(body: Any) -> None:
    """No ``values`` object at all cannot be read."""
    with pytest.raises(InvalidResponse):
        parse_season(body, SEASON)


def test_entries_beyond_the_cap_are_skipped() -> None:
    """More entries than a season can hold are not all read."""
    values = {f"junk-{index}": "BLUE" for index in range(MAX_ENTRIES + 10)}
    colours, skipped = parse_season({"values": values}, SEASON)
    assert colours == {}
    assert skipped == MAX_ENTRIES + 10


def test_calendar_lookup() -> None:
    """The calendar answers a day's colour, None when not known."""
    parsed, _ = parse_season({"values": {"2025-11-03": "WHITE"}}, SEASON)
    calendar = TempoCalendar(
        days=tuple(TempoDay(day=day, colour=colour) for day, colour in parsed.items())
    )
    assert calendar.colour_of(date(2025, 11, 3)) is TempoColour.WHITE
    assert calendar.colour_of(date(2025, 11, 4)) is None


# -- properties -------------------------------------------------------------------------

DAYS = st.integers(0, (LAST - FIRST).days).map(
    lambda offset: FIRST + timedelta(days=offset)
)
COLOUR_TEXT = st.sampled_from(
    ["BLUE", "WHITE", "RED", "blue", " Red ", "ROUGE", "", "UNKNOWN"]
)
DAY_KEYS = DAYS.map(date.isoformat) | st.sampled_from(
    ["2025-13-01", "1999-01-01", "9999-12-31", "２０２５-０９-０１", "2025-9-1", ""]
)
ENTRIES = st.one_of(
    st.tuples(DAY_KEYS, COLOUR_TEXT | JSON_VALUES),
    st.tuples(
        DAY_KEYS.map(lambda key: key + "-fallback"),
        st.sampled_from(["true", "false", True, False]) | JSON_VALUES,
    ),
    st.tuples(st.text(max_size=20), JSON_VALUES),
)
BODIES = st.one_of(
    st.lists(ENTRIES, max_size=60).map(lambda entries: {"values": dict(entries)}),
    JSON_VALUES,
    st.dictionaries(
        st.sampled_from(["values", "value", "data"]), JSON_VALUES, max_size=2
    ),
)


@given(BODIES)
def test_any_answer_gives_season_days_or_invalid_response(body: Any) -> None:
    """Only InvalidResponse escapes; every colour is a real day of the season."""
    try:
        colours, skipped = parse_season(body, SEASON)
    except InvalidResponse:
        return
    values = body["values"]
    assert 0 <= skipped <= len(values)
    assert len(colours) + skipped <= len(values)
    for day, colour in colours.items():
        assert FIRST <= day <= LAST
        assert isinstance(colour, TempoColour)
        flag = values.get(f"{day.isoformat()}-fallback")
        assert flag is not True
        assert not (isinstance(flag, str) and flag.strip().lower() == "true")


@given(
    st.lists(st.tuples(DAYS, st.sampled_from(["BLUE", "WHITE", "RED"])), max_size=40)
)
def test_every_published_colour_is_read(entries: list[tuple[date, str]]) -> None:
    """A clean answer loses nothing (the last key of a day wins, as in JSON)."""
    values = {day.isoformat(): colour for day, colour in entries}
    colours, skipped = parse_season({"values": values}, SEASON)
    assert skipped == 0
    assert {day.isoformat(): colour.name for day, colour in colours.items()} == values
