"""The Datadis simulator behaves like the real API (tests over real HTTP)."""

from __future__ import annotations

import asyncio
import base64
from collections import Counter, defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
import json
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
from freezegun import freeze_time
import pytest

from simulator.__main__ import PROVIDERS, build_parser
from simulator.common import Clock, FaultRegistry, noise, serving
from simulator.datadis import (
    HOUSEHOLDS,
    DatadisSimulator,
    HourTruth,
    cups_check_letters,
    cups_is_valid,
    nif_is_valid,
)
from simulator.datadis.app import (
    MSG_ALREADY_QUERIED,
    MSG_DATES,
    MSG_HEADER,
    MSG_NOT_AUTHORIZED,
    MSG_PARAMETER,
)
from simulator.datadis.households import energy_period

NOW = datetime(2026, 11, 21, 10, 30, tzinfo=UTC)
MADRID = ZoneInfo("Europe/Madrid")
PASSWORD = "gridmeter-demo"
HOLDER = "12345678Z"
MADRID_FLAT = next(h for h in HOUSEHOLDS if h.key == "madrid_flat")
HEAT_PUMP = next(h for h in HOUSEHOLDS if h.key == "heat_pump_house")
SOLAR = next(h for h in HOUSEHOLDS if h.key == "solar_home")
CANARY = next(h for h in HOUSEHOLDS if h.key == "canary_flat")
CEUTA = next(h for h in HOUSEHOLDS if h.key == "ceuta_flat")
FIELDS = {
    "cups",
    "date",
    "time",
    "consumptionKWh",
    "obtainMethod",
    "surplusEnergyKWh",
    "generationEnergyKWh",
    "selfConsumptionEnergyKWh",
}


@dataclass
class Answer:
    status: int
    text: str
    content_type: str

    def json(self) -> Any:
        return json.loads(self.text)


@dataclass
class Env:
    sim: DatadisSimulator
    base: str
    session: aiohttp.ClientSession

    async def login(self, username: str = HOLDER, password: str = PASSWORD) -> str:
        async with self.session.post(
            f"{self.base}/nikola-auth/tokens/login",
            data={"username": username, "password": password},
        ) as response:
            assert response.status == 200, await response.text()
            return await response.text()

    async def get(
        self,
        endpoint: str,
        token: str | None,
        params: dict[str, str] | None = None,
        *,
        accept: str = "application/json",
        timeout: float | None = None,
    ) -> Answer:
        headers = {"Accept": accept}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        url = (
            f"{self.base}{endpoint}"
            if endpoint.startswith("/")
            else f"{self.base}/api-private/api/{endpoint}"
        )
        async with self.session.get(
            url,
            params=params or {},
            headers=headers,
            timeout=aiohttp.ClientTimeout(total=timeout),
        ) as response:
            body = await response.read()
            return Answer(
                response.status,
                body.decode("utf-8", errors="replace"),
                response.headers.get("Content-Type", ""),
            )

    async def consumption(
        self, token: str, household: Any, start: str, end: str, **extra: str
    ) -> Answer:
        params = {
            "cups": household.cups,
            "distributorCode": household.distributor_code,
            "startDate": start,
            "endDate": end,
            "measurementType": "0",
            "pointType": "5",
            **extra,
        }
        return await self.get("get-consumption-data-v2", token, params)

    async def max_power(
        self, token: str, household: Any, start: str, end: str, **extra: str
    ) -> Answer:
        params = {
            "cups": household.cups,
            "distributorCode": household.distributor_code,
            "startDate": start,
            "endDate": end,
            **extra,
        }
        return await self.get("get-max-power-v2", token, params)


@pytest.fixture
async def env(socket_enabled: None) -> AsyncIterator[Env]:
    """Serve a simulator frozen at NOW on 127.0.0.1.

    Home Assistant's plugin blocks sockets; ``socket_enabled`` reopens them for
    127.0.0.1 only.
    """
    sim = DatadisSimulator(clock=lambda: NOW)
    async with serving(sim.app) as base, aiohttp.ClientSession() as session:
        yield Env(sim, base, session)


def parse_rows(
    rows: list[dict[str, Any]], tz: ZoneInfo
) -> list[tuple[datetime, dict[str, Any]]]:
    """Map Datadis rows to UTC hour starts the way a correct client must.

    The label is the wall clock at the END of the hour read with the offset in
    force during the hour; the n-th repetition of a label within a date is its
    n-th occurrence (fold). Stray ``00:00`` rows are dropped.
    """
    seen: Counter[tuple[str, str]] = Counter()
    out: list[tuple[datetime, dict[str, Any]]] = []
    for row in rows:
        if row["time"] == "00:00":
            continue
        key = (row["date"], row["time"])
        fold = seen[key]
        seen[key] += 1
        day = datetime.strptime(row["date"], "%Y/%m/%d")
        hour = int(row["time"][:2])
        wall = (day + timedelta(hours=hour - 1)).replace(tzinfo=tz, fold=fold)
        out.append((wall.astimezone(UTC), row))
    return out


def as_truth(row: dict[str, Any]) -> HourTruth:
    return HourTruth(
        row["consumptionKWh"],
        row["surplusEnergyKWh"],
        row["generationEnergyKWh"],
        row["selfConsumptionEnergyKWh"],
        row["obtainMethod"] == "Estimada",
    )


def b64json(part: str) -> Any:
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


# ---------------------------------------------------------------------------
# Identifiers, accounts and the model (no HTTP)
# ---------------------------------------------------------------------------


def test_identifiers_pass_the_official_algorithms() -> None:
    # Worked examples of the reference: real CUPS and stdnum's doctest pass,
    # the invented fixture letters do not.
    assert cups_check_letters("0031607515707001") == "RC"
    assert cups_is_valid("ES0031607515707001RC0F")
    assert cups_is_valid("ES1234123456789012JY")
    assert not cups_is_valid("ES0021000000000000AA0A")
    assert not cups_is_valid("ES0031300000000001JN0F")
    for household in HOUSEHOLDS:
        assert len(household.cups) == 22
        assert cups_is_valid(household.cups), household.cups
    sim = DatadisSimulator(clock=lambda: NOW)
    for username in sim.accounts:
        assert nif_is_valid(username), username
    assert not nif_is_valid("12345678A")
    assert not nif_is_valid("B12345675")
    assert nif_is_valid("87654321X")


