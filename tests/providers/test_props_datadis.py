"""Property-based tests of the Datadis parsers and client answer handlers."""

from __future__ import annotations

from collections.abc import AsyncIterator
import contextlib
from datetime import date, datetime, timedelta
import json
from typing import Any

import aiohttp
from hypothesis import given, strategies as st
import pytest

from custom_components.gridmeter.providers.datadis import DatadisClient, DatadisSupply
from custom_components.gridmeter.providers.datadis.client import _token_expiry
from custom_components.gridmeter.providers.datadis.compact import (
    pack_consumption,
    unpack_consumption,
)
from custom_components.gridmeter.providers.datadis.parsing import (
    distributor_errors,
    expect_list,
    failed_distributor_codes,
    parse_area_averages,
    parse_consumption,
    parse_contract,
    parse_max_power,
    parse_supplies,
)
from custom_components.gridmeter.providers.errors import InvalidResponse, ProviderError
from custom_components.gridmeter.providers.ledger import QueryLedger

from .fuzz import (
    NOW,
    Canned,
    Reply,
    as_json,
    assert_plausible,
    canned,
    dates,
    junk,
    mutated,
    scalars,
    truncated,
    wide_dates,
)
from .props import PROPERTY_TIMEOUT

pytestmark = [pytest.mark.timeout(PROPERTY_TIMEOUT)]

CUPS = "ES0031408273645190LY0F"
SUPPLY = DatadisSupply(
    provider="datadis",
    meter_id=CUPS[:20],
    cups=CUPS,
    timezone="Europe/Madrid",
    distributor_code="2",
    point_type=5,
    postal_code="28001",
    region_code="28",
)
MONTHS = (date(2026, 9, 1), date(2026, 10, 1))


def clock() -> datetime:
    """The tests' fixed now."""
    return NOW


def _day(day: date) -> str:
    return f"{day.year:04d}/{day.month:02d}/{day.day:02d}"


numbers = st.one_of(
    st.floats(0, 50, allow_nan=False).map(lambda v: round(v, 3)),
    scalars,
)

consumption_rows = st.lists(
    st.fixed_dictionaries(
        {
            "cups": st.just(CUPS),
            "date": st.one_of(
                dates(date(2026, 9, 1), date(2026, 10, 31)), wide_dates()
            ).map(_day),
            "time": st.integers(0, 25).map(lambda h: f"{h:02d}:00"),
            "consumptionKWh": numbers,
            "obtainMethod": st.sampled_from(["Real", "Estimada", ""]),
            "surplusEnergyKWh": numbers,
            "generationEnergyKWh": numbers,
            "selfConsumptionEnergyKWh": numbers,
        }
    ),
    max_size=30,
)
supply_rows = st.lists(
    st.fixed_dictionaries(
        {
            "address": st.just("CALLE MAYOR 1"),
            "cups": st.sampled_from([CUPS, CUPS[:20], "ES0021500743219876QF0F"]),
            "postalCode": st.sampled_from(["28001", "35001", "", "2"]),
            "province": st.just("Madrid"),
            "provinceCode": st.sampled_from(["28", "35", "38", "", "٣٥"]),
            "municipality": st.just("MADRID"),
            "distributor": st.just("UFD"),
            "validDateFrom": wide_dates().map(_day),
            "validDateTo": st.one_of(st.just(""), wide_dates().map(_day)),
            "pointType": st.one_of(st.integers(1, 5), scalars),
            "distributorCode": st.sampled_from(["2", "8", ""]),
        }
    ),
    max_size=5,
)
contract_rows = st.lists(
    st.fixed_dictionaries(
        {
            "cups": st.just(CUPS),
            "distributor": st.just("UFD"),
            "marketer": st.just("ACME"),
            "accessFare": st.just("2.0TD"),
            "codeFare": st.just("2T"),
            "contractedPowerkW": st.one_of(st.lists(numbers, max_size=3), numbers),
            "modePowerControl": st.just("ICP"),
            "startDate": wide_dates().map(_day),
            "endDate": st.one_of(st.just(""), wide_dates().map(_day)),
            "selfConsumptionTypeCode": st.sampled_from(["00", "31", ""]),
            "installedCapacityKW": numbers,
        }
    ),
    max_size=4,
)
max_power_rows = st.lists(
    st.fixed_dictionaries(
        {
            "cups": st.just(CUPS),
            "date": st.one_of(
                dates(date(2026, 9, 1), date(2026, 10, 31)), wide_dates()
            ).map(_day),
            "time": st.sampled_from(
                ["11:15", "00:00", "24:00", "25:00", "²:00", "7:61"]
            ),
            "maxPower": numbers,
            "period": st.sampled_from(["1", "2", "P3", "VALLE", "²", "P9", ""]),
        }
    ),
    max_size=12,
)
area_rows = st.lists(
    st.fixed_dictionaries(
        {
            "dataYear": st.one_of(st.just(2026), scalars),
            "dataMonth": st.one_of(st.integers(1, 12), scalars),
            "dataDay": st.one_of(st.integers(1, 31), scalars),
            "sumEnergy": numbers,
            "sumContracts": st.one_of(st.integers(0, 500), scalars),
        }
    ),
    max_size=10,
)


