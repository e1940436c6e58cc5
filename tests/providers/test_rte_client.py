"""The RTE data portal client over real HTTP against the portal simulator."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from custom_components.gridmeter.providers.errors import (
    AuthError,
    InvalidResponse,
    NotAuthorized,
    ProviderError,
    ProviderUnavailable,
    RateLimited,
    RequestRejected,
    RequestTimeout,
)
from custom_components.gridmeter.providers.rte import (
    ECOWATT_STRESS_LEVEL,
    EcowattForecast,
    GridMixBatch,
    expected_forecast_publication,
)
from custom_components.gridmeter.providers.signals import SignalBasis
from simulator.rte import (
    DEMO_CLIENT_SECRET,
    FORECASTS_ONLY_CLIENT_ID,
    FORECASTS_ONLY_CLIENT_SECRET,
    TOKEN_PATH,
    consumption,
    ecowatt_level,
    generation,
)

from ..rte_sim import STATUS_ERRORS, RunningRte, running_rte

PARIS = ZoneInfo("Europe/Paris")
# 10:00 in Paris during a cold week: tomorrow's D-1 forecasts come at 18:00.
NOW = datetime(2026, 1, 22, 9, 0, tzinfo=UTC)
TODAY = date(2026, 1, 22)
QUARTER = timedelta(minutes=15)

pytestmark = pytest.mark.usefixtures("socket_enabled")


@pytest.fixture
async def rte() -> AsyncIterator[RunningRte]:
    """The portal simulator frozen at NOW."""
    async with running_rte(NOW) as running:
        yield running


def paris_hours(day: date, days: int = 1) -> list[datetime]:
    start = datetime.combine(day, time(0), PARIS).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=days), time(0), PARIS).astimezone(UTC)
    hours, cursor = [], start
    while cursor < end:
        hours.append(cursor)
        cursor += timedelta(hours=1)
    return hours


def expected_row(hour: datetime) -> tuple[float, float]:
    """Renewable and total of an hour, from the simulator's forecasts."""
    renewable = sum(
        generation(kind, hour + n * QUARTER) / 4
        for kind in ("SOLAR", "WIND_ONSHORE", "WIND_OFFSHORE")
        for n in range(4)
    )
    total = (consumption(hour) + consumption(hour + 2 * QUARTER)) / 2
    return min(renewable, total), total


def assert_rows(batch: GridMixBatch, hours: list[datetime]) -> None:
    assert [row.start for row in batch.rows] == hours
    for row in batch.rows:
        renewable, total = expected_row(row.start)
        assert row.basis is SignalBasis.FORECAST
        assert row.duration == timedelta(hours=1)
        assert row.renewable_mw == pytest.approx(renewable)
        assert row.total_mw == pytest.approx(total)
        assert row.carbon_g_per_kwh is None


# -- forecasts ---------------------------------------------------------------------------


async def test_forecasts_today_then_tomorrow_once_published(rte: RunningRte) -> None:
    """Today's D-1 rows now; tomorrow's only after 18:00 Paris."""
    client = rte.client()
    batch = await client.async_get_forecast(TODAY, 2)
    assert_rows(batch, paris_hours(TODAY))
    assert batch.skipped == 0
    published = expected_forecast_publication(TODAY + timedelta(days=1))
    assert published == rte.sim.published_at(TODAY + timedelta(days=1))
    rte.sim.clock.set(published)
    batch = await client.async_get_forecast(TODAY, 2)
    assert_rows(batch, paris_hours(TODAY, 2))
    forecasts = [entry for entry in rte.sim.requests if entry.endpoint == "forecasts"]
    assert forecasts[0].query["production_type"] == "SOLAR,WIND_ONSHORE,WIND_OFFSHORE"
    assert forecasts[0].query["type"] == "D-1"
    assert forecasts[0].query["start_date"] == "2026-01-22T00:00:00+01:00"


@pytest.mark.parametrize(
    ("day", "hours"), [(date(2026, 3, 29), 23), (date(2026, 10, 25), 25)]
)
async def test_forecasts_on_dst_days(day: date, hours: int) -> None:
    """A Paris day across the change of time has 23 or 25 hourly rows."""
    async with running_rte(datetime.combine(day, time(12), UTC)) as running:
        batch = await running.client().async_get_forecast(day, 1)
    assert len(batch.rows) == hours
    assert_rows(batch, paris_hours(day))


async def test_unpublished_days_give_no_rows(rte: RunningRte) -> None:
    """Asking only for an unpublished day: the portal's 404 is no rows."""
    client = rte.client()
    batch = await client.async_get_forecast(TODAY + timedelta(days=2), 1)
    assert batch.rows == ()
    assert rte.sim.count("short_term") == 0  # nothing to pair: not asked


