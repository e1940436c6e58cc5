"""The Digiwatt simulator serves a consistent household (tests over real HTTP)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
import json
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from custom_components.gridmeter.providers.digiwatt import ENDPOINTS
from custom_components.gridmeter.tariffs import ItalyF123
from simulator.__main__ import PROVIDERS, build_parser
from simulator.common import serving
from simulator.digiwatt import (
    CATALOGUE,
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    PARTNER_CLIENT_ID,
    PARTNER_CLIENT_SECRET,
    ROUTES,
    DigiwattSimulator,
    period_span,
    twelve_months,
)
from simulator.digiwatt.bands import band, easter, holidays
from simulator.digiwatt.green import day_windows, upcoming
from simulator.digiwatt.households import profile_for
from simulator.digiwatt.load import (
    compute_day,
    day_load,
    instant_watts,
    largest_remainder,
    local_midnight,
    minute_deviations,
)
from simulator.digiwatt.routes import PERIODS

NOW = datetime(2026, 11, 18, 10, 37, 20, tzinfo=UTC)
ROME = ZoneInfo("Europe/Rome")
FLAT = "1234567890"
BOLOGNA = "2345678901"
COTTAGE = "3456789012"
PARTNER = "9876543210"


@dataclass
class Answer:
    status: int
    text: str
    headers: dict[str, str]

    def json(self) -> Any:
        return json.loads(self.text)

    @property
    def data(self) -> Any:
        body = self.json()
        assert body["status"] == self.status == 200, body
        return body["data"]


@dataclass
class Env:
    sim: DigiwattSimulator
    base: str
    session: aiohttp.ClientSession

    async def call(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        json_body: Any = None,
        data: Any = None,
        timeout: float | None = None,
    ) -> Answer:
        headers = {} if token is None else {"Authorization": f"Bearer {token}"}
        async with self.session.request(
            method,
            self.base + path,
            headers=headers,
            json=json_body,
            data=data,
            timeout=aiohttp.ClientTimeout(total=timeout),
        ) as response:
            raw = await response.read()
            return Answer(
                response.status,
                raw.decode("utf-8", errors="replace"),
                dict(response.headers),
            )

    async def token(
        self, client_id: str = DEMO_CLIENT_ID, secret: str = DEMO_CLIENT_SECRET
    ) -> str:
        answer = await self.call(
            "POST",
            "/auth/token",
            data={
                "client_id": client_id,
                "client_secret": secret,
                "grant_type": "client_credentials",
            },
        )
        assert answer.status == 200, answer.text
        return str(answer.json()["access_token"])

    async def get(self, path: str, token: str) -> Answer:
        return await self.call("GET", path, token=token)


@pytest.fixture
async def env(socket_enabled: None) -> AsyncIterator[Env]:
    """A simulator frozen at NOW on 127.0.0.1."""
    sim = DigiwattSimulator(clock=lambda: NOW)
    async with (
        serving(sim.app, access_log=False) as base,
        aiohttp.ClientSession() as session,
    ):
        yield Env(sim, base, session)


# ---------------------------------------------------------------------------
# The contract
# ---------------------------------------------------------------------------


def test_routes_equal_the_clients_table() -> None:
    """The simulator serves exactly the client's endpoint table."""
    client_table = {e.value: (r.method, r.path) for e, r in ENDPOINTS.items()}
    assert client_table == dict(ROUTES)
    sim = DigiwattSimulator()
    served = {
        (route.method, route.resource.canonical, route.name)
        for route in sim.app.router.routes()
        if route.resource is not None
        and route.method != "HEAD"
        and not route.resource.canonical.startswith("/_sim")
    }
    assert served == {(m, p, name) for name, (m, p) in ROUTES.items()}


def test_bands_match_the_integrations_calendar() -> None:
    """The reimplemented ARERA bands agree with tariffs.ItalyF123, hour by hour."""
    calendar = ItalyF123()
    hour = datetime(2025, 1, 1, tzinfo=UTC)
    while hour < datetime(2027, 1, 1, tzinfo=UTC):
        assert f"f{band(hour.astimezone(ROME))}" == calendar.period_at(hour), hour
        hour += timedelta(hours=1)
    assert easter(2026) == date(2026, 4, 5)
    assert date(2026, 10, 4) in holidays(2026)
    assert date(2025, 10, 4) not in holidays(2025)
    assert date(2026, 4, 6) in holidays(2026)


