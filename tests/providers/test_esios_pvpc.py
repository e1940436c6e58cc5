"""PVPC prices from the ESIOS client over real HTTP against the simulator."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import pytest

from custom_components.gridmeter.providers.errors import (
    AuthError,
    CannotConnect,
    InvalidResponse,
    NotFound,
    ProviderUnavailable,
    RateLimited,
    RequestRejected,
    RequestTimeout,
)
from custom_components.gridmeter.providers.esios import (
    ARCHIVE_MAX_DAYS,
    INDICATOR_MAX_DAYS,
    PVPC_CANARIAS,
    PVPC_CEUTA_MELILLA,
    PVPC_PENINSULA,
    EsiosClient,
    PvpcZone,
)
from custom_components.gridmeter.providers.esios.systems import CANARY, MADRID
from simulator.esios import DEMO_TOKEN

from ..esios_sim import RunningEsios, running_esios

NOW = datetime(2026, 10, 26, 21, 0, tzinfo=UTC)
"""Evening of Monday 26 October 2026: the 27th is published."""
SPRING = date(2026, 3, 29)
AUTUMN = date(2026, 10, 25)
ZONES = [PVPC_PENINSULA, PVPC_CANARIAS, PVPC_CEUTA_MELILLA]

pytestmark = pytest.mark.usefixtures("socket_enabled")


@pytest.fixture
async def esios() -> AsyncIterator[RunningEsios]:
    """An ESIOS simulator frozen at NOW."""
    async with running_esios(NOW) as running:
        yield running


def truth(esios: RunningEsios, day: date, zone: PvpcZone) -> dict[datetime, float]:
    return esios.sim.truth(day, zone.tariff, zone.time_zone)


def served(prices: object) -> dict[datetime, float]:
    return {price.start: price.eur_per_kwh for price in prices}  # type: ignore[attr-defined]


@pytest.mark.parametrize("zone", ZONES, ids=lambda zone: zone.key)
@pytest.mark.parametrize("with_token", [False, True], ids=["archive", "token"])
async def test_dst_days_equal_the_truth(
    esios: RunningEsios, zone: PvpcZone, with_token: bool
) -> None:
    """23 and 25 prices on the DST days, each one the simulator's."""
    client = esios.token_client() if with_token else esios.client()
    for day, hours in ((SPRING, 23), (AUTUMN, 25), (AUTUMN + timedelta(days=1), 24)):
        result = await client.fetch_pvpc(day, day, zone)
        assert result.missing == ()
        assert result.rejected == 0
        assert len(result.by_day[day]) == hours
        assert served(result.by_day[day]) == truth(esios, day, zone)
    assert client.requests_sent == 3


async def test_canary_hours_are_local_hours(esios: RunningEsios) -> None:
    """A Canary supply pays the peninsula's 10-11 price from 10:00 Canary time."""
    client = esios.client()
    day = date(2026, 7, 15)
    peninsula = (await client.fetch_pvpc(day, day, PVPC_PENINSULA)).by_day[day]
    canary = (await client.fetch_pvpc(day, day, PVPC_CANARIAS)).by_day[day]
    assert [p.eur_per_kwh for p in peninsula] == [p.eur_per_kwh for p in canary]
    ten = datetime(2026, 7, 15, 10, tzinfo=MADRID).astimezone(UTC)
    ten_canary = datetime(2026, 7, 15, 10, tzinfo=CANARY).astimezone(UTC)
    assert served(peninsula)[ten] == served(canary)[ten_canary]
    assert ten_canary - ten == timedelta(hours=1)


async def test_ceuta_melilla_periods_differ(esios: RunningEsios) -> None:
    """CYM prices are their own column (periods one hour later)."""
    client = esios.client()
    day = date(2026, 10, 21)
    pcb = served((await client.fetch_pvpc(day, day, PVPC_PENINSULA)).by_day[day])
    cym = served((await client.fetch_pvpc(day, day, PVPC_CEUTA_MELILLA)).by_day[day])
    assert pcb.keys() == cym.keys()
    assert pcb != cym


async def test_24_month_backfill_without_token(esios: RunningEsios) -> None:
    """Two range requests (ZIPs of day files) give 731 days of prices."""
    client = esios.client()
    last = NOW.date()
    first = last - timedelta(days=730)
    result = await client.fetch_pvpc(first, last, PVPC_PENINSULA)
    assert result.requests == 2 == client.requests_sent
    assert esios.sim.count("download_json") == 2
    assert len(result.by_day) == 731
    assert result.missing == ()
    for day in (first, SPRING, AUTUMN, last):
        assert served(result.by_day[day]) == truth(esios, day, PVPC_PENINSULA)
    assert len(result.prices) == sum(len(hours) for hours in result.by_day.values())
    queries = [entry.query for entry in esios.sim.requests]
    assert all(query.get("date_type") == "datos" for query in queries)
    spans = [
        (
            date.fromisoformat(q["end_date"][:10])
            - date.fromisoformat(q["start_date"][:10])
        ).days
        + 1
        for q in queries
    ]
    assert spans == [ARCHIVE_MAX_DAYS, 731 - ARCHIVE_MAX_DAYS]