@pytest.mark.parametrize("days", [0, 4, -1])
async def test_forecast_days_are_checked(rte: RunningRte, days: int) -> None:
    """One to three days, refused locally otherwise."""
    client = rte.client()
    with pytest.raises(RequestRejected):
        await client.async_get_forecast(TODAY, days)
    assert client.requests_sent == 0


# -- tokens ------------------------------------------------------------------------------


async def test_one_token_serves_many_calls(rte: RunningRte) -> None:
    """The token is fetched once and reused until it nears its expiry."""
    client = rte.client()
    assert client.token_expires is None
    for _ in range(3):
        await client.async_get_forecast(TODAY, 1)
    await client.async_get_ecowatt()
    assert rte.sim.tokens_issued == 1
    assert rte.sim.count(TOKEN_PATH) == 1
    assert client.token_expires == NOW + timedelta(seconds=7200)
    (token_request,) = [e for e in rte.sim.requests if e.endpoint == "token"]
    assert token_request.identity is not None
    rte.sim.clock.advance(timedelta(seconds=7200 - 59))  # within the 60 s margin
    await client.async_get_forecast(TODAY, 1)
    assert rte.sim.tokens_issued == 2


async def test_a_rejected_token_is_renewed_once(rte: RunningRte) -> None:
    """401 on a data call: one new token, one retry."""
    client = rte.client()
    await client.async_get_forecast(TODAY, 1)
    rte.sim.expire_tokens()
    batch = await client.async_get_forecast(TODAY, 1)
    assert len(batch.rows) == 24
    assert rte.sim.tokens_issued == 2


async def test_concurrent_calls_renew_the_token_once(rte: RunningRte) -> None:
    """Two calls rejected together: the second reuses the first one's new token."""
    client = rte.client()
    await client.async_check_credentials()
    rte.sim.expire_tokens()
    first, second = await asyncio.gather(
        client.async_get_forecast(TODAY, 1), client.async_get_forecast(TODAY, 1)
    )
    assert first == second
    assert rte.sim.tokens_issued == 2


async def test_a_second_401_is_an_auth_error(rte: RunningRte) -> None:
    """A fresh token rejected too: AuthError, after exactly one renewal."""
    rte.sim.fail_next("signals", 401, times=2)
    with pytest.raises(AuthError):
        await rte.client().async_get_ecowatt()
    assert rte.sim.tokens_issued == 2


async def test_credentials_check(rte: RunningRte) -> None:
    """Good credentials pass; a wrong secret is AuthError, never echoed."""
    await rte.client().async_check_credentials()
    bad = rte.client(client_secret="not-the-secret")
    with pytest.raises(AuthError) as raised:
        await bad.async_check_credentials()
    assert "not-the-secret" not in str(raised.value)
    with pytest.raises(AuthError):
        await bad.async_get_forecast(TODAY, 1)
    assert DEMO_CLIENT_SECRET not in repr(rte.client())


async def test_empty_credentials_are_not_sent(rte: RunningRte) -> None:
    """No id or no secret: AuthError without a request."""
    client = rte.client(client_id=" ", client_secret="x")
    with pytest.raises(AuthError):
        await client.async_check_credentials()
    assert client.requests_sent == 0


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (500, None, ProviderUnavailable),
        (503, None, ProviderUnavailable),
        (429, None, RateLimited),
        (400, None, AuthError),
        (403, None, AuthError),
        (200, {"token_type": "Bearer"}, InvalidResponse),
        (200, {"access_token": 12345}, InvalidResponse),
        (200, "not json", InvalidResponse),
    ],
)
async def test_token_endpoint_failures(
    rte: RunningRte, status: int, body: object, error: type[ProviderError]
) -> None:
    """Each failure of the token endpoint becomes its typed error."""
    rte.sim.fail_next("token", status, body)
    with pytest.raises(error):
        await rte.client().async_check_credentials()


async def test_token_without_lifetime_gets_a_default(rte: RunningRte) -> None:
    """A token answered without ``expires_in`` is kept an hour."""
    rte.sim.fail_next("token", 200, {"access_token": "abc", "token_type": "Bearer"})
    client = rte.client()
    await client.async_check_credentials()
    assert client.token_expires == NOW + timedelta(hours=1)


# -- EcoWatt -----------------------------------------------------------------------------


def assert_ecowatt(forecast: EcowattForecast, first_day: date) -> None:
    """Every hour is the simulator's level of its Paris wall-clock hour."""
    for hour in forecast.hours:
        local = hour.start.astimezone(PARIS)
        assert hour.level == ecowatt_level(local.date(), local.hour)
    assert forecast.hours[0].start == datetime.combine(first_day, time(0), PARIS)
    last = first_day + timedelta(days=4)
    assert forecast.hours[-1].end == datetime.combine(last, time(0), PARIS)
    for before, after in pairwise(forecast.hours):
        assert before.end == after.start


