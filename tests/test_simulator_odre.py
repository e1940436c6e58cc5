"""The ODRÉ simulator: a realistic French grid in the éCO2mix export format."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest

from simulator.__main__ import PROVIDERS, build_parser
from simulator.odre import EXPORT_PATH, SLOT, OdreSimulator, slot

from .odre_sim import RunningOdre, running_odre

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 10, 27, 14, 20, tzinfo=UTC)

pytestmark = pytest.mark.usefixtures("socket_enabled")


def day_slots(day: date) -> list[datetime]:
    start = datetime.combine(day, time(0), PARIS).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), PARIS).astimezone(UTC)
    out, cursor = [], start
    while cursor < end:
        out.append(cursor)
        cursor += SLOT
    return out


def test_a_french_day_has_a_nuclear_base_and_midday_solar() -> None:
    """Nuclear dominates, solar peaks at midday and is zero at night."""
    for day in (date(2026, 1, 14), date(2026, 6, 21)):
        slots = [slot(start) for start in day_slots(day)]
        assert all(s.nucleaire > 0.5 * s.production for s in slots)
        night = [s for s in slots if s.start.astimezone(PARIS).hour in (0, 1, 2, 3)]
        assert all(s.solaire == 0 for s in night)
        peak = max(slots, key=lambda s: s.solaire)
        assert 11 <= peak.start.astimezone(PARIS).hour <= 15
        assert all(10 <= s.taux_co2 <= 150 for s in slots)
        assert all(s.pompage <= 0 for s in slots)
        assert all(0 < s.renewable < s.production for s in slots)


def test_winter_is_windier_and_hungrier_than_summer() -> None:
    """More wind and more consumption in January than in July."""

    def mean(month: int, field: str) -> float:
        values = [
            getattr(slot(start), field)
            for day in range(1, 29)
            for start in day_slots(date(2026, month, day))[::8]
        ]
        return sum(values) / len(values)

    assert mean(1, "eolien") > 1.5 * mean(7, "eolien")
    assert mean(1, "consommation") > 1.2 * mean(7, "consommation")
    assert mean(7, "solaire") > 2 * mean(1, "solaire")


async def export(running: RunningOdre, **query: str) -> tuple[int, Any]:
    url = f"{running.url}{EXPORT_PATH}?{urlencode(query)}"
    async with running.session.get(url) as response:
        return response.status, await response.json(content_type=None)


WHERE = "date_heure >= '2026-10-27T10:00:00Z' AND date_heure < '2026-10-27T16:00:00Z'"


async def test_export_rows() -> None:
    """Shuffled rows; measured until the last full hour, then forecasts only."""
    async with running_odre(NOW) as running:
        status, rows = await export(running, where=WHERE, timezone="UTC")
        assert status == 200
        assert len(rows) == 24
        ordered = sorted(rows, key=lambda row: row["date_heure"])
        assert ordered != rows
        first = ordered[0]
        assert first["date_heure"] == "2026-10-27T10:00:00+00:00"
        assert (first["date"], first["heure"]) == ("2026-10-27", "11:00")
        assert (
            first["nucleaire"] == slot(datetime(2026, 10, 27, 10, tzinfo=UTC)).nucleaire
        )
        assert first["taux_co2"] is not None
        assert ordered[1]["taux_co2"] is None  # 10:15: no CO2 on quarter hours
        assert ordered[15]["nucleaire"] is not None  # 13:45 measured
        assert ordered[16]["nucleaire"] is None  # 14:00 listed ahead
        assert ordered[16]["prevision_j"] is not None
        assert ordered[16]["stockage_batterie"] == "ND"


async def test_export_parameters() -> None:
    """select, limit and timezone are honoured; junk is a 400 ODS error."""
    async with running_odre(NOW) as running:
        _, rows = await export(
            running,
            where=WHERE,
            select="date_heure,gaz",
            limit="3",
            timezone="Europe/Paris",
        )
        assert len(rows) == 3
        assert all(set(row) == {"date_heure", "gaz"} for row in rows)
        assert all(row["date_heure"].endswith("+01:00") for row in rows)
        for query in (
            {"where": "consommation > 3"},
            {"where": WHERE, "select": "date_heure,secret"},
            {"where": WHERE, "timezone": "Mars/Olympus"},
            {"where": WHERE, "limit": "many"},
            {"where": "date_heure >= 'x' AND date_heure < 'y'"},
        ):
            status, body = await export(running, **query)
            assert status == 400
            assert set(body) == {"error_code", "message"}


async def test_knobs_over_http() -> None:
    """ND, missing, string and duplicate slots; truth; window; reset."""
    async with running_odre(NOW) as running:
        base = "2026-10-27T10:00:00+00:00"
        actions = [
            {"action": "nd", "slots": [base]},
            {"action": "missing", "slots": ["2026-10-27T10:15:00Z"]},
            {"action": "strings", "slots": ["2026-10-27T10:30:00Z"]},
            {"action": "duplicate", "slots": ["2026-10-27T10:45:00Z"]},
        ]
        async with running.session.post(
            running.url + "/_sim/faults", json=actions
        ) as response:
            assert response.status == 200
        _, rows = await export(running, where=WHERE)
        by_time: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            by_time.setdefault(row["date_heure"], []).append(row)
        assert by_time[base][0]["nucleaire"] == "ND"
        assert "2026-10-27T10:15:00+00:00" not in by_time
        assert isinstance(by_time["2026-10-27T10:30:00+00:00"][0]["gaz"], str)
        assert len(by_time["2026-10-27T10:45:00+00:00"]) == 2
        async with running.session.get(running.url + "/_sim/faults") as response:
            faults = await response.json()
        assert faults["nd_slots"] == [base]
        async with running.session.get(
            running.url + "/_sim/truth", params={"start": base}
        ) as response:
            truth = await response.json()
        assert (
            truth["production"]
            == slot(datetime(2026, 10, 27, 10, tzinfo=UTC)).production
        )
        async with running.session.get(running.url + "/_sim/truth") as response:
            assert response.status == 400
        running.sim.reset()
        assert not running.sim.nd_slots


async def test_failure_bodies() -> None:
    """Injected failures answer Opendatasoft's JSON errors."""
    async with running_odre(NOW) as running:
        for status in (429, 500, 404):
            running.sim.fail_next("exports", status)
            async with running.session.get(
                f"{running.url}{EXPORT_PATH}?{urlencode({'where': WHERE})}"
            ) as response:
                assert response.status == status
                body = await response.json()
                assert set(body) == {"error_code", "message"}
                if status == 429:
                    assert response.headers["Retry-After"] == "3600"


def test_registered_in_the_runner() -> None:
    """``python -m simulator odre`` builds this simulator."""
    args = build_parser().parse_args(["odre"])
    simulator = PROVIDERS["odre"].factory(args)
    assert isinstance(simulator, OdreSimulator)
    assert EXPORT_PATH in simulator.describe("http://127.0.0.1:8975")