def test_largest_remainder() -> None:
    """Whole numbers that add up to the target, proportionally."""
    assert largest_remainder([1.2, 2.3, 3.5], 7) == [1, 2, 4]
    assert sum(largest_remainder([0.1] * 7, 3)) == 3
    assert largest_remainder([], 5) == []
    assert largest_remainder([0.0, 0.0], 3) == [3, 0]
    assert largest_remainder([0.0, 0.0], 0) == [0, 0]


# ---------------------------------------------------------------------------
# The load
# ---------------------------------------------------------------------------


def test_days_are_civil_days_with_dst() -> None:
    """Europe/Rome days have 96 slots, 92 in spring, 100 in autumn."""
    profile = CATALOGUE[FLAT].profile
    assert len(day_load(profile, date(2026, 11, 17)).watts) == 96
    assert len(day_load(profile, date(2026, 3, 29)).watts) == 92
    autumn = day_load(profile, date(2026, 10, 25))
    assert len(autumn.watts) == 100
    assert autumn.start == datetime(2026, 10, 24, 22, tzinfo=UTC)
    assert sum(autumn.band_wh) == pytest.approx(autumn.total_wh)
    assert sum(autumn.tod_wh) == pytest.approx(autumn.total_wh)
    assert autumn.band_wh[:2] == (0.0, 0.0)  # a Sunday: all F3
    assert sum(autumn.component_wh) == pytest.approx(autumn.total_wh, abs=3)
    assert compute_day(profile, date(2026, 10, 25), 10).watts == autumn.watts[:10]


def test_loads_are_deterministic_and_plausible() -> None:
    """Same values in every simulator; daily energy in a household range."""
    for account in (FLAT, BOLOGNA, COTTAGE, PARTNER, "5550001112"):
        profile = profile_for(account)
        days = [date(2026, 1, 20), date(2026, 7, 20), date(2026, 11, 17)]
        energies = [day_load(profile, day).total_wh / 1000 for day in days]
        assert all(0.5 < kwh < 60 for kwh in energies), (account, energies)
        assert all(w >= 0 for day in days for w in day_load(profile, day).watts)
    assert profile_for("5550001112") == profile_for("5550001112")
    assert profile_for("5550001112").key == "account:5550001112"
    cottage = CATALOGUE[COTTAGE].profile
    winter_weekday = day_load(cottage, date(2026, 1, 21)).total_wh
    winter_weekend = day_load(cottage, date(2026, 1, 24)).total_wh
    assert winter_weekend > 2 * winter_weekday  # lived in at weekends only


def test_minutes_average_to_the_slot() -> None:
    """Instantaneous values within a slot average exactly to the slot's power."""
    profile = CATALOGUE[FLAT].profile
    slot = datetime(2026, 11, 18, 10, 15, tzinfo=UTC)
    assert sum(minute_deviations(profile, slot)) == pytest.approx(0, abs=1e-12)
    values = [instant_watts(profile, slot + timedelta(minutes=m)) for m in range(15)]
    average = day_load(profile, date(2026, 11, 18)).watts[11 * 4 + 1]
    assert sum(values) / 15 == pytest.approx(average, abs=0.06)


def test_greenness_windows_over_ten_days() -> None:
    """Always 2-4 upcoming windows, on the 15-minute grid, shares 0.55-0.9."""
    now = datetime(2026, 10, 20, tzinfo=UTC)
    while now < datetime(2026, 10, 30, tzinfo=UTC):
        windows = upcoming(now)
        assert 2 <= len(windows) <= 4, now
        assert windows == sorted(windows)
        for (begin, end, share), following in zip(
            windows, [*windows[1:], None], strict=True
        ):
            assert end > now and begin < end
            assert begin.minute % 15 == 0 and end.minute % 15 == 0
            assert begin.second == 0 and begin.tzinfo is UTC
            assert 0.55 <= share <= 0.9
            if following is not None:
                assert end <= following[0]
        now += timedelta(minutes=15)
    assert day_windows(date(2026, 3, 29))[0][1] > day_windows(date(2026, 3, 29))[0][0]