def test_demo_accounts_layout() -> None:
    sim = DatadisSimulator(clock=lambda: NOW)
    accounts = sim.accounts
    assert set(accounts) == {
        "12345678Z",
        "X1234567L",
        "B12345674",
        "87654321X",
        "00000000T",
    }
    assert all(account.password == PASSWORD for account in accounts.values())
    assert accounts["12345678Z"].supplies == [MADRID_FLAT.cups, HEAT_PUMP.cups]
    assert accounts["X1234567L"].supplies == [SOLAR.cups]
    assert accounts["B12345674"].supplies == []
    assert accounts["B12345674"].authorized == {"87654321X": [CANARY.cups]}
    assert accounts["87654321X"].supplies == [CANARY.cups, CEUTA.cups]
    assert accounts["00000000T"].supplies == []
    assert HEAT_PUMP.distributor_code == "8"
    assert MADRID_FLAT.distributor_code == "2"
    assert CANARY.timezone == "Atlantic/Canary"
    assert CANARY.province_code == "35"
    assert CEUTA.province_code == "51"


def test_truth_is_complete_and_realistic() -> None:
    sim = DatadisSimulator(clock=lambda: NOW)
    truths = {h.cups: sim.truth(h.cups) for h in HOUSEHOLDS}
    for household in HOUSEHOLDS:
        truth = truths[household.cups]
        hours = sorted(truth)
        assert all(h.tzinfo is UTC or h.utcoffset() == timedelta(0) for h in hours)
        # Contiguous hours from day 1 of the month 25 months back...
        first_local = hours[0].astimezone(household.tz)
        assert (first_local.date(), first_local.hour) == (date(2024, 10, 1), 0)
        assert all(b - a == timedelta(hours=1) for a, b in pairwise(hours))
        # ...to local midnight ending the day before yesterday (2 days delay).
        end_local = (hours[-1] + timedelta(hours=1)).astimezone(household.tz)
        assert (end_local.date(), end_local.hour) == (date(2026, 11, 20), 0)
        for value in truth.values():
            assert value.consumption is not None
            assert value.consumption >= 0
            assert round(value.consumption, 3) == value.consumption
            assert not value.estimated
            if household.has_solar:
                assert value.surplus is not None
                assert value.generation is not None
                assert value.self_consumption is not None
            else:
                assert value.surplus is value.generation is value.self_consumption

    def month_total(household: Any, year: int, month: int) -> float:
        return sum(
            v.consumption or 0.0
            for h, v in truths[household.cups].items()
            if (h.astimezone(household.tz).year, h.astimezone(household.tz).month)
            == (year, month)
        )

    # Heat pump: strong winter load.
    assert month_total(HEAT_PUMP, 2026, 1) > 2 * month_total(HEAT_PUMP, 2026, 5)
    # Flat in Madrid: summer AC above spring, August holidays low.
    assert month_total(MADRID_FLAT, 2026, 7) > month_total(MADRID_FLAT, 2026, 4)
    assert month_total(MADRID_FLAT, 2026, 8) < month_total(MADRID_FLAT, 2026, 4)
    # Daily shape: night low, evening peak (Madrid flat, autumn weekdays).
    by_hour: dict[int, list[float]] = defaultdict(list)
    for hour, value in truths[MADRID_FLAT.cups].items():
        local = hour.astimezone(MADRID)
        if local.month == 10 and local.weekday() < 5:
            by_hour[local.hour].append(value.consumption or 0.0)
    mean = {h: sum(v) / len(v) for h, v in by_hour.items()}
    assert mean[21] > 2 * mean[4]
    assert mean[8] > mean[4]
    # Solar: generation by day only, grid import and surplus never together,
    # summer generation above winter.
    solar = truths[SOLAR.cups]
    for hour, value in solar.items():
        assert value.generation is not None and value.surplus is not None
        assert value.self_consumption is not None and value.consumption is not None
        if hour.hour in (0, 1, 2, 3):
            assert value.generation == 0
        assert value.consumption == 0 or value.surplus == 0
        assert abs(value.generation - value.surplus - value.self_consumption) < 0.0015
    summer = sum(v.generation or 0 for h, v in solar.items() if h.month == 6)
    winter = sum(v.generation or 0 for h, v in solar.items() if h.month == 12)
    assert summer > 1.5 * winter
    assert sum(v.surplus or 0 for h, v in solar.items() if h.month == 6) > 50


def test_common_helpers() -> None:
    clock = Clock(lambda: NOW)
    clock.advance(timedelta(hours=2))
    assert clock.now() == NOW + timedelta(hours=2)
    clock.set(datetime(2025, 1, 1, tzinfo=UTC))
    assert clock() == datetime(2025, 1, 1, tzinfo=UTC)
    with pytest.raises(ValueError):
        Clock(lambda: datetime(2025, 1, 1)).now()
    assert Clock().now().tzinfo is not None
    assert noise.unit("a", 1) == noise.unit("a", 1) != noise.unit("a", 2)
    assert all(0 <= noise.unit(i) < 1 for i in range(200))
    assert all(-1 <= noise.signed(i) < 1 for i in range(200))
    faults = FaultRegistry()
    faults.fail_next("x", 503, times=2)
    faults.malformed_next("*", "html")
    first, second = faults.take("x"), faults.take("x")
    assert first is not None and second is not None
    assert (first.kind, first.status, second.status) == ("fail", 503, 503)
    wildcard = faults.take("x")
    assert wildcard is not None and wildcard.kind == "malformed"
    assert faults.take("x") is None


def test_default_clock_follows_freezegun() -> None:
    with freeze_time("2026-03-30 08:00:00"):
        sim = DatadisSimulator()
        assert sim.now() == datetime(2026, 3, 30, 8, tzinfo=UTC)
        truth = sim.truth(MADRID_FLAT.cups)
    # Published up to the end of 2026-03-28 (Madrid), i.e. 22:00 UTC (CET).
    assert max(truth) == datetime(2026, 3, 28, 22, tzinfo=UTC)


