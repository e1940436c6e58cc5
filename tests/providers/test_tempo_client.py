"""The Tempo client over real HTTP against the services-rte.com simulator."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
import socket

import aiohttp
from hypothesis import given, strategies as st
import pytest

from custom_components.gridmeter.providers.errors import (
    CannotConnect,
    InvalidResponse,
    ProviderError,
    RateLimited,
    RequestRejected,
    RequestTimeout,
)
from custom_components.gridmeter.providers.signals import TempoColour, TempoDay
from custom_components.gridmeter.providers.tempo import (
    MAX_SEASONS,
    RED_REASON,
    TempoClient,
    expected_publication,
    red_day_stress,
    season_bounds,
    season_of,
    seasons_between,
    tempo_day_of,
    tempo_day_start,
)
from simulator.tempo import SEASON_PATH, Colour

from ..rte_sim import STATUS_ERRORS
from ..tempo_sim import COLOURS, RunningTempo, running_tempo

# 10:00 in Paris: tomorrow's colour is not published yet (10:30).
NOW = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)
TODAY = date(2026, 11, 10)
TOMORROW = TODAY + timedelta(days=1)

pytestmark = pytest.mark.usefixtures("socket_enabled")


@pytest.fixture
async def tempo() -> AsyncIterator[RunningTempo]:
    """The Tempo simulator frozen at NOW."""
    async with running_tempo(NOW) as running:
        yield running


def expected(running: RunningTempo, day: date) -> TempoColour | None:
    known = running.sim.known(day)
    return None if known is None else COLOURS[known]


async def test_colours_equal_the_simulator_over_24_months(tempo: RunningTempo) -> None:
    """Every day of three seasons reads as the simulator publishes it."""
    client = tempo.client()
    start = TODAY - timedelta(days=730)
    calendar = await client.async_get_days(start, TOMORROW)
    assert calendar.skipped == 0
    day = start
    while day <= TOMORROW:
        assert calendar.colour_of(day) == expected(tempo, day), day
        day += timedelta(days=1)
    assert [item.day for item in calendar.days] == sorted(
        item.day for item in calendar.days
    )
    assert calendar.days[0].day == start
    assert calendar.days[-1].day == TODAY  # tomorrow is not known yet
    # One request per season: 2024-2025, 2025-2026, 2026-2027.
    assert client.requests_sent == 3
    assert tempo.sim.count(SEASON_PATH) == 3
    seasons = sorted(entry.query["season"] for entry in tempo.sim.requests)
    assert seasons == ["2024-2025", "2025-2026", "2026-2027"]


@pytest.mark.parametrize(
    "now",
    [
        datetime(2026, 11, 10, 12, 0, tzinfo=UTC),
        datetime(2026, 8, 31, 12, 0, tzinfo=UTC),  # tomorrow opens a season
        datetime(2026, 9, 1, 12, 0, tzinfo=UTC),
        datetime(2027, 3, 15, 12, 0, tzinfo=UTC),
    ],
)
async def test_24_months_cost_one_request_per_season(now: datetime) -> None:
    """Three requests, four when the range starts or ends at a season's edge."""
    async with running_tempo(now) as running:
        client = running.client()
        today = now.date()
        start = today - timedelta(days=730)
        calendar = await client.async_get_days(start, today + timedelta(days=1))
    seasons = seasons_between(start, today + timedelta(days=1))
    assert client.requests_sent == len(seasons) <= 4
    assert calendar.colour_of(today) is not None


async def test_tomorrow_is_not_known_until_published(tempo: RunningTempo) -> None:
    """Before 10:30 Paris tomorrow is absent; after, it has its colour."""
    client = tempo.client()
    before = await client.async_get_days(TODAY, TOMORROW)
    assert before.colour_of(TOMORROW) is None
    assert before.colour_of(TODAY) == COLOURS[tempo.sim.truth(TODAY)]
    tempo.sim.clock.set(expected_publication(TOMORROW) + timedelta(minutes=1))
    after = await client.async_get_days(TODAY, TOMORROW)
    assert after.colour_of(TOMORROW) == COLOURS[tempo.sim.truth(TOMORROW)]


