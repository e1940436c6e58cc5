"""One example per defect class of issue 8 (items 2-4) in the provider layer.

Each test failed before its fix, with the exception named in its docstring;
the property-based tests (test_props_*.py) try the other inputs of each kind.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
import math
from typing import Any

import aiohttp
import pytest

from custom_components.gridmeter.providers import http
from custom_components.gridmeter.providers.datadis import DatadisClient, DatadisSupply
from custom_components.gridmeter.providers.datadis.client import _token_expiry
from custom_components.gridmeter.providers.datadis.parsing import (
    parse_area_averages,
    parse_consumption,
    parse_contract as parse_datadis_contract,
    parse_max_power,
    parse_supplies,
)
from custom_components.gridmeter.providers.digiwatt import DigiwattClient
from custom_components.gridmeter.providers.digiwatt.parsing import (
    duration,
    instant,
    parse_latest,
    parse_token,
)
from custom_components.gridmeter.providers.errors import InvalidResponse, RateLimited
from custom_components.gridmeter.providers.http import decode_json, send
from custom_components.gridmeter.providers.models import (
    AreaAverage,
    Contract,
    EnergyKind,
    EnergyReading,
    GreenWindow,
    LivePower,
    PowerPeak,
)
from custom_components.gridmeter.providers.parsing import lenient_number
from custom_components.gridmeter.providers.switchgrid import SwitchgridClient
from custom_components.gridmeter.providers.switchgrid.curve import parse_iso_duration
from custom_components.gridmeter.providers.switchgrid.parsing import (
    consent_expiry,
    parse_ask,
    parse_daily_energy,
    parse_daily_indexes,
    parse_datetime,
)

from .fuzz import NOW, Canned, Reply, as_json, canned, nested
from .test_switchgrid_parsing import PRM, m023

CUPS = "ES0031408273645190LY0F"
SUPPLY = DatadisSupply(
    provider="datadis",
    meter_id=CUPS[:20],
    cups=CUPS,
    timezone="Europe/Madrid",
    distributor_code="2",
    point_type=5,
)


def hour_row(day: str, time: str = "01:00", **values: Any) -> dict[str, Any]:
    return {"date": day, "time": time, "consumptionKWh": 0.5, **values}


# -- item 2: an answer can freeze Home Assistant ------------------------------------


@pytest.mark.timeout(10)
def test_consent_expiry_near_year_9999_returns_at_once() -> None:
    """Before: `accepted_at.replace(year=10002)` raised ValueError, caught by a
    `day -= 1` loop that never ended (on the event loop).
    """
    accepted = datetime(9999, 6, 30, tzinfo=UTC)
    assert consent_expiry(accepted, "3 years") is None
    ask = parse_ask(
        {
            "id": "a",
            "status": "ACCEPTED",
            "acceptedAt": "9999-06-30T00:00:00Z",
            "createArgs": {"consentDuration": "3 years"},
        }
    )
    assert ask.expires_at is None
    # Month ends are clamped in one step.
    assert consent_expiry(datetime(2024, 1, 31, tzinfo=UTC), "1 month") == datetime(
        2024, 2, 29, tzinfo=UTC
    )


# -- item 3: exceptions other than the typed ones -----------------------------------


def test_deep_json_is_an_invalid_response() -> None:
    """Before: RecursionError out of json.loads (only ValueError was caught)."""
    with pytest.raises(InvalidResponse, match="nested too deeply"):
        decode_json("[" * 100_000 + "]" * 100_000, "Test")
    with pytest.raises(InvalidResponse, match="nested too deeply"):
        decode_json(as_json(nested(65)), "Test")
    assert decode_json(as_json(nested(64)), "Test") == nested(64)
    assert decode_json('["[[[[", {"a": "{{{"}]', "Test") == ["[[[[", {"a": "{{{"}]


@pytest.mark.parametrize(
    ("header", "expected"),
    [("NaN", None), ("1e999", 48 * 3600.0), ("-3", 1.0), ("5", 5.0)],
)
async def test_retry_after_is_finite_at_the_clients(
    socket_enabled: None, header: str, expected: float | None
) -> None:
    """Before: NaN and inf reached RateLimited.retry_after (ValueError or
    OverflowError once turned into a timedelta).
    """
    async with canned() as server, aiohttp.ClientSession() as session:
        server.reply = Reply(body="{}", status=429, headers={"Retry-After": header})
        switchgrid = SwitchgridClient(
            session, "t", base_url=server.url, clock=lambda: NOW
        )
        with pytest.raises(RateLimited) as caught:
            await switchgrid.async_get_ask("a")
        assert caught.value.retry_after == expected


def test_far_dates_are_skipped_not_overflowing() -> None:
    """Before: OverflowError from `9999/12/31` + 1 day (Datadis), from year 1
    with an offset moved to UTC (Switchgrid, Digiwatt), from `P99999999999D`.
    """
    batch = parse_consumption(
        [hour_row("9999/12/31"), hour_row("0001/01/01"), hour_row("2026/01/15")], SUPPLY
    )
    assert batch.skipped == 2
    assert [r.start for r in batch.readings] == [
        datetime(2026, 1, 15, tzinfo=UTC) - timedelta(hours=1)
    ]
    assert (
        parse_max_power(
            [{"date": "9999/12/31", "time": "23:45", "maxPower": 1}], SUPPLY
        ).skipped
        == 1
    )
    assert parse_datetime("0001-01-01T00:00:00+01:00") is None
    assert parse_datetime("9999-12-31T23:00:00-05:00") is None
    with pytest.raises(InvalidResponse):
        instant("0001-01-01T00:30:00+01:00", "x")
    with pytest.raises(ValueError, match="ten years"):
        parse_iso_duration("P99999999999D")
    with pytest.raises(InvalidResponse):
        duration("P99999999999D", "x")


def test_infinite_and_nan_counts_are_not_converted() -> None:
    """Before: OverflowError / ValueError from int(inf) and int(nan) in
    `pointType`, `dataYear`, `sumContracts`, and from a JWT `exp` or a
    Digiwatt `expires_in` too large for a timedelta.
    """
    supply_row = {"cups": CUPS, "distributorCode": "2", "pointType": math.inf}
    assert parse_supplies([supply_row])[0].point_type is None
    assert parse_supplies([{**supply_row, "pointType": math.nan}])[0].point_type is None
    area = {
        "dataYear": math.inf,
        "dataMonth": 1,
        "dataDay": 1,
        "sumEnergy": 5,
        "sumContracts": 2,
    }
    assert (
        parse_area_averages(
            [area, {**area, "dataYear": 2026, "sumContracts": 1e400}], "x"
        )
        == []
    )
    assert _token_expiry(_jwt('{"exp": 1e400}'), NOW) == NOW + timedelta(hours=24)
    assert _token_expiry(_jwt('{"exp": 1e300}'), NOW) == NOW + timedelta(hours=24)
    assert _token_expiry(_jwt('{"exp": NaN}'), NOW) == NOW + timedelta(hours=24)
    assert _token_expiry(_jwt(as_json(nested(5000))), NOW) == NOW + timedelta(hours=24)
    assert parse_token({"access_token": "a", "expires_in": 1e14}).expires_in == 86400


def _jwt(claims: str) -> str:
    import base64

    payload = base64.urlsafe_b64encode(claims.encode()).decode().rstrip("=")
    return f"eyJhbGciOiJIUzI1NiJ9.{payload}.sig"


def test_a_scalar_where_a_list_is_expected() -> None:
    """Before: TypeError iterating `contractedPowerkW: 3.45` (and a string was
    read character by character).
    """
    contract = parse_datadis_contract(
        [{"contractedPowerkW": 3.45, "startDate": "2024/01/01"}], CUPS[:20]
    )
    assert contract is not None and contract.contracted_power_kw == (3.45,)
    text = parse_datadis_contract([{"contractedPowerkW": "4,6"}], CUPS[:20])
    assert text is not None and text.contracted_power_kw == (4.6,)


def test_unicode_digits_are_not_digits() -> None:
    """Before: ValueError from int("²") after "²".isdigit() said True."""
    rows = [{"date": "2026/07/16", "time": "11:15", "maxPower": 3.5, "period": "P²"}]
    assert parse_max_power(rows, SUPPLY).peaks[0].period is None
    assert parse_consumption([hour_row("2026/01/15", "٠١:00")], SUPPLY).skipped == 1
    assert lenient_number("٣") is None


def test_absurd_zone_names_are_unreadable() -> None:
    """Before: OSError (file name too long) or ValueError out of ZoneInfo."""
    assert parse_datetime("2024-12-10T00:00:00[" + "A" * 300 + "]") is None
    assert parse_datetime("2024-12-10T00:00:00[../../etc/passwd]") is None
    assert parse_datetime("2024-12-10T00:00:00[Europe/Paris]") == datetime(
        2024, 12, 9, 23, tzinfo=UTC
    )


@pytest.fixture
async def server(socket_enabled: None) -> AsyncIterator[Canned]:
    async with canned() as running:
        yield running


@pytest.mark.parametrize(
    "data",
    [
        {"power": -5, "timestamp": "2026-11-10T10:00:00+01:00"},  # model refused it
        {"power": 5, "timestamp": "0001-01-01T00:00:00+01:00"},  # OverflowError
    ],
)
async def test_digiwatt_read_lets_no_surprise_through(
    server: Canned, data: Any
) -> None:
    """Before: a model's ValueError and an OverflowError left `_read` bare."""
    server.reply = Reply(
        body=as_json({"status": 200, "data": data}),
        pick=lambda request: Reply(body=as_json({"access_token": "a"}))
        if request.path.endswith("/auth/token")
        else None,
    )
    async with aiohttp.ClientSession() as session:
        client = DigiwattClient(
            session, "i", "s", base_url=server.url, clock=lambda: NOW
        )
        with pytest.raises(InvalidResponse):
            await client.async_get_realtime("1234")