async def test_24_month_backfill_with_token(esios: RunningEsios) -> None:
    """Two indicator range requests (one geo each) give the same 731 days."""
    client = esios.token_client()
    last = NOW.date()
    first = last - timedelta(days=730)
    result = await client.fetch_pvpc(first, last, PVPC_CEUTA_MELILLA)
    assert result.requests == 2 == esios.sim.count("1001")
    assert len(result.by_day) == 731
    assert served(result.by_day[AUTUMN]) == truth(esios, AUTUMN, PVPC_CEUTA_MELILLA)
    assert {entry.query["geo_ids[]"] for entry in esios.sim.requests} == {"8744"}
    days = [
        (
            date.fromisoformat(entry.query["end_date"][:10])
            - date.fromisoformat(entry.query["start_date"][:10])
        ).days
        + 1
        for entry in esios.sim.requests
    ]
    assert days == [INDICATOR_MAX_DAYS, 731 - INDICATOR_MAX_DAYS]


@pytest.mark.parametrize("with_token", [False, True], ids=["archive", "token"])
async def test_tomorrow_is_not_known_before_publication(
    esios: RunningEsios, with_token: bool
) -> None:
    """Before about 20:20 Madrid tomorrow is missing; afterwards it is there."""
    esios.sim.clock.set(datetime(2026, 10, 26, 19, 0, tzinfo=UTC))  # 20:00 Madrid
    client = esios.token_client() if with_token else esios.client()
    today, tomorrow = date(2026, 10, 26), date(2026, 10, 27)
    early = await client.fetch_pvpc(today, tomorrow)
    assert list(early.by_day) == [today]
    assert early.missing == (tomorrow,)
    assert early.rejected == 0
    esios.sim.clock.set(datetime(2026, 10, 26, 19, 30, tzinfo=UTC))
    late = await client.fetch_pvpc(today, tomorrow)
    assert list(late.by_day) == [today, tomorrow]
    assert served(late.by_day[tomorrow]) == truth(esios, tomorrow, PVPC_PENINSULA)


@pytest.mark.parametrize("with_token", [False, True], ids=["archive", "token"])
async def test_missing_day_is_filled_when_it_appears(
    esios: RunningEsios, with_token: bool
) -> None:
    """A withheld day is not known (no price at all) until it is published."""
    client = esios.token_client() if with_token else esios.client()
    gap = date(2026, 10, 10)
    esios.sim.withhold(gap)
    first = await client.fetch_pvpc(date(2026, 10, 9), date(2026, 10, 11))
    assert first.missing == (gap,)
    assert gap not in first.by_day
    assert not [p for p in first.prices if p.start.astimezone(MADRID).date() == gap]
    esios.sim.release(gap)
    second = await client.fetch_pvpc(gap, gap)
    assert second.missing == ()
    assert served(second.by_day[gap]) == truth(esios, gap, PVPC_PENINSULA)


@pytest.mark.parametrize("with_token", [False, True], ids=["archive", "token"])
async def test_revision_is_visible(esios: RunningEsios, with_token: bool) -> None:
    """Fetching a revised day again returns the new prices."""
    client = esios.token_client() if with_token else esios.client()
    day = date(2026, 10, 20)
    before = served((await client.fetch_pvpc(day, day)).by_day[day])
    esios.sim.revise(day, 12.5)
    after = served((await client.fetch_pvpc(day, day)).by_day[day])
    assert after == truth(esios, day, PVPC_PENINSULA)
    assert all(round(after[hour] - before[hour], 5) == 0.0125 for hour in before)


async def test_single_day_zip_answer(esios: RunningEsios) -> None:
    """Since July 2026 a one-day answer may be a ZIP served as text/html."""
    esios.sim.zip_single_day = True
    result = await esios.client().fetch_pvpc(AUTUMN, AUTUMN, PVPC_CANARIAS)
    assert served(result.by_day[AUTUMN]) == truth(esios, AUTUMN, PVPC_CANARIAS)
    assert esios.sim.requests[0].query["date"] == AUTUMN.isoformat()


async def test_token_is_never_shown(esios: RunningEsios) -> None:
    """Neither the client's repr nor a refusal's message shows the token."""
    client = esios.token_client()
    assert DEMO_TOKEN not in repr(client)
    await client.fetch_pvpc(AUTUMN, AUTUMN)
    esios.sim.tokens.clear()
    with pytest.raises(AuthError) as caught:
        await client.fetch_pvpc(AUTUMN, AUTUMN)
    assert DEMO_TOKEN not in str(caught.value)