async def test_late_publication_keeps_tomorrow_unknown(tempo: RunningTempo) -> None:
    """A colour published two hours late is not known in between."""
    tempo.sim.publication_delay = timedelta(hours=2)
    tempo.sim.clock.set(expected_publication(TOMORROW) + timedelta(hours=1))
    client = tempo.client()
    assert (await client.async_get_days(TOMORROW, TOMORROW)).days == ()
    tempo.sim.clock.advance(timedelta(hours=1, minutes=1))
    calendar = await client.async_get_days(TOMORROW, TOMORROW)
    assert calendar.days == (
        TempoDay(day=TOMORROW, colour=COLOURS[tempo.sim.truth(TOMORROW)]),
    )


async def test_days_without_colour_or_in_fallback_are_not_known(
    tempo: RunningTempo,
) -> None:
    """A day served with no value, or flagged fallback, is never guessed."""
    blank, flagged = TODAY - timedelta(days=3), TODAY - timedelta(days=2)
    tempo.sim.unknown_days.add(blank)
    tempo.sim.fallback_days.add(flagged)
    calendar = await tempo.client().async_get_days(TODAY - timedelta(days=5), TODAY)
    assert calendar.colour_of(blank) is None
    assert calendar.colour_of(flagged) is None
    assert len(calendar.days) == 4
    assert calendar.skipped == 0


async def test_a_revised_colour_is_read(tempo: RunningTempo) -> None:
    """RTE may correct a colour; the next read returns the new one."""
    day = TODAY - timedelta(days=1)
    tempo.sim.revisions[day] = Colour.RED
    calendar = await tempo.client().async_get_days(day, day)
    assert calendar.colour_of(day) is TempoColour.RED


@pytest.mark.parametrize(("status", "error"), STATUS_ERRORS)
async def test_error_statuses(
    tempo: RunningTempo, status: int, error: type[ProviderError]
) -> None:
    """Each injected status becomes its typed error."""
    tempo.sim.fail_next("tempo", status)
    with pytest.raises(error) as raised:
        await tempo.client().async_get_days(TODAY, TODAY)
    if isinstance(raised.value, RateLimited):
        assert raised.value.retry_after == 120


@pytest.mark.parametrize("mode", ["truncated", "html", "garbage"])
async def test_garbage_is_an_invalid_response(tempo: RunningTempo, mode: str) -> None:
    """A body that is not the calendar's JSON is InvalidResponse."""
    tempo.sim.malformed_next("tempo", mode)
    with pytest.raises(InvalidResponse):
        await tempo.client().async_get_days(TODAY, TODAY)


async def test_a_json_without_values_is_invalid(tempo: RunningTempo) -> None:
    """HTTP 200 with another JSON shape is InvalidResponse."""
    tempo.sim.fail_next("tempo", 200, {"message": "maintenance"})
    with pytest.raises(InvalidResponse):
        await tempo.client().async_get_days(TODAY, TODAY)


async def test_timeout(tempo: RunningTempo) -> None:
    """No answer within the timeout is RequestTimeout."""
    tempo.sim.hang_next("tempo", 3.0)
    with pytest.raises(RequestTimeout):
        await tempo.client(timeout=0.3).async_get_days(TODAY, TODAY)