def test_cli_has_datadis_subcommand() -> None:
    args = build_parser().parse_args(["datadis", "--port", "0", "--latency", "0.5"])
    assert (args.provider, args.port, args.latency) == ("datadis", 0, 0.5)
    assert build_parser().parse_args(["datadis"]).port == 8971
    assert "datadis" in PROVIDERS


# ---------------------------------------------------------------------------
# Login, tokens, headers
# ---------------------------------------------------------------------------


async def test_login_token_and_expiry(env: Env) -> None:
    async with env.session.post(
        f"{env.base}/nikola-auth/tokens/login",
        data={"username": HOLDER, "password": PASSWORD},
    ) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain")
        token = await response.text()
    parts = token.split(".")
    assert len(parts) == 3
    assert b64json(parts[0])["alg"] == "HS512"
    claims = b64json(parts[1])
    assert claims["sub"] == HOLDER
    assert claims["exp"] - claims["iat"] == 86400

    answer = await env.get("get-supplies-v2", token)
    assert answer.status == 200
    assert answer.content_type == "text/plain;charset=UTF-8"

    # Accept header required.
    answer = await env.get("get-supplies-v2", token, accept="*/*")
    assert (answer.status, answer.text) == (400, MSG_HEADER)

    # No / garbage token: Spring 401 body.
    for bad in (None, "garbage"):
        answer = await env.get("get-supplies-v2", bad)
        assert answer.status == 401
        body = answer.json()
        assert body["error"] == "Unauthorized"
        assert body["message"] == "No message available"
        assert body["path"] == "/api-private/api/get-supplies-v2"
        assert set(body) == {"timestamp", "status", "error", "message", "path"}

    # Valid for 24 h of the simulator clock, not one second more.
    env.sim.clock.advance(timedelta(hours=23, minutes=59))
    assert (await env.get("get-supplies-v2", token)).status == 200
    env.sim.clock.advance(timedelta(minutes=1))
    assert (await env.get("get-supplies-v2", token)).status == 401

    token = await env.login()
    assert (await env.get("get-supplies-v2", token)).status == 200
    env.sim.expire_tokens()
    assert (await env.get("get-supplies-v2", token)).status == 401


async def test_bad_credentials(env: Env) -> None:
    url = f"{env.base}/nikola-auth/tokens/login"
    async with env.session.post(
        url, data={"username": HOLDER, "password": "nope"}
    ) as response:
        assert response.status == 500
        assert await response.json(content_type=None) == {
            "status": 500,
            "error": "Internal Server Error",
            "message": "Bad credentials",
        }
    env.sim.bad_credentials_status = 401
    async with env.session.post(
        url, data={"username": "99999999R", "password": PASSWORD}
    ) as response:
        assert response.status == 401
        assert (await response.json(content_type=None))["message"] == "Bad credentials"
    # The login is in the request log with the password masked.
    logged = [r for r in env.sim.requests if r.endpoint == "login"]
    assert [r.status for r in logged] == [500, 401]
    assert logged[0].form == {"username": HOLDER, "password": "***"}


# ---------------------------------------------------------------------------
# Supplies, contract, distributors
# ---------------------------------------------------------------------------

SUPPLY_FIELDS = {
    "address",
    "cups",
    "postalCode",
    "province",
    "provinceCode",
    "municipality",
    "municipioCode",
    "distributor",
    "validDateFrom",
    "validDateTo",
    "pointType",
    "distributorCode",
}
CONTRACT_FIELDS = {
    "cups",
    "distributor",
    "marketer",
    "tension",
    "accessFare",
    "province",
    "municipality",
    "postalCode",
    "contractedPowerkW",
    "timeDiscrimination",
    "modePowerControl",
    "startDate",
    "endDate",
    "codeFare",
    "selfConsumptionTypeCode",
    "selfConsumptionTypeDesc",
    "section",
    "subsection",
    "partitionCoefficient",
    "cau",
    "installedCapacityKW",
    "dateOwner",
    "lastMarketerDate",
    "maxPowerInstall",
}


async def test_supplies_envelopes_and_authorizations(env: Env) -> None:
    token = await env.login()
    body = (await env.get("get-supplies-v2", token)).json()
    assert set(body) == {"supplies", "distributorError"}
    assert body["distributorError"] == []
    supplies = body["supplies"]
    assert [s["cups"] for s in supplies] == [MADRID_FLAT.cups, HEAT_PUMP.cups]
    for supply in supplies:
        assert set(supply) == SUPPLY_FIELDS
        assert supply["validDateTo"] == ""
        assert supply["pointType"] == 5
        assert len(supply["cups"]) == 22
    assert supplies[1]["distributorCode"] == "8"
    # v1: the bare list; distributorCode filter.
    v1 = (await env.get("get-supplies", token)).json()
    assert v1 == supplies
    only_ide = await env.get("get-supplies-v2", token, {"distributorCode": "8"})
    assert [s["cups"] for s in only_ide.json()["supplies"]] == [HEAT_PUMP.cups]
    assert (
        await env.get("get-supplies-v2", token, {"distributorCode": "99"})
    ).text == (MSG_PARAMETER)
    distributors = (await env.get("get-distributors-with-supplies-v2", token)).json()
    assert distributors == {
        "distExistenceUser": {"distributorCodes": ["2", "8"]},
        "distributorError": [],
    }
    # An authorizedNif that authorised nothing: 403.
    answer = await env.get("get-supplies-v2", token, {"authorizedNif": "87654321X"})
    assert (answer.status, answer.text) == (403, "No authorized supplies")

    # Account without supplies: 404.
    empty = await env.login("00000000T")
    answer = await env.get("get-supplies-v2", empty)
    assert (answer.status, answer.text) == (404, "No supplies")

    # The company reads the Canary supply through authorizedNif.
    company = await env.login("B12345674")
    assert (await env.get("get-supplies-v2", company)).status == 404
    answer = await env.get("get-supplies-v2", company, {"authorizedNif": "87654321X"})
    assert [s["cups"] for s in answer.json()["supplies"]] == [CANARY.cups]
    assert answer.json()["supplies"][0]["provinceCode"] == "35"

    owner = await env.login("87654321X")
    owned = (await env.get("get-supplies-v2", owner)).json()["supplies"]
    assert [s["provinceCode"] for s in owned] == ["35", "51"]