def answers(rows: st.SearchStrategy[Any], key: str) -> st.SearchStrategy[Any]:
    """A v2 envelope around the rows, mutated, or junk."""
    envelope = rows.map(lambda r: {key: r, "distributorError": []})
    return st.one_of(envelope, envelope.flatmap(mutated), rows, junk())


@given(body=answers(supply_rows, "supplies"))
def test_parse_supplies(body: Any) -> None:
    """Supplies: only InvalidResponse escapes; every kept value is plausible."""
    assert failed_distributor_codes(body) is None or isinstance(
        failed_distributor_codes(body), frozenset
    )
    assert all(isinstance(error, str) for error in distributor_errors(body))
    try:
        rows = expect_list(body, "supplies")
    except InvalidResponse:
        return
    assert_plausible(parse_supplies(rows))


@given(body=answers(contract_rows, "contract"))
def test_parse_contract(body: Any) -> None:
    """Contracts: powers finite and not negative, dates 2000-2099."""
    try:
        rows = expect_list(body, "contract")
    except InvalidResponse:
        return
    assert_plausible(parse_contract(rows, CUPS[:20]))


@given(body=answers(consumption_rows, "timeCurve"), ranged=st.booleans())
def test_parse_consumption(body: Any, ranged: bool) -> None:
    """Readings: finite kWh >= 0 in the asked months, at most 25 an hour-day."""
    try:
        rows = expect_list(body, "timeCurve")
    except InvalidResponse:
        return
    batch = parse_consumption(rows, SUPPLY, months=MONTHS if ranged else None)
    assert_plausible(batch)
    assert len(batch.readings) <= 4 * len(rows)
    if ranged:
        assert all(
            datetime(2026, 8, 31)
            <= r.start.replace(tzinfo=None)
            < datetime(2026, 11, 1)
            for r in batch.readings
        )
    starts = [(r.start, r.kind) for r in batch.readings]
    assert len(starts) == len(set(starts)), "an hour read twice"


@given(rows=st.one_of(consumption_rows, consumption_rows.flatmap(mutated)))
def test_compact_consumption_rows_parse_the_same(rows: Any) -> None:
    """The ledger's packed rows read back to the same batch as the answer."""
    if not isinstance(rows, list):
        return
    packed = json.loads(json.dumps(pack_consumption(rows)))  # as stored
    again = unpack_consumption(packed)
    assert again is not None
    assert parse_consumption(again, SUPPLY) == parse_consumption(rows, SUPPLY)


@given(body=answers(max_power_rows, "maxPower"))
def test_parse_max_power(body: Any) -> None:
    """Peaks: finite kW >= 0, UTC, counted when skipped."""
    try:
        rows = expect_list(body, "maxPower")
    except InvalidResponse:
        return
    batch = parse_max_power(rows, SUPPLY)
    assert_plausible(batch)
    assert len(batch.peaks) + batch.skipped == len(rows)


@given(body=answers(area_rows, "data"))
def test_parse_area_averages(body: Any) -> None:
    """Open-data rows: plausible days, finite averages, at least one home."""
    try:
        rows = expect_list(body, "data")
    except InvalidResponse:
        return
    assert_plausible(
        parse_area_averages(rows, "28001", days=(date(2026, 1, 1), date(2026, 1, 31)))
    )


@given(
    claims=st.one_of(
        st.fixed_dictionaries({"exp": st.one_of(scalars, st.integers(), st.floats())}),
        junk(),
    ),
    shape=st.sampled_from(["jwt", "cut", "two", "garbage"]),
)
def test_token_expiry_is_within_a_day(claims: Any, shape: str) -> None:
    """Whatever the JWT says, the expiry is within 24 h of the login."""
    import base64

    payload = base64.urlsafe_b64encode(as_json(claims).encode()).decode().rstrip("=")
    token = {
        "jwt": f"eyJhbGciOiJIUzI1NiJ9.{payload}.sig",
        "cut": f"eyJhbGciOiJIUzI1NiJ9.{payload[:-1]}.sig",
        "two": f"a.{payload}",
        "garbage": "a.%%%.b",
    }[shape]
    expires = _token_expiry(token, NOW)
    assert NOW < expires <= NOW + timedelta(hours=24)


# -- the client's answer handlers over real HTTP -----------------------------------


@pytest.fixture
async def server(socket_enabled: None) -> AsyncIterator[Canned]:
    """A local server answering what each example sets."""
    async with canned() as running:
        yield running


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """A plain client session."""
    async with aiohttp.ClientSession() as client_session:
        yield client_session


def client_for(server: Canned, session: aiohttp.ClientSession) -> DatadisClient:
    """A client holding a valid token (no login is sent)."""
    client = DatadisClient(
        session,
        "12345678Z",
        "secret",
        base_url=server.url,
        ledger=QueryLedger(clock=clock),
        timeout=10,
        clock=clock,
    )
    client.restore_token(
        {"token": "t", "expires": (NOW + timedelta(hours=20)).isoformat()}
    )
    return client