async def test_cannot_connect() -> None:
    """A closed port is CannotConnect."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with aiohttp.ClientSession() as session:
        client = TempoClient(session, base_url=f"http://127.0.0.1:{port}", timeout=2)
        with pytest.raises(CannotConnect):
            await client.async_get_days(TODAY, TODAY)


async def test_ranges_are_checked_before_sending(tempo: RunningTempo) -> None:
    """An inverted range or more than four seasons is refused locally."""
    client = tempo.client()
    with pytest.raises(RequestRejected):
        await client.async_get_days(TODAY, TODAY - timedelta(days=1))
    with pytest.raises(RequestRejected):
        await client.async_get_days(date(2020, 1, 1), TODAY)
    assert client.requests_sent == 0
    assert "TempoClient" in repr(client)
    assert MAX_SEASONS == 4


# -- the Tempo day: 06:00 to 06:00 Paris ----------------------------------------------


@pytest.mark.parametrize(
    ("instant", "day"),
    [
        (datetime(2026, 1, 15, 4, 59, tzinfo=UTC), date(2026, 1, 14)),  # 05:59 CET
        (datetime(2026, 1, 15, 5, 0, tzinfo=UTC), date(2026, 1, 15)),  # 06:00 CET
        (datetime(2026, 7, 15, 3, 59, tzinfo=UTC), date(2026, 7, 14)),  # 05:59 CEST
        (datetime(2026, 7, 15, 4, 0, tzinfo=UTC), date(2026, 7, 15)),  # 06:00 CEST
        (datetime(2026, 3, 29, 3, 59, tzinfo=UTC), date(2026, 3, 28)),  # DST day
        (datetime(2026, 3, 29, 4, 0, tzinfo=UTC), date(2026, 3, 29)),
        (datetime(2026, 10, 25, 4, 59, tzinfo=UTC), date(2026, 10, 24)),
        (datetime(2026, 10, 25, 5, 0, tzinfo=UTC), date(2026, 10, 25)),
        (datetime(2026, 1, 15, 23, 30, tzinfo=UTC), date(2026, 1, 15)),  # 00:30 on 16th
    ],
)
def test_tempo_day_of(instant: datetime, day: date) -> None:
    """The colour of a day applies from 06:00 Paris to 06:00 the next day."""
    assert tempo_day_of(instant) == day
    assert tempo_day_start(day) <= instant < tempo_day_start(day + timedelta(days=1))


@given(
    st.datetimes(
        min_value=datetime(2000, 1, 1),
        max_value=datetime(2099, 12, 31),
        timezones=st.just(UTC),
    )
)
def test_every_instant_belongs_to_one_tempo_day(instant: datetime) -> None:
    """The Tempo day of an instant starts at or before it and ends after it."""
    day = tempo_day_of(instant)
    assert tempo_day_start(day) <= instant < tempo_day_start(day + timedelta(days=1))
    assert season_of(day) in seasons_between(day, day)


def test_tempo_days_last_23_or_25_hours_on_dst_days() -> None:
    """06:00 to 06:00 spans the change of time."""
    spring, autumn = date(2026, 3, 28), date(2026, 10, 24)
    assert tempo_day_start(spring + timedelta(days=1)) - tempo_day_start(
        spring
    ) == timedelta(hours=23)
    assert tempo_day_start(autumn + timedelta(days=1)) - tempo_day_start(
        autumn
    ) == timedelta(hours=25)
    with pytest.raises(ValueError, match="aware"):
        tempo_day_of(datetime(2026, 1, 1, 12))


def test_publication_is_10_30_paris_the_day_before() -> None:
    """Winter and summer, the binding publication is 10:30 local on D-1."""
    assert expected_publication(date(2026, 1, 15)) == datetime(
        2026, 1, 14, 9, 30, tzinfo=UTC
    )
    assert expected_publication(date(2026, 7, 15)) == datetime(
        2026, 7, 14, 8, 30, tzinfo=UTC
    )


def test_seasons() -> None:
    """A season runs from 1 September to 31 August."""
    assert season_of(date(2026, 8, 31)) == "2025-2026"
    assert season_of(date(2026, 9, 1)) == "2026-2027"
    assert season_bounds("2025-2026") == (date(2025, 9, 1), date(2026, 8, 31))
    assert seasons_between(date(2026, 8, 31), date(2026, 9, 1)) == [
        "2025-2026",
        "2026-2027",
    ]
    assert seasons_between(date(2026, 9, 1), date(2026, 8, 31)) == []
    for bad in ("2025-2027", "2025", "25-26", "abcd-efgh"):
        with pytest.raises(ValueError, match="season"):
            season_bounds(bad)


def test_red_days_become_stress_periods() -> None:
    """Red days are stress from 06:00 to 06:00; consecutive ones merge."""
    days = [
        TempoDay(day=date(2026, 1, 12), colour=TempoColour.RED),
        TempoDay(day=date(2026, 1, 13), colour=TempoColour.RED),
        TempoDay(day=date(2026, 1, 14), colour=TempoColour.WHITE),
        TempoDay(day=date(2026, 1, 16), colour=TempoColour.RED),
        TempoDay(day=date(2026, 1, 13), colour=TempoColour.RED),
    ]
    stress = red_day_stress(days)
    assert [(item.start, item.end, item.reason) for item in stress] == [
        (
            datetime(2026, 1, 12, 5, 0, tzinfo=UTC),
            datetime(2026, 1, 14, 5, 0, tzinfo=UTC),
            RED_REASON,
        ),
        (
            datetime(2026, 1, 16, 5, 0, tzinfo=UTC),
            datetime(2026, 1, 17, 5, 0, tzinfo=UTC),
            RED_REASON,
        ),
    ]
    assert red_day_stress([]) == []