# ---------------------------------------------------------------------------
# Tokens and users over HTTP
# ---------------------------------------------------------------------------


async def test_tokens(env: Env) -> None:
    """Keycloak-like token answers; expiry by the simulator clock."""
    answer = await env.call(
        "POST",
        "/auth/token",
        data={"client_id": DEMO_CLIENT_ID, "client_secret": DEMO_CLIENT_SECRET},
    )
    body = answer.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 36000
    assert body["access_token"].count(".") == 2
    token = body["access_token"]
    assert (await env.get("/greenness", token)).status == 200
    wrong = await env.call(
        "POST", "/auth/token", data={"client_id": DEMO_CLIENT_ID, "client_secret": "x"}
    )
    assert (wrong.status, wrong.json()["error"]) == (401, "invalid_client")
    grant = await env.call(
        "POST",
        "/auth/token",
        data={
            "client_id": DEMO_CLIENT_ID,
            "client_secret": DEMO_CLIENT_SECRET,
            "grant_type": "password",
        },
    )
    assert (grant.status, grant.json()["error"]) == (400, "unsupported_grant_type")
    missing = await env.get("/greenness", "not-a-token")
    assert missing.status == 401
    assert missing.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    assert (await env.call("GET", "/greenness")).status == 401
    env.sim.token_lifetime = 60
    short = await env.token()
    env.sim.clock.set(NOW + timedelta(seconds=61))
    assert (await env.get("/greenness", short)).status == 401
    assert (await env.get("/greenness", token)).status == 200
    env.sim.expire_tokens()
    assert (await env.get("/greenness", token)).status == 401
    assert env.sim.count("token") == 4
    assert env.sim.requests[0].identity == DEMO_CLIENT_ID


