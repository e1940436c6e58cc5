"""REE real-time demand parsers: examples and property tests."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime
import json
import math
from typing import Any

from hypothesis import given, strategies as st
import pytest

from custom_components.gridmeter.providers.errors import InvalidResponse
from custom_components.gridmeter.providers.esios.systems import CANARY, MADRID
from custom_components.gridmeter.providers.ree_demanda import NON_RENEWABLE, RENEWABLE
from custom_components.gridmeter.providers.ree_demanda.parsing import (
    parse_mix,
    parse_ts,
    sample_mix,
    unwrap,
)
from simulator.ree_demanda import ReeDemandaSimulator
from simulator.ree_demanda.app import _label

SIM = ReeDemandaSimulator(lambda: datetime(2026, 11, 1, tzinfo=UTC))
DAY = date(2026, 10, 25)


def answer(system: str, day: date = DAY) -> dict[str, Any]:
    rows = [
        {"ts": _label(t, system), **fields} for t, fields in SIM.samples(system, day)
    ]
    return {"valoresHorariosGeneracion": rows}


SHORT = {
    system: {
        "valoresHorariosGeneracion": answer(system)["valoresHorariosGeneracion"][:40]
    }
    for system in ("peninsular", "canarias", "ceuta")
}
"""Three hours of served answers: the property tests mutate copies of them."""


def jsonp(data: Any) -> str:
    return f"null({json.dumps(data)});"


@pytest.mark.parametrize(
    "text",
    [
        'null({"valoresHorariosGeneracion":[]});',
        'null({"valoresHorariosGeneracion":[]})',
        'angular.callbacks._2({"valoresHorariosGeneracion":[]});',
        '{"valoresHorariosGeneracion":[]}',
        '  null({"valoresHorariosGeneracion":[]});\n',
    ],
)
def test_jsonp_shapes(text: str) -> None:
    """With or without the final ``;``, any callback name, or plain JSON."""
    assert unwrap(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "",
        "null(",
        "null)",
        "null([1,2])",
        'null({"x": 1})',
        "<html></html>",
        "[" * 50_000,
    ],
)
def test_not_an_answer(text: str) -> None:
    """Anything else is InvalidResponse."""
    with pytest.raises(InvalidResponse):
        unwrap(text)


def test_timestamps_and_the_repeated_hour() -> None:
    """A/B are the two passes of the repeated hour; a skipped hour is refused."""
    first = parse_ts("2026-10-25 2A:05", MADRID)
    second = parse_ts("2026-10-25 2B:05", MADRID)
    assert first == datetime(2026, 10, 25, 0, 5, tzinfo=UTC)
    assert second == datetime(2026, 10, 25, 1, 5, tzinfo=UTC)
    assert parse_ts("2026-10-25 1B:00", CANARY) == datetime(2026, 10, 25, 1, tzinfo=UTC)
    assert parse_ts("2026-10-25 2A:05", CANARY) is None  # not repeated there
    assert parse_ts("2026-03-29 02:30", MADRID) is None  # skipped in spring
    assert parse_ts("2026-10-21 21:00", MADRID) == datetime(
        2026, 10, 21, 19, tzinfo=UTC
    )
    for bad in (
        "2026-13-01 10:00",
        "9999-12-31 23:00",
        "2026-10-21T21:00",
        5,
        None,
        "٢٠٢٦-10-21 21:00",
    ):
        assert parse_ts(bad, MADRID) is None


def test_classification_and_aggregates() -> None:
    """REE's classification; totals only when their parts are absent."""
    assert not RENEWABLE & NON_RENEWABLE
    assert sample_mix({"eol": 10, "gnhd": 5, "turb": 3, "hid": 8, "nuc": 2}) == (
        15.0,
        20.0,
    )
    assert sample_mix({"hid": 8, "sol": 4, "cc": 8}) == (12.0, 20.0)
    assert sample_mix({"sol": 4, "solFot": 3, "solTer": 1}) == (4.0, 4.0)
    assert sample_mix({"eol": -1.5, "die": 10}) == (0.0, 10.0)
    assert sample_mix({"dem": 30, "cb": 250, "inter": -3, "aut": 99, "bat": 4}) == (
        0.0,
        0.0,
    )
    assert sample_mix({"eol": "5"}) is None
    assert sample_mix({"eol": math.inf}) is None
    assert sample_mix({"eol": True}) is None


