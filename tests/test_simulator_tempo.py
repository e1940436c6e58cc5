"""The Tempo simulator follows RTE's season rules and serves them over HTTP."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

import pytest

from simulator.__main__ import PROVIDERS, build_parser
from simulator.odre.france import temperature
from simulator.tempo import (
    LIGHT_PATH,
    RED_DAYS,
    SEASON_PATH,
    WHITE_DAYS,
    Colour,
    TempoSimulator,
    red_eligible,
    season_colours,
)

from .tempo_sim import RunningTempo, running_tempo

NOW = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)  # 10:00 Paris
TODAY = date(2026, 11, 10)

pytestmark = pytest.mark.usefixtures("socket_enabled")


@pytest.mark.parametrize("first_year", range(2014, 2028))
def test_every_season_follows_the_rules(first_year: int) -> None:
    """22 red weekdays of November-March, 43 white non-Sundays, the rest blue."""
    colours = season_colours(first_year)
    assert min(colours) == date(first_year, 9, 1)
    assert max(colours) == date(first_year + 1, 8, 31)
    red = sorted(day for day, colour in colours.items() if colour is Colour.RED)
    white = [day for day, colour in colours.items() if colour is Colour.WHITE]
    assert len(red) == RED_DAYS
    assert len(white) == WHITE_DAYS
    assert all(red_eligible(day) for day in red)
    assert all(day.weekday() != 6 for day in white)
    run = longest = 1
    for before, after in pairwise(red):
        run = run + 1 if after - before == timedelta(days=1) else 1
        longest = max(longest, run)
    assert longest <= 5
    # Red days are the cold ones: colder on average than the white ones.
    assert sum(map(temperature, red)) / len(red) < sum(map(temperature, white)) / len(
        white
    )


async def get(running: RunningTempo, path: str) -> tuple[int, object, dict[str, str]]:
    async with running.session.get(running.url + path) as response:
        text = await response.text()
        body = (
            await response.json(content_type=None)
            if response.content_type.endswith("json")
            else text
        )
        return response.status, body, dict(response.headers)


async def test_season_answer_holds_published_days_only() -> None:
    """Every day up to today, tomorrow after 10:30, each with a fallback flag."""
    async with running_tempo(NOW) as running:
        status, body, _ = await get(running, f"{SEASON_PATH}?season=2026-2027")
        assert status == 200
        assert isinstance(body, dict)
        values = body["values"]
        days = sorted(key for key in values if not key.endswith("-fallback"))
        assert days[0] == "2026-09-01"
        assert days[-1] == TODAY.isoformat()
        assert len(values) == 2 * len(days)
        assert list(values) != sorted(values)  # no promised order
        assert values[f"{TODAY.isoformat()}-fallback"] == "false"
        assert values[TODAY.isoformat()] == running.sim.truth(TODAY).value
        running.sim.clock.set(datetime(2026, 11, 10, 9, 30, tzinfo=UTC))
        _, body, _ = await get(running, f"{SEASON_PATH}?season=2026-2027")
        assert isinstance(body, dict)
        assert "2026-11-11" in body["values"]


async def test_other_seasons_and_bad_parameters() -> None:
    """Whole past seasons; nothing for seasons before 2014 or ahead; 400 for junk."""
    async with running_tempo(NOW) as running:
        _, body, _ = await get(running, f"{SEASON_PATH}?season=2024-2025")
        assert isinstance(body, dict)
        assert len(body["values"]) == 2 * 365
        for season in ("2013-2014", "2027-2028"):
            _, body, _ = await get(running, f"{SEASON_PATH}?season={season}")
            assert body == {"values": {}}
        for query in ("", "?season=2025", "?season=2025-2027"):
            status, _, headers = await get(running, SEASON_PATH + query)
            assert status == 400
            assert headers["Content-Type"].startswith("text/html")


async def test_tempo_light_has_today_and_tomorrow() -> None:
    """tempoLight: today, and tomorrow once published."""
    async with running_tempo(NOW) as running:
        _, body, _ = await get(running, LIGHT_PATH)
        assert isinstance(body, dict)
        assert set(body["values"]) == {"2026-11-10", "2026-11-10-fallback"}
        running.sim.clock.advance(timedelta(hours=1))
        _, body, _ = await get(running, LIGHT_PATH)
        assert isinstance(body, dict)
        assert "2026-11-11" in body["values"]


async def test_controls_over_http() -> None:
    """Late publication, unknown and fallback days, revisions, truth, reset."""
    async with running_tempo(NOW) as running:
        actions = [
            {"action": "late", "seconds": 7200},
            {"action": "unknown", "days": ["2026-11-01"]},
            {"action": "fallback", "days": ["2026-11-02"]},
            {"action": "revise", "day": "2026-11-03", "colour": "RED"},
        ]
        async with running.session.post(
            running.url + "/_sim/faults", json=actions
        ) as response:
            assert response.status == 200
        sim = running.sim
        assert sim.publication_delay == timedelta(hours=2)
        assert sim.known(date(2026, 11, 1)) is None
        assert sim.known(date(2026, 11, 2)) is None
        assert sim.known(date(2026, 11, 3)) is Colour.RED
        status, faults, _ = await get(running, "/_sim/faults")
        assert status == 200
        assert isinstance(faults, dict)
        assert faults["unknown_days"] == ["2026-11-01"]
        _, body, _ = await get(running, f"{SEASON_PATH}?season=2026-2027")
        assert isinstance(body, dict)
        assert "2026-11-01" not in body["values"]
        assert body["values"]["2026-11-02-fallback"] == "true"
        _, truth, _ = await get(running, "/_sim/truth?day=2026-11-03")
        assert truth == {
            "day": "2026-11-03",
            "colour": "RED",
            "published_at": "2026-11-02T11:30:00+00:00",
            "known": "RED",
        }
        status, _, _ = await get(running, "/_sim/truth?day=someday")
        assert status == 400
        async with running.session.post(
            running.url + "/_sim/faults", json={"action": "nope"}
        ) as response:
            assert response.status == 400
        sim.reset()
        assert sim.known(date(2026, 11, 1)) is not None
        assert sim.publication_delay == timedelta(0)


async def test_failure_bodies() -> None:
    """Injected failures are HTML pages; 429 says when to come back."""
    async with running_tempo(NOW) as running:
        running.sim.fail_next("tempo", 429)
        status, body, headers = await get(running, f"{SEASON_PATH}?season=2026-2027")
        assert (status, headers["Retry-After"]) == (429, "120")
        assert isinstance(body, str)
        assert "<html>" in body


def test_registered_in_the_runner() -> None:
    """``python -m simulator tempo`` builds this simulator."""
    args = build_parser().parse_args(["tempo", "--port", "0"])
    simulator = PROVIDERS["tempo"].factory(args)
    assert isinstance(simulator, TempoSimulator)
    assert SEASON_PATH in simulator.describe("http://127.0.0.1:8974")
