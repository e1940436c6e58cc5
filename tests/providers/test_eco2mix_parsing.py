"""éCO2mix export records into grid-mix rows: examples and properties."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import math
from typing import Any

from hypothesis import given, strategies as st
import pytest

from custom_components.gridmeter.providers.eco2mix import parse_export, parse_record
from custom_components.gridmeter.providers.errors import InvalidResponse
from custom_components.gridmeter.providers.signals import SignalBasis

from ..rte_sim import JSON_VALUES, mutated

START = datetime(2022, 6, 1, 0, 0, tzinfo=UTC)
END = START + timedelta(days=1)

# A real record (public code quoting ODRÉ, 1 June 2022 04:15 Paris), flattened
# as the v2.1 export serves it.
CAPTURED: dict[str, Any] = {
    "consommation": 36414,
    "taux_co2": 55,
    "nucleaire": 29374,
    "eolien_terrestre": "ND",
    "eolien": 1707,
    "eolien_offshore": "ND",
    "hydraulique": 4652,
    "hydraulique_lacs": 579,
    "hydraulique_fil_eau_eclusee": 3820,
    "hydraulique_step_turbinage": 253,
    "pompage": -1631,
    "gaz": 3599,
    "fioul": 143,
    "charbon": 6,
    "ech_physiques": -2435,
    "bioenergies": 999,
    "solaire": 0,
    "stockage_batterie": "ND",
    "destockage_batterie": "ND",
    "heure": "04:15",
    "nature": "Données temps réel",
    "date_heure": "2022-06-01T02:15:00+00:00",
    "date": "2022-06-01",
    "prevision_j1": 36150,
    "prevision_j": 36400,
    "perimetre": "France",
}


def test_the_captured_record() -> None:
    """Renewable excludes pumped-storage turbining; total the eight sources."""
    mix = parse_record(CAPTURED, START, END)
    assert mix is not None
    assert mix.start == datetime(2022, 6, 1, 2, 15, tzinfo=UTC)
    assert mix.duration == timedelta(minutes=15)
    assert mix.basis is SignalBasis.MEASURED
    assert mix.renewable_mw == 1707 + 0 + (4652 - 253) + 999
    assert mix.total_mw == 29374 + 1707 + 0 + 4652 + 999 + 3599 + 6 + 143
    assert mix.carbon_g_per_kwh == 55


@pytest.mark.parametrize(
    ("changes", "readable"),
    [
        ({"taux_co2": None}, True),  # the quarter hours have no CO2
        ({"hydraulique_step_turbinage": "ND"}, True),  # hydro counted whole
        ({"hydraulique_step_turbinage": 99_999}, True),  # above hydro: ignored
        ({"nucleaire": "29374"}, True),
        ({"nucleaire": "ND"}, False),
        ({"gaz": None}, False),
        ({"solaire": -3}, False),
        ({"eolien": float("nan")}, False),
        ({"date_heure": "2022-06-01T02:10:00+00:00"}, False),  # not a quarter hour
        ({"date_heure": "2022-06-01T02:15:00"}, False),  # naive
        ({"date_heure": "2022-06-02T02:15:00+00:00"}, False),  # outside the range
    ],
)
def test_record_variants(changes: dict[str, Any], readable: bool) -> None:
    """Numeric strings read; "ND", negatives, NaN and bad times do not."""
    mix = parse_record({**CAPTURED, **changes}, START, END)
    assert (mix is not None) is readable
    if mix is not None and "hydraulique_step_turbinage" in changes:
        assert mix.renewable_mw == 1707 + 0 + 4652 + 999


def test_export_sorts_dedups_and_counts() -> None:
    """Unordered rows come back sorted; pending and bad rows are counted."""
    later = {**CAPTURED, "date_heure": "2022-06-01T02:30:00+00:00"}
    pending = {
        "date_heure": "2022-06-01T02:45:00+00:00",
        "prevision_j": 36000,
        **dict.fromkeys(("nucleaire", "eolien", "solaire", "gaz"), None),
    }
    bad = {**CAPTURED, "date_heure": "2022-06-01T03:00:00+00:00", "gaz": "ND"}
    batch = parse_export(
        [later, pending, CAPTURED, bad, dict(CAPTURED), 7], START, END, 100
    )
    assert [row.start.minute for row in batch.rows] == [15, 30]
    assert (batch.skipped, batch.pending) == (3, 1)


def test_export_reads_at_most_max_rows() -> None:
    """Rows beyond the cap derived from the range are not read."""
    rows = [
        {**CAPTURED, "date_heure": (START + n * timedelta(minutes=15)).isoformat()}
        for n in range(10)
    ]
    batch = parse_export(rows, START, END, 4)
    assert len(batch.rows) == 4
    assert batch.skipped == 6


@pytest.mark.parametrize("body", [None, {}, {"results": []}, "[]", 3])
def test_export_must_be_a_list(body: Any) -> None:
    """Anything but a JSON array is InvalidResponse."""
    with pytest.raises(InvalidResponse):
        parse_export(body, START, END, 100)


# -- properties -------------------------------------------------------------------------

MW = st.integers(0, 70_000) | st.integers(0, 70_000).map(str)
RECORDS = st.fixed_dictionaries(
    {
        "date_heure": st.integers(0, 95).map(
            lambda n: (START + n * timedelta(minutes=15)).isoformat()
        ),
        "nucleaire": MW,
        "eolien": MW,
        "solaire": MW,
        "hydraulique": MW,
        "bioenergies": MW,
        "gaz": MW,
        "charbon": MW,
        "fioul": MW,
        "hydraulique_step_turbinage": MW,
        "pompage": st.integers(-5_000, 0),
        "taux_co2": st.integers(0, 120) | st.none(),
    }
)


@given(st.lists(mutated(RECORDS), max_size=30) | JSON_VALUES)
def test_any_export_gives_valid_rows_or_invalid_response(body: Any) -> None:
    """Only InvalidResponse escapes; every row is finite, in range and sorted."""
    try:
        batch = parse_export(body, START, END, 20)
    except InvalidResponse:
        return
    assert len(batch.rows) + batch.skipped + batch.pending == len(body)
    starts = [row.start for row in batch.rows]
    assert starts == sorted(set(starts))
    for row in batch.rows:
        assert START <= row.start < END
        assert row.start.minute % 15 == 0
        assert math.isfinite(row.total_mw) and row.total_mw > 0
        assert 0 <= row.renewable_mw <= row.total_mw
        carbon = row.carbon_g_per_kwh
        assert carbon is None or (math.isfinite(carbon) and 0 <= carbon <= 2000)


@given(RECORDS)
def test_a_clean_record_is_classified_exactly(record: dict[str, Any]) -> None:
    """Renewable = wind + solar + hydro (minus turbining when below it) + bio."""
    mix = parse_record(record, START, END)
    values = {
        key: float(value)
        for key, value in record.items()
        if key not in ("date_heure", "taux_co2")
    }
    total = sum(
        values[name]
        for name in (
            "nucleaire",
            "eolien",
            "solaire",
            "hydraulique",
            "bioenergies",
            "gaz",
            "charbon",
            "fioul",
        )
    )
    if total == 0:
        assert mix is None
        return
    assert mix is not None
    hydro = values["hydraulique"]
    if values["hydraulique_step_turbinage"] <= hydro:
        hydro -= values["hydraulique_step_turbinage"]
    assert mix.total_mw == total
    assert (
        mix.renewable_mw
        == values["eolien"] + values["solaire"] + hydro + values["bioenergies"]
    )