async def test_contract_detail(env: Env) -> None:
    token = await env.login()
    params = {"cups": MADRID_FLAT.cups, "distributorCode": "2"}
    body = (await env.get("get-contract-detail-v2", token, params)).json()
    assert set(body) == {"contract", "distributorError"}
    (contract,) = body["contract"]
    assert set(contract) == CONTRACT_FIELDS
    assert contract["contractedPowerkW"] == [3.45, 3.45]
    assert contract["codeFare"] == "2T"
    assert contract["endDate"] == ""
    assert contract["selfConsumptionTypeCode"] is None
    assert isinstance(contract["maxPowerInstall"], str)
    assert contract["dateOwner"] == [{"startDate": "2021-06-01", "endDate": ""}]
    # The heat-pump house changed contract (power upgrade): two rows.
    params = {"cups": HEAT_PUMP.cups, "distributorCode": "8"}
    rows = (await env.get("get-contract-detail-v2", token, params)).json()["contract"]
    assert [r["endDate"] for r in rows] == ["2025/10/19", ""]
    assert rows[1]["contractedPowerkW"] == [6.928, 6.928]
    # v1 bare list.
    v1 = (await env.get("get-contract-detail", token, params)).json()
    assert v1 == rows
    # A CUPS the account cannot see: one blank row.
    params = {"cups": SOLAR.cups, "distributorCode": "2"}
    (blank,) = (await env.get("get-contract-detail-v2", token, params)).json()[
        "contract"
    ]
    assert blank["cups"] == "" and blank["contractedPowerkW"] == []
    # Missing parameter: empty 500.
    answer = await env.get("get-contract-detail-v2", token, {"cups": SOLAR.cups})
    assert (answer.status, answer.text) == (500, "")
    # authorizedNif without consent for that CUPS: 400.
    params = {
        "cups": CEUTA.cups,
        "distributorCode": "7",
        "authorizedNif": "87654321X",
    }
    company = await env.login("B12345674")
    answer = await env.get("get-contract-detail-v2", company, params)
    assert (answer.status, answer.text) == (400, MSG_NOT_AUTHORIZED)
    params = {"cups": CANARY.cups, "distributorCode": "2", "authorizedNif": "87654321X"}
    (canary,) = (await env.get("get-contract-detail-v2", company, params)).json()[
        "contract"
    ]
    assert canary["cups"] == CANARY.cups

    # Solar home: self-consumption fields.
    solar = await env.login("X1234567L")
    params = {"cups": SOLAR.cups, "distributorCode": "2"}
    (row,) = (await env.get("get-contract-detail-v2", solar, params)).json()["contract"]
    assert row["selfConsumptionTypeCode"] == "41"
    assert row["installedCapacityKW"] == 4.2


# ---------------------------------------------------------------------------
# Consumption: validation, shapes, DST, truth
# ---------------------------------------------------------------------------


async def test_consumption_parameter_validation(env: Env) -> None:
    token = await env.login()
    # Window: current month 2026/11 → oldest accepted start 2024/12.
    assert (await env.consumption(token, MADRID_FLAT, "2024/12", "2024/12")).status == (
        200
    )
    for start, end in (
        ("2024/11", "2024/12"),  # exactly two years back
        ("2026/12", "2026/12"),  # future
        ("2026/10", "2026/09"),  # start after end
        ("2026-10", "2026-10"),  # format
        ("2026/13", "2026/13"),
    ):
        answer = await env.consumption(token, MADRID_FLAT, start, end)
        assert (answer.status, answer.text) == (400, MSG_DATES), (start, end)
    params = {
        "cups": MADRID_FLAT.cups,
        "distributorCode": "2",
        "startDate": "2026/09",
        "endDate": "2026/09",
        "pointType": "5",
    }
    answer = await env.get("get-consumption-data-v2", token, params)
    assert (answer.status, answer.text) == (500, "")  # missing measurementType
    answer = await env.consumption(
        token, MADRID_FLAT, "2026/09", "2026/09", measurementType="1"
    )
    assert answer.status == 200
    assert answer.json() == {"timeCurve": [], "distributorError": []}
    answer = await env.consumption(
        token, MADRID_FLAT, "2026/09", "2026/09", distributorCode="99"
    )
    assert (answer.status, answer.text) == (400, MSG_PARAMETER)
    answer = await env.consumption(
        token, MADRID_FLAT, "2026/09", "2026/09", pointType="9"
    )
    assert (answer.status, answer.text) == (400, "PointType incorrecto ")
    # Another holder's CUPS without authorisation: 200 with nothing.
    answer = await env.consumption(token, SOLAR, "2026/09", "2026/09")
    assert answer.json() == {"timeCurve": [], "distributorError": []}
    # authorizedNif lacking consent: 400.
    answer = await env.consumption(
        token, MADRID_FLAT, "2026/08", "2026/08", authorizedNif="87654321X"
    )
    assert (answer.status, answer.text) == (400, MSG_NOT_AUTHORIZED)