async def test_users_and_onboarding(env: Env) -> None:
    """Creation rules, ownership, onboarding validation and deletion."""
    token = await env.token()
    create = "/users"
    bad_json = await env.call("POST", create, token=token, data=b"{", json_body=None)
    assert bad_json.status == 400
    for body, status in (
        ([1], 422),
        ({"pod": "IT001E23456789", "account_number": BOLOGNA}, 422),
        ({"pod": "IT001E2345678", "account_number": BOLOGNA, "company_code": "X"}, 422),
        (
            {
                "pod": "IT001E99999999",
                "account_number": BOLOGNA,
                "company_code": "DGW01",
            },
            422,
        ),
        (
            {"pod": "IT001E12345678", "account_number": FLAT, "company_code": "DGW01"},
            409,
        ),
    ):
        answer = await env.call("POST", create, token=token, json_body=body)
        assert answer.status == status, (body, answer.text)
    conflict = await env.call(
        "POST",
        create,
        token=token,
        json_body={
            "pod": "IT001E12345678",
            "account_number": FLAT,
            "company_code": "DGW01",
        },
    )
    assert conflict.json()["code"] == "user_exists"
    made = await env.call(
        "POST",
        create,
        token=token,
        json_body={
            "pod": "IT001E23456789",
            "account_number": BOLOGNA,
            "company_code": "DGW01",
        },
    )
    assert made.data == {
        "account_number": BOLOGNA,
        "pod": "IT001E23456789",
        "company_code": "DGW01",
        "onboarded": False,
        "created_at": "2026-11-18T11:37:20+01:00",
    }
    early = await env.get(f"/users/{BOLOGNA}/consumption/latest", token)
    assert (early.status, early.json()["code"]) == (409, "onboarding_required")
    onboarding = f"/users/{BOLOGNA}/onboarding"
    questionnaire = dict(CATALOGUE[BOLOGNA].onboarding)
    for broken, message in (
        ({}, "house is required"),
        ({"house": {"type": "castle"}}, "house.type"),
        ({"house": {"type": "detached", "dimesion": 0}}, "house.dimesion"),
        ({"house": {"type": "detached", "province": "bo"}}, "house.province"),
        ({"house": {"type": "detached"}}, "residents is required"),
        (
            {"house": {"type": "detached"}, "residents": {"adults": 0}},
            "residents.adults",
        ),
        ({**questionnaire, "appliances": {}}, "appliances must be an array"),
        ({**questionnaire, "appliances": [{"appliance": "toaster"}]}, "appliances[0]"),
        (
            {**questionnaire, "appliances": [{"appliance": "fridge", "quantity": 0}]},
            "appliances[0].quantity",
        ),
        (
            {
                **questionnaire,
                "appliances": [
                    {"appliance": "fridge", "quantity": 1},
                    {"appliance": "fridge", "quantity": 1},
                ],
            },
            "repeated",
        ),
        ([], "JSON object"),
    ):
        answer = await env.call("POST", onboarding, token=token, json_body=broken)
        assert answer.status == 422, broken
        assert message in answer.json()["message"]
    assert (await env.call("POST", onboarding, token=token, data=b"x")).status == 400
    recorded = await env.call("POST", onboarding, token=token, json_body=questionnaire)
    assert recorded.data == {"account_number": BOLOGNA, **questionnaire}
    assert env.sim.users[BOLOGNA].appliances[0] == "fridge"
    other = await env.token(PARTNER_CLIENT_ID, PARTNER_CLIENT_SECRET)
    assert (await env.get(f"/users/{BOLOGNA}/saving", other)).status == 403
    assert (await env.call("DELETE", f"/users/{BOLOGNA}", token=other)).status == 403
    assert (await env.get(f"/users/{PARTNER}/saving", other)).status == 200
    gone = await env.call("DELETE", f"/users/{BOLOGNA}", token=token)
    assert gone.data == {"account_number": BOLOGNA, "deleted": True}
    assert (await env.call("DELETE", f"/users/{BOLOGNA}", token=token)).status == 404
    assert (await env.call("POST", onboarding, token=token, json_body={})).status == 404
    period = await env.get(f"/users/{FLAT}/consumption/fortnight/totals", token)
    assert (period.status, period.json()["code"]) == (400, "invalid_period")
    assert (await env.call("DELETE", f"/users/{FLAT}")).status == 401
    assert (await env.call("POST", create)).status == 401
    assert (await env.call("POST", onboarding)).status == 401
    env.sim.reset()
    assert sorted(env.sim.users) == [FLAT, PARTNER]


# ---------------------------------------------------------------------------
# Data consistency over HTTP
# ---------------------------------------------------------------------------


async def test_appliances_add_up_to_totals(env: Env) -> None:
    """For every period: appliances = total, habits = total, performance = total."""
    token = await env.token()
    base = f"/users/{FLAT}/consumption"
    for period in PERIODS:
        totals = (await env.get(f"{base}/{period}/totals", token)).data
        usage = (await env.get(f"{base}/{period}", token)).data
        habits = (await env.get(f"{base}/{period}/habits", token)).data
        performance = (await env.get(f"{base}/{period}/performance", token)).data
        total = totals["total"]
        assert isinstance(total, int) and total > 0
        assert sum(a["energy"] for a in totals["appliances"]) == total
        assert [a["appliance"] for a in totals["appliances"]][-1] == "other"
        hours = (
            datetime.fromisoformat(usage["to"]) - datetime.fromisoformat(usage["from"])
        ).total_seconds() / 3600
        for watts, energy in zip(
            usage["appliances"], totals["appliances"], strict=True
        ):
            assert watts["power"] * hours == pytest.approx(
                energy["energy"], abs=0.01 * hours
            )
        assert sum(habits["time_of_day"].values()) == total
        assert sum(habits["day_type"].values()) == total
        assert performance["user"] == total
        assert performance["min"] < total < performance["max"]
        # Totals equal the sum of the 15-minute truth.
        start = datetime.fromisoformat(totals["from"]).astimezone(UTC)
        end = datetime.fromisoformat(totals["to"]).astimezone(UTC)
        truth = env.sim.truth_w(FLAT, start, end)
        assert total == round(sum(truth.values()) / 4)
        assert totals["previous"] > 0
        assert totals["variation"] == round(
            (total - totals["previous"]) * 100 / totals["previous"], 1
        )


