"""The Datadis client over real HTTP against the simulator."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
import json
from pathlib import Path
import re

import aiohttp
import pytest

from custom_components.gridmeter.providers.datadis import DatadisClient, DatadisSupply
from custom_components.gridmeter.providers.errors import (
    AlreadyQueried,
    AuthError,
    CannotConnect,
    DistributorError,
    InvalidResponse,
    NoMeterPoints,
    NotAuthorized,
    ProviderUnavailable,
    RateLimited,
    RequestTimeout,
)
from custom_components.gridmeter.providers.ledger import QueryLedger
from custom_components.gridmeter.providers.models import EnergyKind

from ..datadis_sim import (
    CANARY,
    FLAT,
    HEAT_PUMP,
    PASSWORD,
    SOLAR,
    RunningSim,
    running_datadis,
)

NOW = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)
FIXTURES = Path(__file__).parent / "fixtures"
WINDOW = (date(2024, 12, 1), date(2026, 11, 1))

# The clock ticks from NOW so that request timeouts still fire.
pytestmark = [
    pytest.mark.freeze_time(NOW, tick=True),
    pytest.mark.usefixtures("socket_enabled"),
]


@pytest.fixture
async def datadis() -> AsyncIterator[RunningSim]:
    """A simulator on a local port."""
    async with running_datadis() as running:
        yield running


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """A plain session (the integration injects Home Assistant's)."""
    async with aiohttp.ClientSession() as client_session:
        yield client_session


def client_for(
    datadis: RunningSim,
    session: aiohttp.ClientSession,
    username: str = "12345678Z",
    password: str = PASSWORD,
    **kwargs: object,
) -> DatadisClient:
    return DatadisClient(session, username, password, base_url=datadis.url, **kwargs)  # type: ignore[arg-type]


async def client_and_supply(
    datadis: RunningSim,
    session: aiohttp.ClientSession,
    cups: str = FLAT,
    **kwargs: object,
) -> tuple[DatadisClient, DatadisSupply]:
    """A client (`client_for` arguments) and one of its supplies as listed."""
    client = client_for(datadis, session, **kwargs)  # type: ignore[arg-type]
    supplies = await client.async_get_supplies()
    return client, next(s for s in supplies if s.cups == cups)


def unknown_supply(
    postal_code: str | None = None, region_code: str | None = None
) -> DatadisSupply:
    """A supply Datadis does not know, built without asking it."""
    return DatadisSupply(
        provider="datadis",
        meter_id="X",
        cups="X",
        timezone="Europe/Madrid",
        distributor_code="2",
        postal_code=postal_code,
        region_code=region_code,
    )


async def test_supplies_and_contract(
    datadis: RunningSim, session: aiohttp.ClientSession
) -> None:
    """Login once, list supplies with their query parameters, read contracts."""
    client = client_for(datadis, session)
    supplies = await client.async_get_supplies()
    assert {s.cups for s in supplies} == {FLAT, HEAT_PUMP}
    flat = next(s for s in supplies if s.cups == FLAT)
    assert flat.meter_id == FLAT[:20]
    assert flat.distributor_code == "2"
    assert flat.point_type == 5
    assert flat.timezone == "Europe/Madrid"
    assert flat.postal_code == "28004"
    contract = await client.async_get_contract(flat)
    assert contract is not None
    assert contract.contracted_power_kw
    assert contract.tariff_code == "2T"
    assert datadis.sim.count("login") == 1
    assert client.requests_sent == 3


async def test_whole_window_equals_truth_per_hour_dst_included(
    datadis: RunningSim, session: aiohttp.ClientSession
) -> None:
    """24 months in one request; every hour equals the simulator's truth."""
    client, flat = await client_and_supply(datadis, session)
    batch = await client.async_get_consumption(flat, *WINDOW)
    got = {r.start: r.kwh for r in batch.readings if r.kind is EnergyKind.CONSUMPTION}
    truth = {
        hour: t.consumption
        for hour, t in datadis.truth(FLAT).items()
        if hour >= datetime(2024, 11, 30, 23, tzinfo=UTC) and t.consumption is not None
    }
    assert got == truth
    # Both DST days are inside the window, with 25 and 23 hours.
    autumn = [
        h
        for h in got
        if datetime(2025, 10, 25, 22, tzinfo=UTC)
        <= h
        < datetime(2025, 10, 26, 23, tzinfo=UTC)
    ]
    spring = [
        h
        for h in got
        if datetime(2026, 3, 28, 23, tzinfo=UTC)
        <= h
        < datetime(2026, 3, 29, 22, tzinfo=UTC)
    ]
    assert (len(autumn), len(spring)) == (25, 23)
    assert batch.skipped == 0
    assert datadis.sim.count("get-consumption-data-v2") == 1


async def test_ide_stray_rows_and_solar_registers(
    datadis: RunningSim, session: aiohttp.ClientSession
) -> None:
    """i-DE's extra 00:00 rows are dropped and counted; solar columns parsed."""
    client, house = await client_and_supply(datadis, session, HEAT_PUMP)
    batch = await client.async_get_consumption(
        house, date(2026, 9, 1), date(2026, 10, 1)
    )
    assert batch.skipped > 0
    got = {r.start: r.kwh for r in batch.readings}
    truth = datadis.truth(HEAT_PUMP)
    assert all(truth[hour].consumption == kwh for hour, kwh in got.items())

    solar_client, solar = await client_and_supply(
        datadis, session, SOLAR, username="X1234567L"
    )
    batch = await solar_client.async_get_consumption(
        solar, date(2026, 6, 1), date(2026, 6, 1)
    )
    assert batch.kinds == set(EnergyKind)
    surplus = sum(r.kwh for r in batch.readings if r.kind is EnergyKind.RETURN)
    assert surplus > 0


async def test_identical_query_is_answered_from_the_ledger(
    datadis: RunningSim, session: aiohttp.ClientSession
) -> None:
    """The same query within 24 h never reaches Datadis, even after a restart."""
    client, flat = await client_and_supply(datadis, session)
    first = await client.async_get_consumption(
        flat, date(2026, 10, 1), date(2026, 10, 1)
    )
    saved = client.ledger.as_dict()
    restarted = client_for(datadis, session, ledger=QueryLedger.from_dict(saved))
    restarted.restore_token(client.token_state)
    again = await restarted.async_get_consumption(
        flat, date(2026, 10, 1), date(2026, 10, 1)
    )
    assert again.readings == first.readings
    assert datadis.sim.count("get-consumption-data-v2") == 1
    assert datadis.sim.count("login") == 1
    assert restarted.requests_sent == 0


async def test_429_is_never_retried(
    datadis: RunningSim, session: aiohttp.ClientSession
) -> None:
    """Another client asked first: Datadis says 429; we then never ask again."""
    other, flat = await client_and_supply(datadis, session)
    await other.async_get_max_power(flat, date(2026, 10, 1), date(2026, 10, 1))
    client = client_for(datadis, session)
    with pytest.raises(RateLimited) as raised:
        await client.async_get_max_power(flat, date(2026, 10, 1), date(2026, 10, 1))
    assert not isinstance(raised.value, AlreadyQueried)
    assert raised.value.retry_after == 86400
    with pytest.raises(AlreadyQueried) as again:
        await client.async_get_max_power(flat, date(2026, 10, 1), date(2026, 10, 1))
    assert again.value.failed is False
    assert datadis.sim.count("get-max-power-v2") == 2


async def test_server_error_burns_the_query(
    datadis: RunningSim, session: aiohttp.ClientSession
) -> None:
    """A 500 may have consumed the query: not repeated, but a smaller one may go."""
    client, flat = await client_and_supply(datadis, session)
    datadis.sim.fail_next("get-consumption-data-v2", status=500)
    with pytest.raises(ProviderUnavailable):
        await client.async_get_consumption(flat, *WINDOW)
    with pytest.raises(AlreadyQueried) as again:
        await client.async_get_consumption(flat, *WINDOW)
    assert again.value.failed is True
    batch = await client.async_get_consumption(flat, WINDOW[1], WINDOW[1])
    assert batch.readings


async def test_supplies_failure_is_not_remembered(
    datadis: RunningSim, session: aiohttp.ClientSession
) -> None:
    """Supplies are not rate-ruled: a 502 can be retried at once."""
    client = client_for(datadis, session)
    datadis.sim.fail_next("get-supplies-v2", status=502)
    with pytest.raises(ProviderUnavailable):
        await client.async_get_supplies()
    assert await client.async_get_supplies()


async def test_token_expiry_logs_in_again(
    datadis: RunningSim, session: aiohttp.ClientSession
) -> None:
    """A 401 on a data call: one new login, one retry, success."""
    client, flat = await client_and_supply(datadis, session)
    datadis.sim.expire_tokens()
    assert await client.async_get_contract(flat) is not None
    assert datadis.sim.count("login") == 2


async def test_token_persists_and_expires(
    datadis: RunningSim, session: aiohttp.ClientSession
) -> None:
    """A saved token is reused until shortly before its 24 h end."""
    client = client_for(datadis, session)
    await client.async_login()
    state = client.token_state
    assert state is not None
    reborn = client_for(datadis, session)
    reborn.restore_token(state)
    await reborn.async_login()
    assert datadis.sim.count("login") == 1
    expired = client_for(datadis, session)
    expired.restore_token(
        {"token": state["token"], "expires": (NOW + timedelta(minutes=5)).isoformat()}
    )
    expired.restore_token({"nonsense": 1})
    expired.restore_token(None)
    await expired.async_login()
    assert datadis.sim.count("login") == 2


@pytest.mark.parametrize("status", [500, 401])
async def test_bad_credentials(
    datadis: RunningSim, session: aiohttp.ClientSession, status: int
) -> None:
    """Datadis says "Bad credentials" with a 500 (or a 401)."""
    datadis.sim.bad_credentials_status = status
    client = client_for(datadis, session, password="wrong")
    with pytest.raises(AuthError):
        await client.async_get_supplies()


async def test_login_failures(
    datadis: RunningSim, session: aiohttp.ClientSession
) -> None:
    """Login outages and garbage are not credential errors."""
    client = client_for(datadis, session)
    datadis.sim.fail_next("login", status=503)
    with pytest.raises(ProviderUnavailable):
        await client.async_login()
    datadis.sim.malformed_next("login", mode="html")
    with pytest.raises(InvalidResponse):
        await client.async_login()
    datadis.sim.fail_next("login", status=429)
    with pytest.raises(RateLimited):
        await client.async_login()


async def test_accounts_without_supplies_and_authorised_nif(
    datadis: RunningSim, session: aiohttp.ClientSession
) -> None:
    """404 No supplies; an authorising NIF's supplies; a NIF that authorised nothing."""
    with pytest.raises(NoMeterPoints):
        await client_for(datadis, session, "00000000T").async_get_supplies()
    company = client_for(datadis, session, "B12345674", authorized_nif="87654321X")
    supplies = await company.async_get_supplies()
    assert [s.cups for s in supplies] == [CANARY]
    assert supplies[0].timezone == "Atlantic/Canary"
    batch = await company.async_get_consumption(
        supplies[0], date(2026, 10, 1), date(2026, 10, 1)
    )
    assert batch.readings
    with pytest.raises(NotAuthorized):
        await client_for(
            datadis, session, "B12345674", authorized_nif="12345678Z"
        ).async_get_supplies()
    # The holder's own NIF is never sent as authorizedNif.
    own = client_for(datadis, session, "12345678Z", authorized_nif="12345678z ")
    assert len(await own.async_get_supplies()) == 2


async def test_timeouts_garbage_and_distributor_errors(
    datadis: RunningSim, session: aiohttp.ClientSession
) -> None:
    """Each misbehaviour maps to its typed error."""
    client, flat = await client_and_supply(datadis, session, timeout=0.3)
    datadis.sim.hang_next("get-consumption-data-v2", 2)
    with pytest.raises(RequestTimeout):
        await client.async_get_consumption(flat, date(2026, 1, 1), date(2026, 1, 1))
    datadis.sim.malformed_next("get-consumption-data-v2", mode="truncated")
    with pytest.raises(InvalidResponse):
        await client.async_get_consumption(flat, date(2026, 2, 1), date(2026, 2, 1))
    datadis.sim.distributor_error(flat.cups, {"2026/03"})
    with pytest.raises(DistributorError):
        await client.async_get_consumption(flat, date(2026, 3, 1), date(2026, 3, 1))
    datadis.sim.fail_next(
        "get-contract-detail-v2",
        status=200,
        body='{"contract": [], "distributorError": [{"distributorCode": "2", '
        '"distributorName": "EDISTRIBUCIÓN", "errorCode": "50", '
        '"errorDescription": "Error interno distribuidora"}]}',
    )
    with pytest.raises(DistributorError):
        await client.async_get_contract(flat)
    datadis.sim.fail_next(
        "get-supplies-v2",
        status=200,
        body='{"supplies": [], "distributorError": [{"errorDescription": "x"}]}',
    )
    with pytest.raises(DistributorError):
        await client_for(datadis, session).async_get_supplies()
    datadis.sim.fail_next(
        "get-contract-detail-v2", status=400, body="Fechas incorrectas"
    )
    from custom_components.gridmeter.providers.errors import RequestRejected

    with pytest.raises(RequestRejected):
        await client.async_get_contract(flat)


async def test_max_power_matches_truth(
    datadis: RunningSim, session: aiohttp.ClientSession
) -> None:
    """Monthly peaks per period, in kW, at their UTC instants."""
    client, flat = await client_and_supply(datadis, session)
    batch = await client.async_get_max_power(flat, *WINDOW)
    assert not batch.partial
    peaks = batch.peaks
    truth = {
        (p.at, p.kw)
        for p in datadis.sim.peaks(FLAT)
        if p.at >= datetime(2024, 11, 30, 23, tzinfo=UTC)
    }
    assert {(p.at, p.kw) for p in peaks} == truth
    assert {p.period for p in peaks} == {"p1", "p2", "p3"}


async def test_area_averages(
    datadis: RunningSim, session: aiohttp.ClientSession
) -> None:
    """The public API's per-home daily average for the supply's postal code."""
    client, flat = await client_and_supply(datadis, session)
    averages = await client.async_get_area_averages(
        flat, date(2026, 10, 25), date(2026, 11, 8)
    )
    assert averages
    assert all(0 < a.average_kwh < 50 for a in averages)
    nowhere = unknown_supply(postal_code="99999", region_code="28")
    no_region = unknown_supply()
    for supply in (nowhere, no_region):
        assert (
            await client.async_get_area_averages(
                supply, date(2026, 10, 25), date(2026, 11, 8)
            )
            == []
        ), supply
    datadis.sim.fail_next("api-search", status=500)
    with pytest.raises(ProviderUnavailable):
        await client.async_get_area_averages(
            flat, date(2026, 10, 25), date(2026, 11, 8)
        )


async def test_unreachable_host_is_not_remembered(
    session: aiohttp.ClientSession,
) -> None:
    """A request that never left is not counted against the 24 h rule."""
    client = DatadisClient(
        session, "12345678Z", PASSWORD, base_url="http://127.0.0.1:9"
    )
    with pytest.raises(CannotConnect):
        await client.async_login()
    supply = unknown_supply()
    client.restore_token(
        {"token": "t", "expires": (NOW + timedelta(days=1)).isoformat()}
    )
    with pytest.raises(CannotConnect):
        await client.async_get_consumption(supply, date(2026, 1, 1), date(2026, 1, 1))
    assert client.ledger.as_dict() == {}


async def test_stray_00_00_on_todays_partial_day_moves_nothing(
    datadis: RunningSim, session: aiohttp.ClientSession
) -> None:
    """The latest day is incomplete (no 24:00 yet) and carries i-DE's stray
    00:00 row: the row is dropped and every hour stays where it belongs.
    """
    datadis.sim.publication_delay = timedelta(0)
    today = NOW.date()
    datadis.sim.stray_rows(HEAT_PUMP, {today, today - timedelta(days=1)})
    client, house = await client_and_supply(datadis, session, HEAT_PUMP)
    batch = await client.async_get_consumption(
        house, date(2026, 11, 1), date(2026, 11, 1)
    )
    got = {r.start: r.kwh for r in batch.readings if r.kind is EnergyKind.CONSUMPTION}
    truth = datadis.truth(HEAT_PUMP)
    midnight = datetime(2026, 11, 9, 23, tzinfo=UTC)  # today 00:00 Madrid
    todays = sorted(hour for hour in got if hour >= midnight)
    assert todays, "the simulator serves part of today"
    assert {hour: got[hour] for hour in todays} == {
        hour: truth[hour].consumption for hour in todays
    }
    assert all(truth[hour].consumption == kwh for hour, kwh in got.items())
    assert batch.skipped >= 2  # at least yesterday's and today's stray rows


async def test_supplies_of_a_failing_distributor_are_reported(
    datadis: RunningSim, session: aiohttp.ClientSession
) -> None:
    """A distributorError next to the other supplies names the failing
    distributor, and such an incomplete list is not reused from the ledger.
    """
    datadis.sim.fail_supplies_of({"8"})
    client = client_for(datadis, session)
    answer = await client.async_get_supply_list()
    assert [s.cups for s in answer.supplies] == [FLAT]
    assert answer.failed_distributors == {"8"}
    datadis.sim.fail_supplies_of(set())
    answer = await client.async_get_supply_list()
    assert {s.cups for s in answer.supplies} == {FLAT, HEAT_PUMP}
    assert answer.failed_distributors == frozenset()
    assert datadis.sim.count("get-supplies-v2") == 2
    # A complete list is remembered as before.
    await client.async_get_supply_list()
    assert datadis.sim.count("get-supplies-v2") == 2


async def test_partial_consumption_answer_is_flagged_even_from_the_ledger(
    datadis: RunningSim, session: aiohttp.ClientSession
) -> None:
    """Rows with a distributorError beside them make a partial batch."""
    client, flat = await client_and_supply(datadis, session)
    datadis.sim.distributor_error(FLAT, {"2026/09"}, partial=True)
    batch = await client.async_get_consumption(
        flat, date(2026, 9, 1), date(2026, 10, 1)
    )
    assert batch.partial
    assert batch.readings
    again = await client.async_get_consumption(
        flat, date(2026, 9, 1), date(2026, 10, 1)
    )
    assert again.partial
    assert again.readings == batch.readings
    assert datadis.sim.count("get-consumption-data-v2") == 1
    whole = await client.async_get_consumption(
        flat, date(2026, 10, 1), date(2026, 10, 1)
    )
    assert not whole.partial


async def test_partial_max_power_answer_is_flagged_even_from_the_ledger(
    datadis: RunningSim, session: aiohttp.ClientSession
) -> None:
    """Peaks with a distributorError beside them make a partial batch."""
    client, flat = await client_and_supply(datadis, session)
    datadis.sim.distributor_error(FLAT, {"2026/09"}, partial=True)
    batch = await client.async_get_max_power(flat, date(2026, 9, 1), date(2026, 9, 1))
    assert batch.partial
    assert batch.peaks
    again = await client.async_get_max_power(flat, date(2026, 9, 1), date(2026, 9, 1))
    assert again.partial
    assert again.peaks == batch.peaks
    assert datadis.sim.count("get-max-power-v2") == 1
    whole = await client.async_get_max_power(flat, date(2026, 10, 1), date(2026, 10, 1))
    assert not whole.partial


async def test_a_ledger_of_the_first_stored_format_is_served(
    datadis: RunningSim, session: aiohttp.ClientSession
) -> None:
    """A store written by GridMeter 0.1 (whole rows under "answer", written
    by that version's client at NOW) keeps every query's outcome and sending
    time, and its answers are served again without a request.
    """
    stored = json.loads((FIXTURES / "ledger_v1.json").read_text())
    ledger = QueryLedger.from_dict(stored)
    for key, raw in stored.items():
        entry = ledger.lookup(key)
        assert entry is not None, key
        assert (entry.outcome.value, entry.sent_at.isoformat()) == (
            raw["outcome"],
            raw["sent_at"],
        )
    assert list(ledger.blocked()) == ["get-consumption-data-v2?failed"]
    client = client_for(datadis, session, ledger=ledger)
    flat = next(s for s in await client.async_get_supplies() if s.cups == FLAT)
    assert await client.async_get_contract(flat) is not None
    october = await client.async_get_consumption(
        flat, date(2026, 10, 1), date(2026, 10, 1)
    )
    peaks = await client.async_get_max_power(flat, date(2026, 9, 1), date(2026, 10, 1))
    assert client.requests_sent == 0
    fresh = client_for(datadis, session)
    assert (
        await fresh.async_get_consumption(flat, date(2026, 10, 1), date(2026, 10, 1))
    ).readings == october.readings
    assert (
        await fresh.async_get_max_power(flat, date(2026, 9, 1), date(2026, 10, 1))
    ).peaks == peaks.peaks
    # Written again in today's format: rows and a digest (none for old entries).
    saved = ledger.as_dict()
    assert all(
        "answer" not in entry and entry["digest"] is None for entry in saved.values()
    )
    assert QueryLedger.from_dict(saved).as_dict() == saved


async def test_the_ledger_keeps_a_digest_and_compact_rows(
    datadis: RunningSim, session: aiohttp.ClientSession
) -> None:
    """Of each good answer: a SHA-256 digest and only the fields the parsers
    read (no CUPS repeated on every consumption row), smaller than before.
    """
    client, flat = await client_and_supply(datadis, session)
    await client.async_get_contract(flat)
    await client.async_get_consumption(flat, date(2026, 10, 1), date(2026, 10, 1))
    await client.async_get_max_power(flat, date(2026, 9, 1), date(2026, 10, 1))
    saved = client.ledger.as_dict()
    assert len(saved) == 4
    for entry in saved.values():
        assert entry["outcome"] == "ok"
        assert re.fullmatch("[0-9a-f]{64}", entry["digest"])
    rows = {key.split("?")[0]: entry["rows"] for key, entry in saved.items()}
    assert all(
        "municipioCode" not in row for row in rows["get-supplies-v2"]["supplies"]
    )
    assert all("cups" not in row for row in rows["get-max-power-v2"]["maxPower"])
    packed = rows["get-consumption-data-v2"]["timeCurve"]
    assert FLAT not in json.dumps(packed)
    assert [day for day, _ in packed["days"]][:2] == ["2026/10/01", "2026/10/02"]
    first_format = json.loads((FIXTURES / "ledger_v1.json").read_text())
    assert len(json.dumps(saved)) < len(json.dumps(first_format))