async def test_control_characters_in_a_token_are_invalid(server: Canned) -> None:
    """Found by the property tests: a token type with a control character made
    aiohttp raise ValueError when the next request was built.
    """
    server.reply = Reply(
        body=as_json({"access_token": "a", "token_type": "Bea\x00rer"})
    )
    async with aiohttp.ClientSession() as session:
        client = DigiwattClient(
            session, "i", "s", base_url=server.url, clock=lambda: NOW
        )
        with pytest.raises(InvalidResponse):
            await client.async_get_trend("1234")
        server.reply = Reply(body="tok\x01en")
        datadis = DatadisClient(
            session, "12345678Z", "p", base_url=server.url, clock=lambda: NOW
        )
        with pytest.raises(InvalidResponse):
            await datadis.async_login()


# -- item 4: impossible values kept as data -----------------------------------------


def test_nan_and_infinity_are_not_numbers() -> None:
    """Before: lenient_number("NaN") was nan, and a NaN kWh reached statistics."""
    for text in ("NaN", "nan", "Infinity", "-inf", "1e400", "1_000", "0x10"):
        assert lenient_number(text) is None, text
    assert lenient_number(" 1,5 ") == 1.5
    batch = parse_consumption(
        [
            hour_row("2026/01/15", consumptionKWh="NaN"),
            hour_row("2026/01/15", "02:00", consumptionKWh=-0.2),
            hour_row("2026/01/15", "03:00", surplusEnergyKWh="Infinity"),
            hour_row("2026/01/15", "04:00"),
        ],
        SUPPLY,
    )
    assert batch.skipped == 3
    assert [(r.kind, r.kwh) for r in batch.readings] == [(EnergyKind.CONSUMPTION, 0.5)]