def bodies(rows: st.SearchStrategy[Any], key: str) -> st.SearchStrategy[str]:
    """Answer texts: the envelope, mutated, truncated, junk, not JSON."""
    texts = answers(rows, key).map(as_json)
    return st.one_of(
        texts, texts.flatmap(truncated), st.sampled_from(["<html>", "", "[" * 3000])
    )


statuses = st.sampled_from([200, 200, 200, 200, 400, 401, 403, 404, 429, 500, 504])


@given(body=bodies(supply_rows, "supplies"), status=statuses)
async def test_client_supplies(
    server: Canned, session: aiohttp.ClientSession, body: str, status: int
) -> None:
    """get-supplies-v2: a SupplyList or a typed error."""
    server.reply = Reply(body=body, status=status)
    try:
        result = await client_for(server, session).async_get_supply_list()
    except ProviderError:
        return
    assert_plausible(result.supplies)


@given(body=bodies(contract_rows, "contract"), status=statuses)
async def test_client_contract(
    server: Canned, session: aiohttp.ClientSession, body: str, status: int
) -> None:
    """get-contract-detail-v2: a plausible Contract, None, or a typed error."""
    server.reply = Reply(body=body, status=status)
    with contextlib.suppress(ProviderError):
        assert_plausible(await client_for(server, session).async_get_contract(SUPPLY))


@given(body=bodies(consumption_rows, "timeCurve"), status=statuses, again=st.booleans())
async def test_client_consumption(
    server: Canned, session: aiohttp.ClientSession, body: str, status: int, again: bool
) -> None:
    """get-consumption-data-v2, sent and served again from the ledger."""
    server.reply = Reply(body=body, status=status)
    client = client_for(server, session)
    try:
        first = await client.async_get_consumption(SUPPLY, *MONTHS)
    except ProviderError:
        return
    assert_plausible(first)
    if again:  # the replay from the ledger's compact rows is the same batch
        restored = QueryLedger.from_dict(client.ledger.as_dict(), clock=clock)
        client.ledger = restored
        replayed = await client.async_get_consumption(SUPPLY, *MONTHS)
        assert replayed.readings == first.readings


@given(body=bodies(max_power_rows, "maxPower"), status=statuses)
async def test_client_max_power(
    server: Canned, session: aiohttp.ClientSession, body: str, status: int
) -> None:
    """get-max-power-v2: a plausible PeakBatch or a typed error."""
    server.reply = Reply(body=body, status=status)
    with contextlib.suppress(ProviderError):
        assert_plausible(
            await client_for(server, session).async_get_max_power(SUPPLY, *MONTHS)
        )


@given(body=bodies(area_rows, "data"), status=statuses)
async def test_client_area_averages(
    server: Canned, session: aiohttp.ClientSession, body: str, status: int
) -> None:
    """The public api-search: plausible averages or a typed error."""
    server.reply = Reply(body=body, status=status)
    try:
        result = await client_for(server, session).async_get_area_averages(
            SUPPLY, date(2026, 9, 1), date(2026, 9, 30)
        )
    except ProviderError:
        return
    assert_plausible(result)


@given(
    body=st.one_of(
        st.just("eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjF9.sig"),
        scalars.map(str),
        junk().map(as_json),
    ),
    status=statuses,
)
async def test_client_login(
    server: Canned, session: aiohttp.ClientSession, body: str, status: int
) -> None:
    """nikola-auth login: a token kept for at most a day, or a typed error."""
    server.reply = Reply(body=body, status=status)
    client = DatadisClient(
        session, "12345678Z", "secret", base_url=server.url, timeout=10, clock=clock
    )
    try:
        await client.async_login()
    except ProviderError:
        return
    state = client.token_state
    assert state is not None
    assert NOW < datetime.fromisoformat(state["expires"]) <= NOW + timedelta(hours=24)


@given(stored=junk())
async def test_client_replays_any_ledger_entry(
    server: Canned, session: aiohttp.ClientSession, stored: Any
) -> None:
    """A restored ledger entry of any shape is served, refused or asked again."""
    server.reply = Reply(body=as_json({"contract": [], "distributorError": []}))
    client = client_for(server, session)
    for endpoint, call in (
        ("get-contract-detail-v2", client.async_get_contract(SUPPLY)),
        ("get-consumption-data-v2", client.async_get_consumption(SUPPLY, *MONTHS)),
    ):
        params = {"cups": CUPS, "distributorCode": "2"}
        if endpoint == "get-consumption-data-v2":
            params |= {
                "startDate": "2026/09",
                "endDate": "2026/10",
                "measurementType": "0",
                "pointType": "5",
            }
        key = client.query_key(endpoint, params)
        entry = {"sent_at": NOW.isoformat(), "outcome": "ok", "rows": stored}
        client.ledger = QueryLedger.from_dict({key: entry}, clock=clock)
        with contextlib.suppress(ProviderError):
            assert_plausible(await call)