async def test_dst_days_and_24h_label(env: Env) -> None:
    env.sim.enforce_24h_rule = False
    token = await env.login()
    truth = env.sim.truth(MADRID_FLAT.cups)
    answer = await env.consumption(token, MADRID_FLAT, "2025/10", "2025/10")
    assert answer.content_type == "text/plain;charset=UTF-8"
    rows = answer.json()["timeCurve"]
    assert all(set(row) == FIELDS for row in rows)
    per_day = Counter(row["date"] for row in rows)
    assert per_day["2025/10/26"] == 25
    assert {n for d, n in per_day.items() if d != "2025/10/26"} == {24}
    autumn = [row["time"] for row in rows if row["date"] == "2025/10/26"]
    assert autumn[:5] == ["01:00", "02:00", "03:00", "03:00", "04:00"]
    assert autumn[-1] == "24:00"
    parsed = parse_rows(rows, MADRID)
    first, second = [s for s, r in parsed if r["date"] == "2025/10/26"][2:4]
    assert first == datetime(2025, 10, 26, 0, tzinfo=UTC)  # 02:00-03:00 CEST
    assert second == datetime(2025, 10, 26, 1, tzinfo=UTC)  # 02:00-03:00 CET
    for start, row in parsed:
        assert truth[start] == as_truth(row)
    # Chronological order, no gaps.
    starts = [s for s, _ in parsed]
    assert all(b - a == timedelta(hours=1) for a, b in pairwise(starts))
    # 24:00 is the hour 23:00-24:00 (CEST) of the same date.
    last = next(r for r in rows if r["date"] == "2025/10/15" and r["time"] == "24:00")
    assert (
        truth[datetime(2025, 10, 15, 21, tzinfo=UTC)].consumption
        == (last["consumptionKWh"])
    )
    last = next(r for r in rows if r["date"] == "2025/10/31" and r["time"] == "24:00")
    assert (
        truth[datetime(2025, 10, 31, 22, tzinfo=UTC)].consumption
        == (last["consumptionKWh"])
    )

    rows = (await env.consumption(token, MADRID_FLAT, "2026/03", "2026/03")).json()[
        "timeCurve"
    ]
    spring = [row["time"] for row in rows if row["date"] == "2026/03/29"]
    assert len(spring) == 23
    assert "03:00" not in spring
    assert spring[:3] == ["01:00", "02:00", "04:00"]
    for start, row in parse_rows(rows, MADRID):
        assert truth[start] == as_truth(row)

    # Canary Islands: their own local time (changes at 01:00 UTC too).
    owner = await env.login("87654321X")
    canary_truth = env.sim.truth(CANARY.cups)
    rows = (await env.consumption(owner, CANARY, "2025/10", "2025/10")).json()[
        "timeCurve"
    ]
    labels = [row["time"] for row in rows if row["date"] == "2025/10/26"]
    assert labels[:4] == ["01:00", "02:00", "02:00", "03:00"]
    parsed = parse_rows(rows, ZoneInfo("Atlantic/Canary"))
    assert parsed[0][0] == datetime(2025, 9, 30, 23, tzinfo=UTC)
    for start, row in parsed:
        assert canary_truth[start] == as_truth(row)


async def test_served_rows_equal_truth_for_every_supply(env: Env) -> None:
    env.sim.enforce_24h_rule = False
    for household, username, extra in (
        (MADRID_FLAT, HOLDER, {}),
        (HEAT_PUMP, HOLDER, {}),
        (SOLAR, "X1234567L", {}),
        (CANARY, "B12345674", {"authorizedNif": "87654321X"}),
        (CEUTA, "87654321X", {}),
    ):
        token = await env.login(username)
        truth = env.sim.truth(household.cups)
        rows = (
            await env.consumption(token, household, "2026/06", "2026/11", **extra)
        ).json()["timeCurve"]
        parsed = parse_rows(rows, household.tz)
        expected = {
            h: v
            for h, v in truth.items()
            if h.astimezone(household.tz).date() >= date(2026, 6, 1)
        }
        assert {start: as_truth(row) for start, row in parsed} == expected
        assert all(row["obtainMethod"] == "Real" for _, row in parsed)
        # The current month stops at the publication horizon (day before yesterday).
        assert rows[-1]["date"] == "2026/11/19" or rows[-1]["time"] == "00:00"
        if household.has_solar:
            assert any((row["surplusEnergyKWh"] or 0) > 0 for _, row in parsed)
        else:
            assert all(row["surplusEnergyKWh"] is None for _, row in parsed)


async def test_ide_stray_midnight_rows(env: Env) -> None:
    env.sim.enforce_24h_rule = False
    token = await env.login()
    rows = (await env.consumption(token, HEAT_PUMP, "2026/01", "2026/03")).json()[
        "timeCurve"
    ]
    strays = [row for row in rows if row["time"] == "00:00"]
    assert 3 <= len(strays) <= 30
    regular = Counter(row["date"] for row in rows if row["time"] != "00:00")
    assert regular["2026/03/29"] == 23
    for stray in strays:
        # Only on days that already carry all their hours (23 on 2026/03/29).
        day_rows = [row for row in rows if row["date"] == stray["date"]]
        assert len(day_rows) == regular[stray["date"]] + 1
        assert regular[stray["date"]] == (23 if stray["date"] == "2026/03/29" else 24)
        assert day_rows.index(stray) in (0, len(day_rows) - 1)
    truth = env.sim.truth(HEAT_PUMP.cups)
    for start, row in parse_rows(rows, MADRID):
        assert truth[start] == as_truth(row)
    # The other distributors never send it.
    flat = (await env.consumption(token, MADRID_FLAT, "2026/01", "2026/03")).json()[
        "timeCurve"
    ]
    assert not [row for row in flat if row["time"] == "00:00"]