async def test_bad_ranges_are_refused(esios: RunningEsios) -> None:
    """First after last, or more than ten years: RequestRejected, nothing sent."""
    client = esios.client()
    with pytest.raises(RequestRejected):
        await client.fetch_pvpc(date(2026, 1, 2), date(2026, 1, 1))
    with pytest.raises(RequestRejected):
        await client.fetch_pvpc(date(2000, 1, 1), date(2026, 1, 1))
    assert client.requests_sent == 0


ARCHIVE_ERRORS = [
    (400, RequestRejected),
    (401, RequestRejected),
    (403, RequestRejected),
    (404, NotFound),
    (409, RequestRejected),
    (429, RateLimited),
    (500, ProviderUnavailable),
    (502, ProviderUnavailable),
    (503, ProviderUnavailable),
]


@pytest.mark.parametrize(("status", "error"), ARCHIVE_ERRORS)
async def test_archive_status_errors(
    esios: RunningEsios, status: int, error: type[Exception]
) -> None:
    """Every status of the public download maps to its typed error."""
    esios.sim.fail_next("download_json", status)
    with pytest.raises(error) as caught:
        await esios.client().fetch_pvpc(AUTUMN, AUTUMN)
    if status == 429:
        assert isinstance(caught.value, RateLimited)
        assert caught.value.retry_after == 30


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (401, AuthError),
        (403, AuthError),
        (404, NotFound),
        (429, RateLimited),
        (504, ProviderUnavailable),
    ],
)
async def test_indicator_status_errors(
    esios: RunningEsios, status: int, error: type[Exception]
) -> None:
    """With a token, 401 and 403 mean the token is refused."""
    esios.sim.fail_next("1001", status)
    with pytest.raises(error):
        await esios.token_client().fetch_pvpc(AUTUMN, AUTUMN)


async def test_retry_after_is_bounded(esios: RunningEsios) -> None:
    """A 429 asking for a day waits at most an hour."""
    esios.sim.retry_after = 86400
    esios.sim.fail_next("download_json", 429)
    with pytest.raises(RateLimited) as caught:
        await esios.client().fetch_pvpc(AUTUMN, AUTUMN)
    assert caught.value.retry_after == 3600.0


@pytest.mark.parametrize("mode", ["truncated", "html", "garbage"])
@pytest.mark.parametrize("with_token", [False, True], ids=["archive", "token"])
async def test_garbage_is_invalid_response(
    esios: RunningEsios, mode: str, with_token: bool
) -> None:
    """A broken body, single day or range, is InvalidResponse."""
    client = esios.token_client() if with_token else esios.client()
    endpoint = "1001" if with_token else "download_json"
    esios.sim.malformed_next(endpoint, mode, times=2)
    with pytest.raises(InvalidResponse):
        await client.fetch_pvpc(AUTUMN, AUTUMN)
    with pytest.raises(InvalidResponse):
        await client.fetch_pvpc(AUTUMN, AUTUMN + timedelta(days=1))


async def test_an_answer_too_big_is_refused(esios: RunningEsios) -> None:
    """Bodies beyond the cap of the requested days are not read to the end."""
    esios.sim.fail_next("download_json", 200, body=b"{" * (600 * 1024))
    with pytest.raises(InvalidResponse, match="more than"):
        await esios.client().fetch_pvpc(AUTUMN, AUTUMN)


async def test_timeout(esios: RunningEsios) -> None:
    """No answer in time: RequestTimeout."""
    esios.sim.hang_next("download_json", 5)
    with pytest.raises(RequestTimeout):
        await esios.client(timeout=0.2).fetch_pvpc(AUTUMN, AUTUMN)


async def test_cannot_connect(esios: RunningEsios) -> None:
    """Nobody listening: CannotConnect."""
    client = EsiosClient(esios.session, base_url="http://127.0.0.1:9")
    with pytest.raises(CannotConnect):
        await client.fetch_pvpc(AUTUMN, AUTUMN)


async def test_check_token(esios: RunningEsios) -> None:
    """The options flow's check: fine, refused, or nothing to check."""
    await esios.token_client().check_token()
    await esios.client().check_token(DEMO_TOKEN)
    with pytest.raises(AuthError):
        await esios.client().check_token("not-a-token")
    with pytest.raises(RequestRejected):
        await esios.client().check_token()
    entry = esios.sim.requests[0]
    assert entry.path == "/indicators/1001"
    assert entry.query["start_date"] == "2026-10-26T00:00"


async def test_server_hanging_up_is_unavailable(esios: RunningEsios) -> None:
    """A server that closes the connection mid-request: ProviderUnavailable."""

    async def hang_up(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        await reader.readline()
        writer.close()

    server = await asyncio.start_server(hang_up, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        client = EsiosClient(esios.session, base_url=f"http://127.0.0.1:{port}")
        with pytest.raises(ProviderUnavailable) as caught:
            await client.fetch_pvpc(AUTUMN, AUTUMN)
        assert not isinstance(caught.value, CannotConnect | RequestTimeout)
    finally:
        server.close()
        await server.wait_closed()