@pytest.mark.parametrize(
    "system", ["peninsular", "canarias", "baleares", "ceuta", "melilla"]
)
def test_simulator_answer_parses_cleanly(system: str) -> None:
    """A served answer: no skipped row, no unknown field, 31 hours (DST day)."""
    zone = CANARY if system == "canarias" else MADRID
    mix = parse_mix(jsonp(answer(system)), DAY, zone)
    assert mix.skipped == 0
    assert mix.unknown_fields == frozenset()
    assert len(mix.rows) == 31


def test_odd_cadence_and_off_grid_samples() -> None:
    """Samples off the 5-minute grid are left out; an odd cadence means 5 min."""
    rows = [
        {"ts": f"2026-10-21 10:{minute:02d}", "die": 10} for minute in range(0, 60, 5)
    ]
    rows.append({"ts": "2026-10-21 11:03", "die": 10})
    mix = parse_mix(jsonp({"valoresHorariosGeneracion": rows}), DAY, MADRID)
    assert [row.start.hour for row in mix.rows] == [8]
    odd = [
        {"ts": f"2026-10-21 10:{minute:02d}", "die": 10} for minute in range(0, 60, 7)
    ]
    assert parse_mix(jsonp({"valoresHorariosGeneracion": odd}), DAY, MADRID).rows == ()


LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=10),
    st.sampled_from(
        ["2026-10-25 2A:00", "2026-10-25 2B:55", "2026-03-29 02:00", "1e400"]
    ),
)
ANY_JSON = st.recursive(
    LEAVES,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)


@st.composite
def mutated_answer(draw: st.DrawFn) -> Any:
    """A served answer with rows changed, dropped, duplicated or reordered."""
    data = copy.deepcopy(SHORT[draw(st.sampled_from(sorted(SHORT)))])
    rows = data["valoresHorariosGeneracion"]
    for _ in range(draw(st.integers(0, 6))):
        if not rows:
            break
        index = draw(st.integers(0, len(rows) - 1))
        action = draw(
            st.sampled_from(
                ["set", "delete_key", "drop", "duplicate", "reverse", "junk"]
            )
        )
        row = rows[index]
        if action == "set" and isinstance(row, dict) and row:
            row[draw(st.sampled_from(sorted(row)))] = draw(ANY_JSON)
        elif action == "delete_key" and isinstance(row, dict) and row:
            del row[draw(st.sampled_from(sorted(row)))]
        elif action == "drop":
            del rows[index]
        elif action == "duplicate":
            rows.insert(index, copy.deepcopy(row))
        elif action == "reverse":
            rows.reverse()
        else:
            rows[index] = draw(ANY_JSON)
    if draw(st.integers(0, 19)) == 0:
        return draw(ANY_JSON)
    return data


def assert_sane_rows(rows: tuple) -> None:
    starts = [row.start for row in rows]
    assert starts == sorted(set(starts))
    for row in rows:
        assert row.start.tzinfo is UTC and row.start.minute == 0
        assert math.isfinite(row.total_mw) and row.total_mw >= 0
        assert 0 <= row.renewable_mw <= row.total_mw


@given(mutated_answer(), st.booleans())
def test_parse_mix_property(data: Any, truncate: bool) -> None:
    """Only InvalidResponse escapes; rows are hourly, finite and consistent."""
    text = jsonp(data)
    if truncate:
        text = text[: len(text) // 2]
    try:
        mix = parse_mix(text, DAY, MADRID)
    except InvalidResponse:
        return
    assert_sane_rows(mix.rows)
    assert len(mix.unknown_fields) <= 50


@given(st.text(max_size=300))
def test_parse_mix_any_text(text: str) -> None:
    """Random text: InvalidResponse or harmless rows."""
    try:
        mix = parse_mix(text, DAY, CANARY)
    except InvalidResponse:
        return
    assert_sane_rows(mix.rows)