async def test_revisions_and_estimated_to_real(env: Env) -> None:
    env.sim.enforce_24h_rule = False
    token = await env.login()
    original = env.sim.truth(MADRID_FLAT.cups)

    env.sim.estimated_recent_days = 3
    truth = env.sim.truth(MADRID_FLAT.cups)
    estimated_days = sorted(
        {h.astimezone(MADRID).date() for h, v in truth.items() if v.estimated}
    )
    assert estimated_days == [
        date(2026, 11, 17),
        date(2026, 11, 18),
        date(2026, 11, 19),
    ]
    rows = (await env.consumption(token, MADRID_FLAT, "2026/11", "2026/11")).json()[
        "timeCurve"
    ]
    parsed = parse_rows(rows, MADRID)
    for start, row in parsed:
        estimated = start.astimezone(MADRID).date() >= date(2026, 11, 17)
        assert row["obtainMethod"] == ("Estimada" if estimated else "Real")
        assert truth[start] == as_truth(row)
    changed = [
        s for s, row in parsed if row["consumptionKWh"] != original[s].consumption
    ]
    assert len(changed) > 50  # slightly different values

    # Three days later the estimates are old enough: served as Real, true values.
    env.sim.clock.advance(timedelta(days=3))
    token = await env.login()
    later = env.sim.truth(MADRID_FLAT.cups)
    rows = (await env.consumption(token, MADRID_FLAT, "2026/11", "2026/11")).json()[
        "timeCurve"
    ]
    for start, row in parse_rows(rows, MADRID):
        assert later[start] == as_truth(row)
        if start.astimezone(MADRID).date() <= date(2026, 11, 19):
            assert row["obtainMethod"] == "Real"
            assert row["consumptionKWh"] == original[start].consumption
        else:
            assert row["obtainMethod"] == "Estimada"

    # A revision changes what is served for that day, and truth() follows.
    env.sim.revise(MADRID_FLAT.cups, date(2026, 10, 5), 1.5)
    revised = env.sim.truth(MADRID_FLAT.cups)
    rows = (await env.consumption(token, MADRID_FLAT, "2026/10", "2026/10")).json()[
        "timeCurve"
    ]
    seen = 0
    for start, row in parse_rows(rows, MADRID):
        assert revised[start] == as_truth(row)
        if start.astimezone(MADRID).date() == date(2026, 10, 5):
            seen += 1
            assert row["obtainMethod"] == "Real"
            assert (
                abs(row["consumptionKWh"] - 1.5 * original[start].consumption) < 0.002
            )
        else:
            assert row["consumptionKWh"] == original[start].consumption
    assert seen == 24


async def test_publication_delay_moves_the_horizon(env: Env) -> None:
    env.sim.enforce_24h_rule = False
    token = await env.login()
    env.sim.publication_delay = timedelta(days=5)
    rows = (await env.consumption(token, MADRID_FLAT, "2026/11", "2026/11")).json()[
        "timeCurve"
    ]
    assert rows[-1]["date"] == "2026/11/16" and rows[-1]["time"] == "24:00"
    env.sim.publication_delay = timedelta(0)
    rows = (await env.consumption(token, MADRID_FLAT, "2026/11", "2026/11")).json()[
        "timeCurve"
    ]
    # 10:30 UTC = 11:30 CET: up to the last complete hour.
    assert (rows[-1]["date"], rows[-1]["time"]) == ("2026/11/21", "11:00")
    assert max(env.sim.truth(MADRID_FLAT.cups)) == datetime(2026, 11, 21, 9, tzinfo=UTC)


# ---------------------------------------------------------------------------
# The 24 h rule
# ---------------------------------------------------------------------------


async def test_24h_rule(env: Env) -> None:
    token = await env.login()
    assert (await env.consumption(token, MADRID_FLAT, "2026/09", "2026/09")).status == (
        200
    )
    answer = await env.consumption(token, MADRID_FLAT, "2026/09", "2026/09")
    assert (answer.status, answer.text) == (429, MSG_ALREADY_QUERIED)
    # Different window, different endpoint, authorizedNif present: other queries.
    assert (await env.consumption(token, MADRID_FLAT, "2026/08", "2026/09")).status == (
        200
    )
    assert (await env.max_power(token, MADRID_FLAT, "2026/09", "2026/09")).status == 200
    assert (await env.max_power(token, MADRID_FLAT, "2026/09", "2026/09")).status == 429
    # Supplies and contract are not guarded.
    for _ in range(2):
        assert (await env.get("get-supplies-v2", token)).status == 200
    # Failed calls count too (calls MADE): a 500 burns the query.
    env.sim.fail_next("get-consumption-data-v2", 500)
    assert (await env.consumption(token, MADRID_FLAT, "2026/07", "2026/07")).status == (
        500
    )
    assert (await env.consumption(token, MADRID_FLAT, "2026/07", "2026/07")).status == (
        429
    )
    # So do user errors.
    bad = await env.consumption(token, MADRID_FLAT, "2026/06", "2026/06", pointType="9")
    assert bad.status == 400
    again = await env.consumption(
        token, MADRID_FLAT, "2026/06", "2026/06", pointType="9"
    )
    assert again.status == 429
    # Another user asking the same thing is a different query.
    other = await env.login("87654321X")
    same_params = await env.consumption(other, MADRID_FLAT, "2026/09", "2026/09")
    assert same_params.status == 200
    # 24 h later (clock time) the query is allowed again.
    env.sim.clock.advance(timedelta(hours=23, minutes=59))
    assert (await env.consumption(token, MADRID_FLAT, "2026/09", "2026/09")).status == (
        429
    )
    env.sim.clock.advance(timedelta(minutes=1))
    token = await env.login()
    assert (await env.consumption(token, MADRID_FLAT, "2026/09", "2026/09")).status == (
        200
    )
    # The rule can be switched off.
    env.sim.enforce_24h_rule = False
    assert (await env.consumption(token, MADRID_FLAT, "2026/09", "2026/09")).status == (
        200
    )
    assert env.sim.count("get-consumption-data-v2") == 11
    assert [r.status for r in env.sim.requests if r.endpoint == "get-max-power-v2"] == [
        200,
        429,
    ]


# ---------------------------------------------------------------------------
# Max power
# ---------------------------------------------------------------------------