async def test_twelve_months_are_consistent(env: Env) -> None:
    """Trend bands, compound and distribution add up, and match the hourly load."""
    token = await env.token()
    trend = (await env.get(f"/users/{FLAT}/analytics/trend", token)).data["months"]
    compound = (await env.get(f"/users/{FLAT}/analytics/compound", token)).data[
        "months"
    ]
    distribution = (await env.get(f"/users/{FLAT}/analytics/distribution", token)).data
    assert [m["month"] for m in trend] == [m["month"] for m in compound]
    assert trend[0]["month"] == "2025-12" and trend[-1]["month"] == "2026-11"
    assert (distribution["from"], distribution["to"]) == ("2025-12", "2026-11")
    for bands, split in zip(trend, compound, strict=True):
        assert bands["f1"] + bands["f2"] + bands["f3"] == sum(
            a["energy"] for a in split["appliances"]
        )
    shares = {a["appliance"]: a["energy"] for a in distribution["appliances"]}
    for name, energy in shares.items():
        assert energy == sum(
            a["energy"]
            for m in compound
            for a in m["appliances"]
            if a["appliance"] == name
        )
    assert sum(a["share"] for a in distribution["appliances"]) == pytest.approx(
        1, abs=1e-3
    )
    # March against the hourly truth (the spring day has 23 hours).
    march = next(m for m in trend if m["month"] == "2026-03")
    (_, start, end) = next(m for m in twelve_months(NOW) if m[0] == date(2026, 3, 1))
    hourly = env.sim.truth_hourly_kwh(FLAT, start, end)
    assert len(hourly) == 31 * 24 - 1
    assert march["f1"] + march["f2"] + march["f3"] == pytest.approx(
        sum(hourly.values()) * 1000, abs=1
    )


async def test_realtime_is_consistent_with_latest(env: Env) -> None:
    """Realtime minutes average to the slot the six-hour series then shows."""
    token = await env.token()
    slot = datetime(2026, 11, 18, 10, 30, tzinfo=UTC)
    values = []
    for minute in range(15):
        env.sim.clock.set(slot + timedelta(minutes=minute, seconds=30))
        answer = (await env.get(f"/users/{FLAT}/consumption/realtime", token)).data
        assert (
            answer["timestamp"]
            == (slot + timedelta(minutes=minute)).astimezone(ROME).isoformat()
        )
        values.append(answer["power"])
    env.sim.clock.set(slot + timedelta(minutes=15))
    latest = (await env.get(f"/users/{FLAT}/consumption/latest", token)).data
    assert latest["step"] == "PT15M"
    assert len(latest["values"]) == 24
    last = latest["values"][-1]
    assert datetime.fromisoformat(last["start"]) == slot
    assert sum(values) / 15 == pytest.approx(last["power"], abs=0.06)
    assert len(set(values)) > 5  # it moves within the slot
    truth = env.sim.truth_w(FLAT)
    assert [v["power"] for v in latest["values"]] == list(truth.values())


async def test_autumn_dst_in_the_series_and_the_day(env: Env) -> None:
    """Local timestamps repeat 02:xx with two offsets; the day has 25 hours."""
    token = await env.token()
    env.sim.clock.set(datetime(2026, 10, 25, 2, 30, tzinfo=UTC))
    latest = (await env.get(f"/users/{FLAT}/consumption/latest", token)).data
    stamps = [v["start"] for v in latest["values"]]
    assert "2026-10-25T02:00:00+02:00" in stamps
    assert "2026-10-25T02:00:00+01:00" in stamps
    utc = [datetime.fromisoformat(s).astimezone(UTC) for s in stamps]
    assert len(set(utc)) == 24 and utc == sorted(utc)
    env.sim.clock.set(datetime(2026, 10, 26, 9, tzinfo=UTC))
    token = await env.token()
    yesterday = (
        await env.get(f"/users/{FLAT}/consumption/yesterday/totals", token)
    ).data
    assert yesterday["from"] == "2026-10-25T00:00:00+02:00"
    assert yesterday["to"] == "2026-10-26T00:00:00+01:00"
    hours = env.sim.truth_hourly_kwh(
        FLAT, local_midnight(date(2026, 10, 25)), local_midnight(date(2026, 10, 26))
    )
    assert len(hours) == 25
    assert yesterday["total"] == round(sum(hours.values()) * 1000)