async def test_ecowatt_hours_and_stress(rte: RunningRte) -> None:
    """Four days of hours; orange and red hours become stress periods."""
    forecast = await rte.client().async_get_ecowatt()
    assert len(forecast.hours) == 96
    assert forecast.skipped == 0
    assert forecast.generated == datetime(2026, 1, 21, 16, 0, tzinfo=UTC)
    assert_ecowatt(forecast, TODAY)
    stress = forecast.stress()
    stressed = {
        hour.start for hour in forecast.hours if hour.level >= ECOWATT_STRESS_LEVEL
    }
    covered = {
        hour.start
        for hour in forecast.hours
        for period in stress
        if period.start <= hour.start < period.end
    }
    assert covered == stressed
    assert {period.reason for period in stress} == {"ecowatt_2", "ecowatt_3"}
    # Adjacent hours of one level are one period: 07:00-08:00 orange, 08:00-10:00 red.
    red = [p for p in stress if p.reason == "ecowatt_3"]
    assert red[0].start == datetime(2026, 1, 23, 7, 0, tzinfo=UTC)
    assert red[0].end == datetime(2026, 1, 23, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("day", "hours"), [(date(2026, 3, 29), 23), (date(2026, 10, 25), 25)]
)
async def test_ecowatt_on_dst_days(day: date, hours: int) -> None:
    """A 23-hour day drops the skipped hour; on a 25-hour day pas 2 covers both."""
    async with running_rte(datetime.combine(day, time(10), UTC)) as running:
        forecast = await running.client().async_get_ecowatt()
    assert_ecowatt(forecast, day)
    first_day = [h for h in forecast.hours if h.start.astimezone(PARIS).date() == day]
    assert sum((h.end - h.start for h in first_day), timedelta(0)) == timedelta(
        hours=hours
    )


async def test_ecowatt_is_asked_at_most_every_15_minutes(rte: RunningRte) -> None:
    """Within 15 minutes the last answer is reused; then a new request."""
    client = rte.client()
    first = await client.async_get_ecowatt()
    rte.sim.clock.advance(timedelta(minutes=14))
    assert await client.async_get_ecowatt() is first
    assert rte.sim.count("signals") == 1
    rte.sim.clock.advance(timedelta(minutes=1))
    await client.async_get_ecowatt()
    assert rte.sim.count("signals") == 2


async def test_ecowatt_rate_limit_is_rate_limited(rte: RunningRte) -> None:
    """Another client of the same application within 15 minutes: 429."""
    await rte.client().async_get_ecowatt()
    rte.sim.clock.advance(timedelta(minutes=5))
    with pytest.raises(RateLimited) as raised:
        await rte.client().async_get_ecowatt()
    assert raised.value.retry_after == 601


async def test_an_unsubscribed_api_is_not_authorized(rte: RunningRte) -> None:
    """An application without the EcoWatt subscription gets NotAuthorized."""
    client = rte.client(FORECASTS_ONLY_CLIENT_ID, FORECASTS_ONLY_CLIENT_SECRET)
    assert len((await client.async_get_forecast(TODAY, 1)).rows) == 24
    with pytest.raises(NotAuthorized):
        await client.async_get_ecowatt()


@pytest.mark.parametrize(("status", "error"), STATUS_ERRORS)
async def test_data_error_statuses(
    rte: RunningRte, status: int, error: type[ProviderError]
) -> None:
    """Each injected status on a data call becomes its typed error."""
    rte.sim.fail_next("signals", status, times=2)
    with pytest.raises(error) as raised:
        await rte.client().async_get_ecowatt()
    if isinstance(raised.value, RateLimited):
        assert raised.value.retry_after == 900


@pytest.mark.parametrize("status", [500, 429, 403])
async def test_forecast_errors_are_raised(rte: RunningRte, status: int) -> None:
    """A failing forecast call is not mistaken for "not published"."""
    rte.sim.fail_next("short_term", status)
    with pytest.raises(ProviderError):
        await rte.client().async_get_forecast(TODAY, 1)


@pytest.mark.parametrize("mode", ["truncated", "html", "garbage"])
async def test_garbage_is_an_invalid_response(rte: RunningRte, mode: str) -> None:
    """A body that is not the portal's JSON is InvalidResponse."""
    rte.sim.malformed_next("forecasts", mode)
    with pytest.raises(InvalidResponse):
        await rte.client().async_get_forecast(TODAY, 1)


async def test_timeout(rte: RunningRte) -> None:
    """No answer within the timeout is RequestTimeout."""
    rte.sim.hang_next("signals", 3.0)
    with pytest.raises(RequestTimeout):
        await rte.client(timeout=0.3).async_get_ecowatt()