async def test_max_power(env: Env) -> None:
    token = await env.login()
    answer = await env.max_power(token, HEAT_PUMP, "2025/12", "2026/02")
    body = answer.json()
    assert set(body) == {"maxPower", "distributorError"}
    rows = body["maxPower"]
    assert [(r["date"][:7], r["period"]) for r in rows] == [
        (month, period)
        for month in ("2025/12", "2026/01", "2026/02")
        for period in ("1", "2", "3")
    ]
    truth = env.sim.truth(HEAT_PUMP.cups)
    peaks = {(p.month, p.period): p for p in env.sim.peaks(HEAT_PUMP.cups)}
    for row in rows:
        assert set(row) == {"cups", "date", "time", "maxPower", "period"}
        assert row["time"][3:] in ("00", "15", "30", "45")
        assert round(row["maxPower"], 3) == row["maxPower"]
        local_end = datetime.strptime(
            f"{row['date']} {row['time']}", "%Y/%m/%d %H:%M"
        ).replace(tzinfo=MADRID)
        at = local_end.astimezone(UTC)
        peak = peaks[(row["date"][:7], row["period"])]
        assert (peak.at, peak.kw) == (at, row["maxPower"])
        # The quarter lies in an hour whose average power is below the peak.
        hour_start = (at - timedelta(minutes=15)).replace(minute=0)
        assert truth[hour_start].consumption is not None
        assert row["maxPower"] > truth[hour_start].consumption
        # The period follows the 2.0TD calendar of the quarter's hour.
        local_start = hour_start.astimezone(MADRID)
        assert energy_period(local_start.date(), local_start.hour) == row["period"]
        assert row["maxPower"] < 1.05 * 6.928
    # Winter peaks of the heat pump are high.
    assert max(row["maxPower"] for row in rows) > 4.0
    # v1 bare list; the whole history is in peaks().
    env.sim.enforce_24h_rule = False
    params = {
        "cups": HEAT_PUMP.cups,
        "distributorCode": "8",
        "startDate": "2025/12",
        "endDate": "2026/02",
    }
    assert (await env.get("get-max-power", token, params)).json() == rows
    assert len(env.sim.peaks(HEAT_PUMP.cups)) == 26 * 3


async def test_max_power_ceuta_periods(env: Env) -> None:
    token = await env.login("87654321X")
    rows = (await env.max_power(token, CEUTA, "2026/01", "2026/06")).json()["maxPower"]
    for row in rows:
        local = datetime.strptime(f"{row['date']} {row['time']}", "%Y/%m/%d %H:%M")
        start = local - timedelta(minutes=15)
        assert energy_period(start.date(), start.hour, True) == row["period"]


# ---------------------------------------------------------------------------
# Misbehaviour
# ---------------------------------------------------------------------------