async def test_greenness_and_saving(env: Env) -> None:
    """Windows as documented; saving over 30 whole days."""
    token = await env.token()
    windows = (await env.get("/greenness", token)).data["windows"]
    assert [
        (
            datetime.fromisoformat(w["start"]).astimezone(UTC),
            datetime.fromisoformat(w["stop"]).astimezone(UTC),
            w["percentage"] / 100,
        )
        for w in windows
    ] == env.sim.windows()
    saving = (await env.get(f"/users/{FLAT}/saving", token)).data
    assert saving["days"] == 30
    assert saving["from"] == "2026-10-19T00:00:00+02:00"
    assert saving["to"] == "2026-11-18T00:00:00+01:00"
    assert 0 < saving["saving"]["energy"] < saving["energy"]


def test_period_spans() -> None:
    """Periods in local days; "this" periods compare with the same elapsed time."""
    now = datetime(2026, 3, 31, 8, 7, tzinfo=UTC)  # Tuesday 10:07 CEST
    week = period_span("this-week", now)
    assert week.start == local_midnight(date(2026, 3, 30))
    assert week.end == datetime(2026, 3, 31, 8, 0, tzinfo=UTC)
    assert week.previous_start == local_midnight(date(2026, 3, 23))
    assert week.previous_end == datetime(2026, 3, 24, 9, 0, tzinfo=UTC)  # 10:00 CET
    month = period_span("this-month", now)
    assert month.previous_start == local_midnight(date(2026, 2, 1))
    assert month.previous_end == local_midnight(date(2026, 3, 1))  # no 31 February
    mid = period_span("this-month", datetime(2026, 3, 15, 12, tzinfo=UTC))
    assert mid.previous_end == datetime(2026, 2, 15, 12, tzinfo=UTC)
    last = period_span("last-month", now)
    assert (last.start, last.previous_start) == (
        local_midnight(date(2026, 2, 1)),
        local_midnight(date(2026, 1, 1)),
    )
    seven = period_span("last-seven-days", now)
    assert seven.end - seven.start == timedelta(days=7) - timedelta(hours=1)
    with pytest.raises(ValueError, match="period"):
        period_span("fortnight", now)
    months = twelve_months(datetime(2026, 1, 10, tzinfo=UTC))
    assert [m[0] for m in months][:2] == [date(2025, 2, 1), date(2025, 3, 1)]
    assert months[-1][2] == datetime(2026, 1, 10, tzinfo=UTC)


# ---------------------------------------------------------------------------
# Faults
# ---------------------------------------------------------------------------


async def test_faults(env: Env) -> None:
    """401, 429 with Retry-After, 5xx pages, hangs, broken bodies, latency."""
    token = await env.token()
    realtime = f"/users/{FLAT}/consumption/realtime"
    env.sim.fail_next("realtime", 401)
    assert (await env.get(realtime, token)).json()["code"] == "invalid_token"
    env.sim.retry_after = 120
    env.sim.fail_next("realtime", 429)
    limited = await env.get(realtime, token)
    assert (limited.status, limited.headers["Retry-After"]) == (429, "120")
    env.sim.fail_next("realtime", 503)
    page = await env.get(realtime, token)
    assert (page.status, page.headers["Content-Type"]) == (503, "text/html")
    env.sim.fail_next("realtime", 500)
    assert (await env.get(realtime, token)).json()["code"] == "internal_server_error"
    env.sim.fail_next("realtime", 599)
    assert (await env.get(realtime, token)).json()["code"] == "error"
    env.sim.fail_next("realtime", 200, {"status": 500, "message": "down"})
    assert (await env.get(realtime, token)).json() == {"status": 500, "message": "down"}
    env.sim.fail_next("token", 401)
    denied = await env.call("POST", "/auth/token", data={"client_id": "x"})
    assert denied.json()["error"] == "invalid_client"
    env.sim.malformed_next("realtime", "truncated")
    with pytest.raises(ValueError):
        (await env.get(realtime, token)).json()
    env.sim.hang_next("greenness", 5)
    with pytest.raises(TimeoutError):
        await env.call("GET", "/greenness", token=token, timeout=0.2)
    env.sim.set_latency(0.05, "greenness")
    assert (await env.get("/greenness", token)).status == 200
    env.sim.set_latency(0, "greenness")
    assert [e.fault for e in env.sim.requests if e.fault][:2] == [
        "fail:401",
        "fail:429",
    ]