def test_switchgrid_daily_values_are_finite_and_not_negative() -> None:
    """Before: R65 energies and R64 indexes kept 1e400 (inf) and -5."""
    points = [
        {"d": "2025-01-01", "v": 1e400},
        {"d": "2025-01-02", "v": -5},
        {"d": "2025-01-03", "v": 7000},
    ]
    raw = m023(
        {
            "idPrm": PRM,
            "grandeur": [{"grandeurPhysique": "EA", "unite": "Wh", "points": points}],
        }
    )
    assert parse_daily_energy(raw) == {date(2025, 1, 3): 7.0}
    indexes = m023(
        {
            "idPrm": PRM,
            "grandeur": [
                {
                    "grandeurPhysique": "EA",
                    "unite": "Wh",
                    "cadranTotalisateur": {"valeur": points},
                }
            ],
        }
    )
    assert parse_daily_indexes(indexes) == {date(2025, 1, 3): {"TOTAL": 7.0}}


def test_models_refuse_nan_infinity_and_negative_energy() -> None:
    """The safety net behind the parsers: no model holds NaN or infinity."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for kwh in (math.nan, math.inf, -0.1):
        with pytest.raises(ValueError, match="kwh"):
            EnergyReading(
                start=start,
                duration=timedelta(hours=1),
                kind=EnergyKind.CONSUMPTION,
                kwh=kwh,
            )
    with pytest.raises(ValueError, match="kw"):
        PowerPeak(at=start, kw=math.nan)
    with pytest.raises(ValueError, match="watts"):
        LivePower(at=start, watts=math.inf)
    with pytest.raises(ValueError, match="contracted_power_kw"):
        Contract(meter_id="x", contracted_power_kw=(3.45, math.nan))
    with pytest.raises(ValueError, match="installed_generation_kw"):
        Contract(meter_id="x", installed_generation_kw=-1)
    with pytest.raises(ValueError, match="renewable_share"):
        GreenWindow(
            start=start, end=start + timedelta(hours=1), renewable_share=math.nan
        )
    with pytest.raises(ValueError, match="average_kwh"):
        AreaAverage(day=date(2026, 1, 1), average_kwh=math.inf, homes=3, area="x")
    with pytest.raises(ValueError, match="homes"):
        AreaAverage(day=date(2026, 1, 1), average_kwh=1.0, homes=0, area="x")


# -- rows and answers: bounds --------------------------------------------------------


def test_consumption_is_capped_by_the_requested_months() -> None:
    """Rows of days outside the asked months are skipped and counted."""
    rows = [hour_row("2026/01/15"), hour_row("2025/12/31"), hour_row("2026/03/01")]
    batch = parse_consumption(rows, SUPPLY, months=(date(2026, 1, 1), date(2026, 2, 1)))
    assert (len(batch.readings), batch.skipped) == (1, 2)


def test_latest_series_steps_divide_an_hour_and_are_capped() -> None:
    """A step that does not divide an hour is unreadable; six hours at most."""
    with pytest.raises(InvalidResponse, match="divide an hour"):
        parse_latest({"step": "PT7M", "values": []})
    first = datetime(2026, 11, 10, tzinfo=UTC)
    values = [
        {"start": (first + timedelta(minutes=15 * n)).isoformat(), "power": 100}
        for n in range(40)  # ten hours
    ]
    values.append(values[-1])  # a duplicate
    values.append(
        {"start": (first + timedelta(minutes=7)).isoformat(), "power": 1}
    )  # off grid
    series = parse_latest({"step": "PT15M", "values": values})
    assert len(series.points) == 24
    assert series.skipped == 40 + 2 - 24


async def test_an_answer_over_the_byte_limit_is_invalid(server: Canned) -> None:
    """Bodies are read up to a documented limit, not whole."""
    server.reply = Reply(body="x" * 5000)
    async with aiohttp.ClientSession() as session:
        timeout = aiohttp.ClientTimeout(total=10)
        with pytest.raises(InvalidResponse, match="more than 4096 bytes"):
            await send(
                session,
                "Test",
                "GET",
                server.url,
                headers={},
                timeout=timeout,
                max_bytes=4096,
            )
        answer = await send(
            session, "Test", "GET", server.url, headers={}, timeout=timeout
        )
        assert answer.text == "x" * 5000
    assert http.MAX_ANSWER_BYTES == 32 * 1024 * 1024


async def test_large_answers_are_decoded_off_the_loop(
    server: Canned, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Above THREAD_BYTES the body is decoded in a worker thread; small ones on the loop."""
    hops: list[Any] = []
    real = asyncio.to_thread

    async def spy(func: Any, /, *args: Any) -> Any:
        hops.append(func)
        return await real(func, *args)

    monkeypatch.setattr(http.asyncio, "to_thread", spy)
    async with aiohttp.ClientSession() as session:
        timeout = aiohttp.ClientTimeout(total=10)
        server.reply = Reply(body="é" * 100)
        assert (
            await send(session, "T", "GET", server.url, headers={}, timeout=timeout)
        ).text == "é" * 100
        assert hops == []
        big = as_json([{"date": "2026/01/01", "v": n} for n in range(20_000)])
        assert len(big) > http.THREAD_BYTES
        server.reply = Reply(body=big)
        answer = await send(
            session, "T", "GET", server.url, headers={}, timeout=timeout
        )
        assert answer.text == big
        assert len(hops) == 1
        assert await http.decode_json_async(big, "T") == decode_json(big, "T")
        assert len(hops) == 2