async def test_injected_failures_and_latency(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    env.sim.enforce_24h_rule = False
    token = await env.login()
    env.sim.fail_next("get-supplies-v2", 500, times=2)
    for _ in range(2):
        answer = await env.get("get-supplies-v2", token)
        assert answer.status == 500
        assert answer.json()["error"] == "INTERNAL_SERVER_ERROR"
    assert (await env.get("get-supplies-v2", token)).status == 200

    env.sim.fail_next("get-supplies-v2", 502)
    answer = await env.get("get-supplies-v2", token)
    assert answer.status == 502 and "Application-Gateway" in answer.text
    env.sim.fail_next("get-supplies-v2", 503, body={"custom": True})
    assert (await env.get("get-supplies-v2", token)).json() == {"custom": True}
    env.sim.fail_next("login", 500)
    async with env.session.post(
        f"{env.base}/nikola-auth/tokens/login",
        data={"username": HOLDER, "password": PASSWORD},
    ) as response:
        assert response.status == 500

    env.sim.malformed_next("get-supplies-v2", "truncated")
    answer = await env.get("get-supplies-v2", token)
    assert answer.status == 200
    with pytest.raises(json.JSONDecodeError):
        answer.json()
    env.sim.malformed_next("get-supplies-v2", "html")
    answer = await env.get("get-supplies-v2", token)
    assert answer.status == 200 and answer.content_type == "text/html"
    assert answer.text.startswith("<html>")
    env.sim.malformed_next("get-supplies-v2", "garbage")
    answer = await env.get("get-supplies-v2", token)
    with pytest.raises(json.JSONDecodeError):
        answer.json()
    assert (await env.get("get-supplies-v2", token)).json()["supplies"]

    # A 5 s hang against a 0.3 s client timeout: only the timeout can end it.
    env.sim.hang_next("get-supplies-v2", 5)
    with pytest.raises(asyncio.TimeoutError):
        await env.get("get-supplies-v2", token, timeout=0.3)
    env.sim.harness.faults.release()  # let the hanging handler finish now

    # Latency is asked of the fault harness (no wall clock: a busy machine
    # makes every request slow, and none faster than asked).
    slept: list[float] = []
    real_sleep = env.sim.harness.faults.sleep

    async def recording_sleep(seconds: float) -> None:
        slept.append(seconds)
        await real_sleep(seconds)

    monkeypatch.setattr(env.sim.harness.faults, "sleep", recording_sleep)
    env.sim.set_latency(0.25)
    assert (await env.get("get-supplies-v2", token)).status == 200
    assert 0.25 in slept
    env.sim.set_latency(0)

    faults = [r.fault for r in env.sim.requests if r.fault]
    assert faults[:3] == ["fail:500", "fail:500", "fail:502"]


async def test_data_problems(env: Env) -> None:
    env.sim.enforce_24h_rule = False
    token = await env.login()
    sim = env.sim
    sim.distributor_error(MADRID_FLAT.cups, {"2026/09"})
    body = (await env.consumption(token, MADRID_FLAT, "2026/09", "2026/10")).json()
    assert body == {
        "timeCurve": [],
        "distributorError": [
            {
                "distributorCode": "2",
                "distributorName": "EDISTRIBUCIÓN",
                "errorCode": "50",
                "errorDescription": "Error interno distribuidora",
            }
        ],
    }
    body = (await env.consumption(token, MADRID_FLAT, "2026/10", "2026/10")).json()
    assert body["timeCurve"] and body["distributorError"] == []
    sim.distributor_error(MADRID_FLAT.cups)  # every month
    assert (await env.max_power(token, MADRID_FLAT, "2026/10", "2026/10")).json()[
        "distributorError"
    ]
    sim.distributor_error(MADRID_FLAT.cups, set())
    assert not (await env.max_power(token, MADRID_FLAT, "2026/10", "2026/10")).json()[
        "distributorError"
    ]

    # A distributor failing the first month of a contract fails whole ranges.
    sim.fail_months(HEAT_PUMP.cups, {"2025/10"})
    answer = await env.consumption(token, HEAT_PUMP, "2025/09", "2025/11")
    assert answer.status == 500
    assert (await env.consumption(token, HEAT_PUMP, "2025/11", "2025/11")).status == 200
    sim.fail_months(HEAT_PUMP.cups, {"2025/10"}, status=503)
    assert (await env.max_power(token, HEAT_PUMP, "2025/10", "2025/10")).status == 503

    # Missing days and null hours (truth keeps the true values).
    sim.missing_days(MADRID_FLAT.cups, {date(2026, 10, 3)})
    null_hour = datetime(2026, 10, 4, 10, tzinfo=UTC)
    sim.null_hours(MADRID_FLAT.cups, {null_hour})
    rows = (await env.consumption(token, MADRID_FLAT, "2026/10", "2026/10")).json()[
        "timeCurve"
    ]
    assert not [row for row in rows if row["date"] == "2026/10/03"]
    nulls = [row for row in rows if row["consumptionKWh"] is None]
    assert [(r["date"], r["time"], r["obtainMethod"]) for r in nulls] == [
        ("2026/10/04", "13:00", "")
    ]
    assert sim.truth(MADRID_FLAT.cups)[null_hour].consumption is not None

    # Late data: the missing day comes back once cleared.
    sim.missing_days(MADRID_FLAT.cups, set())
    rows = (await env.consumption(token, MADRID_FLAT, "2026/10", "2026/10")).json()[
        "timeCurve"
    ]
    assert sum(1 for row in rows if row["date"] == "2026/10/03") == 24

    sim.reset()
    assert sim.requests == []
    assert sim.enforce_24h_rule is True
    assert (await env.get("get-supplies-v2", token)).status == 401  # tokens gone


async def test_unknown_private_path_is_forbidden(env: Env) -> None:
    token = await env.login()
    answer = await env.get("get-everything", token)
    assert (answer.status, answer.text) == (403, "403 Forbidden")


# ---------------------------------------------------------------------------
# Public API and control endpoints
# ---------------------------------------------------------------------------


async def test_public_search(env: Env) -> None:
    params = {
        "startDate": "2025/10/25",
        "endDate": "2025/10/27",
        "community": "13",
        "postalCode": MADRID_FLAT.postal_code,
        "fare": "2T",
        "economicSector": "1",
        "measurementType": "05",
        "page": "0",
        "pageSize": "2000",
    }
    rows = (await env.get("/api-public/api-search", None, params)).json()
    assert [(r["dataYear"], r["dataMonth"], r["dataDay"]) for r in rows] == [
        (2025, 10, 25),
        (2025, 10, 26),
        (2025, 10, 27),
    ]
    for row in rows:
        assert row["postalCode"] == "28004"
        assert row["community"] == "Madrid"
        assert isinstance(row["sumEnergy"], str)
        buckets = [int(row[f"mi{i}"]) for i in range(1, 26)]
        assert sum(buckets) == int(row["sumEnergy"])
        per_contract = int(row["sumEnergy"]) / int(row["sumContracts"])
        assert 4 < per_contract < 20  # kWh per home per day
    assert rows[0]["mi25"] == "0"
    assert int(rows[1]["mi25"]) > 0  # the repeated autumn hour
    params |= {"startDate": "2026/03/29", "endDate": "2026/03/29"}
    (spring,) = (await env.get("/api-public/api-search", None, params)).json()
    assert spring["mi3"] == "0"
    # Paging.
    params |= {"startDate": "2026/01/01", "endDate": "2026/01/10", "pageSize": "4"}
    page = (
        await env.get("/api-public/api-search", None, params | {"page": "2"})
    ).json()
    assert [r["dataDay"] for r in page] == [9, 10]
    # Unknown postal code → []; a whole community; bad queries → 400.
    unknown = params | {"postalCode": "28999"}
    assert (await env.get("/api-public/api-search", None, unknown)).json() == []
    community = {k: v for k, v in params.items() if k != "postalCode"}
    rows = (await env.get("/api-public/api-search", None, community)).json()
    assert int(rows[0]["sumContracts"]) > 100_000
    no_community = {k: v for k, v in params.items() if k != "community"}
    answer = await env.get("/api-public/api-search", None, no_community)
    assert answer.status == 400


async def test_control_endpoints(env: Env) -> None:
    async with env.session.get(f"{env.base}/_sim/accounts") as response:
        accounts = await response.json()
    assert {a["username"] for a in accounts} == set(env.sim.accounts)
    company = next(a for a in accounts if a["username"] == "B12345674")
    assert company["authorized"]["87654321X"][0]["cups"] == CANARY.cups

    params = {
        "cups": SOLAR.cups,
        "start": "2026-07-01T00:00:00+00:00",
        "end": "2026-07-02T00:00:00+00:00",
    }
    async with env.session.get(f"{env.base}/_sim/truth", params=params) as response:
        hours = await response.json()
    assert len(hours) == 24
    truth = env.sim.truth(SOLAR.cups)
    for hour in hours:
        value = truth[datetime.fromisoformat(hour["start"])]
        assert hour["generation"] == value.generation

    actions = [
        {"action": "fail", "endpoint": "get-supplies-v2", "status": 500},
        {"action": "enforce_24h_rule", "enabled": False},
    ]
    async with env.session.post(f"{env.base}/_sim/faults", json=actions) as response:
        assert response.status == 200
    token = await env.login()
    assert (await env.get("get-supplies-v2", token)).status == 500
    assert env.sim.enforce_24h_rule is False
    async with env.session.post(
        f"{env.base}/_sim/faults", json={"action": "nope"}
    ) as response:
        assert response.status == 400
    async with env.session.get(f"{env.base}/_sim/requests") as response:
        logged = await response.json()
    assert [r["endpoint"] for r in logged] == ["login", "get-supplies-v2"]
    assert logged[1]["identity"] == HOLDER
    async with env.session.post(f"{env.base}/_sim/reset") as response:
        assert response.status == 200
    assert env.sim.enforce_24h_rule is True
    assert env.sim.requests == []