async def test_controls(env: Env) -> None:
    """The /_sim endpoints drive the same knobs as the Python API."""
    users = await env.call("GET", "/_sim/users")
    assert users.json()["client_id"] == DEMO_CLIENT_ID
    assert {u["account_number"] for u in users.json()["users"]} == {FLAT, PARTNER}
    truth = await env.call("GET", f"/_sim/truth?account_number={FLAT}")
    assert len(truth.json()) == 24
    ranged = await env.call(
        "GET",
        f"/_sim/truth?account_number={FLAT}&start=2026-11-18T09:00:00Z&end=2026-11-18T10:00:00Z",
    )
    assert len(ranged.json()) == 4
    assert (await env.call("GET", "/_sim/truth")).status == 400
    assert (
        await env.call("GET", f"/_sim/truth?account_number={FLAT}&start=x")
    ).status == 400
    assert len((await env.call("GET", "/_sim/windows")).json()) >= 2
    actions = [
        {"action": "fail", "endpoint": "greenness", "status": 502},
        {"action": "hang", "endpoint": "latest", "seconds": 0.01},
        {"action": "malformed", "endpoint": "trend", "mode": "html"},
        {"action": "latency", "seconds": 0},
        {"action": "token_lifetime", "seconds": 120},
        {"action": "retry_after", "seconds": 5},
        {"action": "expire_tokens"},
    ]
    applied = await env.call("POST", "/_sim/faults", json_body=actions)
    assert applied.json() == {"ok": True, "applied": 7}
    state = (await env.call("GET", "/_sim/faults")).json()
    assert len(state["pending"]) == 3
    assert (state["token_lifetime"], state["retry_after"]) == (120, 5)
    assert (
        await env.call("POST", "/_sim/faults", json_body={"action": "clear"})
    ).status == 200
    assert (await env.call("GET", "/_sim/faults")).json()["pending"] == []
    for bad in ({"action": "explode"}, [1], {"action": "fail"}):
        assert (await env.call("POST", "/_sim/faults", json_body=bad)).status == 400
    assert (await env.call("POST", "/_sim/faults", data=b"{")).status == 400
    await env.token()
    assert len((await env.call("GET", "/_sim/requests")).json()) == 1
    assert (await env.call("POST", "/_sim/reset")).json() == {"ok": True}
    assert env.sim.requests == []
    clock = await env.call(
        "POST", "/_sim/clock", json_body={"now": "2026-06-01T12:00:00Z"}
    )
    assert clock.json()["now"] == "2026-06-01T12:00:00+00:00"
    clock = await env.call("POST", "/_sim/clock", json_body={"advance_seconds": 60})
    assert clock.json()["now"] == "2026-06-01T12:01:00+00:00"
    assert (await env.call("POST", "/_sim/clock", json_body=[1])).status == 400
    assert (await env.call("POST", "/_sim/clock", json_body={"now": ""})).status == 400
    assert (await env.call("POST", "/_sim/clock", json_body={"now": "x"})).status == 400
    back = await env.call("POST", "/_sim/clock", json_body={"system": True})
    assert back.status == 200
    assert (await env.call("GET", "/_sim/clock")).status == 200


def test_command_line() -> None:
    """``python -m simulator digiwatt`` builds this simulator on port 8973."""
    args = build_parser().parse_args(["digiwatt"])
    assert args.port == 8973
    sim = PROVIDERS["digiwatt"].factory(args)
    assert isinstance(sim, DigiwattSimulator)
    banner = sim.describe("http://127.0.0.1:8973")
    assert DEMO_CLIENT_ID in banner and DEMO_CLIENT_SECRET in banner
    assert all(account in banner for account in CATALOGUE)
