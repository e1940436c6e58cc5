"""The Digiwatt client over real HTTP against the simulator."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from custom_components.gridmeter.providers.digiwatt import (
    ENDPOINTS,
    HOUSE_SIZE_FIELD,
    Appliance,
    DigiwattClient,
    Endpoint,
    Household,
    HouseType,
    OnboardingRequired,
    Period,
    PowerPoint,
    UserExists,
    client as client_module,
)
from custom_components.gridmeter.providers.digiwatt.endpoints import household_body
from custom_components.gridmeter.providers.digiwatt.parsing import (
    duration,
    instant,
    month,
    parse_appliances,
    parse_greenness,
    parse_household,
    parse_latest,
    parse_performance,
    parse_saving,
    parse_token,
    parse_totals,
    parse_user,
)
from custom_components.gridmeter.providers.errors import (
    AuthError,
    CannotConnect,
    InvalidResponse,
    NotAuthorized,
    NotFound,
    ProviderError,
    ProviderUnavailable,
    RateLimited,
    RequestRejected,
    RequestTimeout,
)
from custom_components.gridmeter.providers.models import EnergyKind
from simulator.common import start
from simulator.digiwatt import (
    DEMO_CLIENT_SECRET,
    PARTNER_CLIENT_ID,
    PARTNER_CLIENT_SECRET,
    DigiwattSimulator,
)

NOW = datetime(2026, 11, 18, 10, 37, 20, tzinfo=UTC)
ROME_FLAT = "1234567890"
BOLOGNA = "2345678901"
BOLOGNA_POD = "IT001E23456789"
PARTNER_FLAT = "9876543210"
METER = "IT001E12345678"

# The clock ticks from NOW so that request timeouts still fire.
pytestmark = [
    pytest.mark.freeze_time(NOW, tick=True),
    pytest.mark.usefixtures("socket_enabled"),
]


@dataclass
class Running:
    sim: DigiwattSimulator
    url: str
    session: aiohttp.ClientSession

    def client(self, **kwargs: Any) -> DigiwattClient:
        options: dict[str, Any] = {"base_url": self.url, "clock": self.sim.clock.now}
        options.update(kwargs)
        client_id = options.pop("client_id", self.sim.client_id)
        secret = options.pop("client_secret", self.sim.client_secret)
        return DigiwattClient(self.session, client_id, secret, **options)


@pytest.fixture
async def env() -> AsyncIterator[Running]:
    """A simulator on a local port and a plain session."""
    sim = DigiwattSimulator()
    runner, url = await start(sim.app, "127.0.0.1", 0, access_log=False)
    try:
        async with aiohttp.ClientSession() as session:
            yield Running(sim, url, session)
    finally:
        sim.reset()
        await runner.cleanup()


def household(**changes: Any) -> Household:
    values: dict[str, Any] = {
        "house_type": HouseType.DETACHED,
        "size_m2": 160,
        "province": "bo",
        "adults": 2,
        "children": 2,
        "elderlies": 1,
        "appliances": {
            Appliance.FRIDGE: 2,
            "heatPump": 1,
            Appliance.ELECTRIC_VEHICLE: 1,
        },
    }
    values.update(changes)
    return Household(**values)


def assert_no_secret(err: BaseException, *secrets: str) -> None:
    text = str(err)
    for secret in (DEMO_CLIENT_SECRET, *secrets):
        assert secret not in text


# ---------------------------------------------------------------------------
# Tokens
# ---------------------------------------------------------------------------


async def test_token_is_cached_across_calls(env: Running) -> None:
    """One token for many calls; the header carries the token type."""
    client = env.client()
    assert client.token_expires is None
    assert DEMO_CLIENT_SECRET not in repr(client)
    for _ in range(3):
        await client.async_get_realtime(ROME_FLAT)
    await client.async_get_greenness()
    await client.async_authenticate()
    assert env.sim.count("token") == 1
    assert env.sim.count("realtime") == 3
    assert client.requests_sent == 5
    expires = client.token_expires
    assert expires is not None
    assert (
        timedelta(hours=9, minutes=59) < expires - env.sim.now() <= timedelta(hours=10)
    )
    assert env.sim.requests[0].form["client_secret"] == "***"
    assert env.sim.requests[0].form["grant_type"] == "client_credentials"
    await client.async_authenticate(force=True)
    assert env.sim.count("token") == 2


async def test_token_refreshed_before_expiry(env: Running) -> None:
    """A token is replaced 60 s before it expires, without a 401."""
    env.sim.token_lifetime = 600
    client = env.client()
    await client.async_get_realtime(ROME_FLAT)
    env.sim.clock.advance(timedelta(seconds=530))
    await client.async_get_realtime(ROME_FLAT)
    assert env.sim.count("token") == 1
    env.sim.clock.advance(timedelta(seconds=15))  # 545 s: inside the margin
    await client.async_get_realtime(ROME_FLAT)
    assert env.sim.count("token") == 2
    assert all(entry.status != 401 for entry in env.sim.requests)


async def test_refresh_once_on_401(env: Running) -> None:
    """A token the server forgot is refreshed once and the call retried."""
    client = env.client()
    await client.async_get_realtime(ROME_FLAT)
    env.sim.expire_tokens()
    power = await client.async_get_realtime(ROME_FLAT)
    assert power.watts > 0
    assert env.sim.count("token") == 2
    assert [e.status for e in env.sim.requests if e.endpoint == "realtime"] == [
        200,
        401,
        200,
    ]


async def test_concurrent_401s_share_one_refresh(env: Running) -> None:
    """Calls rejected together wait for the same new token."""
    client = env.client()
    await client.async_authenticate()
    env.sim.expire_tokens()
    results = await asyncio.gather(
        client.async_get_realtime(ROME_FLAT),
        client.async_get_realtime(ROME_FLAT),
        client.async_get_greenness(),
    )
    assert len(results) == 3
    assert env.sim.count("token") == 2


async def test_second_401_is_auth_error(env: Running) -> None:
    """A fresh token rejected too means the credentials no longer work."""
    client = env.client()
    env.sim.fail_next("realtime", 401, times=2)
    with pytest.raises(AuthError) as caught:
        await client.async_get_realtime(ROME_FLAT)
    assert env.sim.count("token") == 2
    assert_no_secret(caught.value)


async def test_bad_credentials(env: Running) -> None:
    """A wrong secret, an unknown client: AuthError without the secret."""
    for client_id, secret in (
        (env.sim.client_id, "wrong-secret"),
        ("nobody", DEMO_CLIENT_SECRET),
    ):
        client = env.client(client_id=client_id, client_secret=secret)
        with pytest.raises(AuthError) as caught:
            await client.async_get_greenness()
        assert_no_secret(caught.value, "wrong-secret")
    env.sim.fail_next("token", 400, body={"error": "unsupported_grant_type"})
    with pytest.raises(AuthError):
        await env.client().async_authenticate()


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (500, None, ProviderUnavailable),
        (503, None, ProviderUnavailable),
        (429, None, RateLimited),
        (200, "not json", InvalidResponse),
        (200, {"token_type": "Bearer"}, InvalidResponse),
        (200, {"access_token": "x", "token_type": 7}, InvalidResponse),
        (200, {"access_token": "x", "expires_in": -5}, InvalidResponse),
        (200, ["a", "list"], InvalidResponse),
    ],
)
async def test_token_endpoint_failures(
    env: Running, status: int, body: object, error: type[ProviderError]
) -> None:
    """Failures of the token endpoint map to typed errors."""
    env.sim.fail_next("token", status, body)
    client = env.client()
    with pytest.raises(error) as caught:
        await client.async_authenticate()
    assert_no_secret(caught.value)
    assert client.token_expires is None


async def test_token_answer_variants(env: Running) -> None:
    """Missing expires_in means the documented 10 h; 'bearer' is normalised."""
    env.sim.fail_next("token", 200, {"access_token": "opaque", "token_type": "bearer"})
    client = env.client()
    await client.async_authenticate()
    expires = client.token_expires
    assert expires is not None
    assert (
        timedelta(hours=9, minutes=59) < expires - env.sim.now() <= timedelta(hours=10)
    )
    assert client._token is not None and client._token.token_type == "Bearer"
    token = parse_token({"access_token": "abc", "expires_in": "120"})
    assert (token.token_type, token.expires_in) == ("Bearer", 120.0)
    assert "abc" not in repr(token)
    assert parse_token({"access_token": "abc", "token_type": "MAC"}).token_type == "MAC"


# ---------------------------------------------------------------------------
# Users and onboarding
# ---------------------------------------------------------------------------


async def test_create_and_delete_user(env: Running) -> None:
    """Create (POD normalised), refuse a duplicate, delete, then 404."""
    client = env.client()
    user = await client.async_create_user(" it001e-2345 6789 ", f" {BOLOGNA} ", "DGW01")
    assert user.account_number == BOLOGNA
    assert user.pod == BOLOGNA_POD
    assert user.company_code == "DGW01"
    assert user.onboarded is False
    assert user.created_at is not None
    assert env.sim.users[BOLOGNA].pod == BOLOGNA_POD
    with pytest.raises(UserExists) as exists:
        await client.async_create_user(BOLOGNA_POD, BOLOGNA, "DGW01")
    assert isinstance(exists.value, RequestRejected)
    await client.async_delete_user(BOLOGNA)
    assert BOLOGNA not in env.sim.users
    with pytest.raises(NotFound):
        await client.async_delete_user(BOLOGNA)
    with pytest.raises(NotAuthorized):
        await client.async_delete_user(PARTNER_FLAT)
    with pytest.raises(RequestRejected) as mismatch:
        await client.async_create_user("IT001E99999999", BOLOGNA, "DGW01")
    assert "IT001E99999999" not in str(mismatch.value)
    # Any other account number works (a derived household).
    other = await client.async_create_user("IT002E11223344", "5550001112", "ACME")
    assert other.pod == "IT002E11223344"


@pytest.mark.parametrize(
    ("pod", "account", "company", "field"),
    [
        ("IT001E1234567", BOLOGNA, "DGW01", "pod"),
        ("IT001E1234567890AB", BOLOGNA, "DGW01", "pod"),
        ("FR001E12345678", BOLOGNA, "DGW01", "pod"),
        (None, BOLOGNA, "DGW01", "pod"),
        (BOLOGNA_POD, "  ", "DGW01", "account_number"),
        (BOLOGNA_POD, None, "DGW01", "account_number"),
        (BOLOGNA_POD, BOLOGNA, "", "company_code"),
        (BOLOGNA_POD, BOLOGNA, None, "company_code"),
    ],
)
async def test_create_user_refused_locally(
    env: Running, pod: Any, account: Any, company: Any, field: str
) -> None:
    """Invalid identifiers never leave the client."""
    with pytest.raises(RequestRejected, match=field):
        await env.client().async_create_user(pod, account, company)
    assert env.sim.count() == 0


async def test_onboarding(env: Running) -> None:
    """Data needs the questionnaire; the echo is the recorded household."""
    client = env.client()
    await client.async_create_user(BOLOGNA_POD, BOLOGNA, "DGW01")
    with pytest.raises(OnboardingRequired):
        await client.async_get_totals(BOLOGNA, Period.YESTERDAY)
    sent = household()
    recorded = await client.async_onboard(BOLOGNA, sent)
    assert recorded == sent
    assert recorded.province == "BO"
    assert recorded.residents == 5
    totals = await client.async_get_totals(BOLOGNA, Period.YESTERDAY)
    assert set(totals.by_appliance_wh) == {
        Appliance.FRIDGE,
        Appliance.HEAT_PUMP,
        Appliance.ELECTRIC_VEHICLE,
        "other",
    }
    assert sum(totals.by_appliance_wh.values()) == totals.total_wh
    # No appliances: Digiwatt's default set comes back.
    default = await client.async_onboard(BOLOGNA, household(appliances={}))
    assert set(default.appliances) == {
        Appliance.FRIDGE,
        Appliance.WASHING_MACHINE,
        Appliance.OVEN,
        Appliance.MICROWAVE,
        Appliance.TELEVISION,
    }
    with pytest.raises(NotFound):
        await client.async_onboard("0000000000", sent)
    env.sim.fail_next("onboarding", 409)
    with pytest.raises(RequestRejected) as conflict:
        await client.async_onboard(BOLOGNA, sent)
    assert not isinstance(conflict.value, OnboardingRequired | UserExists)
    env.sim.fail_next("onboarding", 422, {"status": 422, "message": "bad province"})
    with pytest.raises(RequestRejected, match="bad province"):
        await client.async_onboard(BOLOGNA, sent)


def test_onboarding_body_uses_the_documents_spelling() -> None:
    """``dimesion`` as documented; no appliances key for the default set."""
    body = household_body(household())
    assert HOUSE_SIZE_FIELD == "dimesion"
    assert body["house"] == {"type": "detached", "dimesion": 160, "province": "BO"}
    assert body["residents"] == {"adults": 2, "children": 2, "elderlies": 1}
    assert {"appliance": "heatPump", "quantity": 1} in body["appliances"]
    assert "appliances" not in household_body(household(appliances={}))


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"house_type": "villa"}, "house_type"),
        ({"size_m2": 0}, "size_m2"),
        ({"size_m2": 80.5}, "size_m2"),
        ({"size_m2": True}, "size_m2"),
        ({"province": "Roma"}, "province"),
        ({"province": "R1"}, "province"),
        ({"province": None}, "province"),
        ({"adults": 0}, "adults"),
        ({"adults": "2"}, "adults"),
        ({"children": -1}, "children"),
        ({"elderlies": -1}, "elderlies"),
        ({"appliances": {"toaster": 1}}, "appliances"),
        ({"appliances": {"fridge": 0}}, "appliances.fridge"),
        ({"appliances": {"oven": 1.5}}, "appliances.oven"),
        ({"appliances": [("fridge", 1)]}, "appliances"),
    ],
)
async def test_household_validation(
    env: Running, changes: dict[str, Any], field: str
) -> None:
    """Every invalid answer is refused locally, naming its field."""
    with pytest.raises(ValueError, match=rf"^{field}:"):
        household(**changes)
    assert env.sim.count() == 0


async def test_onboard_refuses_non_households(env: Running) -> None:
    """Only a validated Household is sent."""
    with pytest.raises(RequestRejected, match="household"):
        await env.client().async_onboard(BOLOGNA, {"house": {}})  # type: ignore[arg-type]
    with pytest.raises(RequestRejected, match="account_number"):
        await env.client().async_onboard("", household())
    assert env.sim.count() == 0


# ---------------------------------------------------------------------------
# Data endpoints
# ---------------------------------------------------------------------------


async def test_consumption_endpoints(env: Running) -> None:
    """Appliances, totals, performance and habits agree with each other."""
    client = env.client()
    for period in Period:
        totals = await client.async_get_totals(ROME_FLAT, period)
        usages = await client.async_get_appliances(ROME_FLAT, period)
        performance = await client.async_get_performance(ROME_FLAT, period)
        habits = await client.async_get_habits(ROME_FLAT, period)
        assert totals.period is period
        assert totals.total_wh > 0
        assert sum(totals.by_appliance_wh.values()) == totals.total_wh
        assert totals.start is not None and totals.end is not None
        assert totals.start.tzinfo is UTC
        hours = (totals.end - totals.start).total_seconds() / 3600
        assert [u.appliance for u in usages] == list(totals.by_appliance_wh)
        for usage in usages:
            wh = totals.by_appliance_wh[usage.appliance]
            assert usage.watts * hours == pytest.approx(wh, abs=0.01 * hours)
            assert usage.share == pytest.approx(wh / totals.total_wh, abs=1e-4)
        assert totals.previous_wh is not None and totals.change_ratio is not None
        assert totals.change_ratio == pytest.approx(
            (totals.total_wh - totals.previous_wh) / totals.previous_wh, abs=1e-3
        )
        assert performance.user_wh == totals.total_wh
        assert performance.min_wh < performance.user_wh < performance.max_wh
        assert performance.similar_homes is not None
        assert habits.total_wh == totals.total_wh
        assert habits.weekday_wh + habits.weekend_wh == totals.total_wh
    yesterday = await client.async_get_totals(ROME_FLAT, "yesterday")  # type: ignore[arg-type]
    assert yesterday.end is not None and yesterday.start is not None
    assert yesterday.end - yesterday.start == timedelta(days=1)
    with pytest.raises(RequestRejected, match="period"):
        await client.async_get_totals(ROME_FLAT, "tomorrow")  # type: ignore[arg-type]


async def test_analytics_and_saving(env: Running) -> None:
    """Trend by band, distribution and compound agree; saving is plausible."""
    client = env.client()
    trend = await client.async_get_trend(ROME_FLAT)
    distribution = await client.async_get_distribution(ROME_FLAT)
    compound = await client.async_get_compound(ROME_FLAT)
    assert [m.month for m in trend] == [
        date(2025 + (11 + i) // 12, (11 + i) % 12 + 1, 1) for i in range(12)
    ]
    assert all(m.f1_wh > 0 and m.f2_wh > 0 and m.f3_wh > 0 for m in trend)
    by_month: dict[date, float] = {}
    for row in compound:
        by_month[row.month] = by_month.get(row.month, 0) + row.wh
    assert by_month == {m.month: m.total_wh for m in trend}
    shares = {s.appliance: s.wh for s in distribution}
    for name, wh in shares.items():
        assert wh == sum(r.wh for r in compound if r.appliance == name)
    assert sum(shares.values()) == sum(m.total_wh for m in trend)
    assert sum(s.share or 0 for s in distribution) == pytest.approx(1, abs=1e-3)
    saving = await client.async_get_saving(ROME_FLAT)
    assert saving.start is not None and saving.end is not None
    rome = ZoneInfo("Europe/Rome")
    days = saving.end.astimezone(rome).date() - saving.start.astimezone(rome).date()
    assert days == timedelta(days=30)  # 30 days and an hour: DST ended
    assert 100 < saving.kwh < 500
    assert saving.euro is not None and 0 < saving.euro < saving.kwh
    assert saving.co2_kg == pytest.approx(saving.kwh * 0.256, abs=0.01)
    assert saving.saving_kwh is not None and saving.saving_kwh < saving.kwh
    assert saving.saving_euro is not None


async def test_latest_equals_truth(env: Running) -> None:
    """Six hours of 15-minute readings equal the truth, per slot and per hour."""
    client = env.client()
    batch = await client.async_get_latest(ROME_FLAT, meter_id=METER)
    assert batch.meter_id == METER
    assert batch.kinds == {EnergyKind.CONSUMPTION}
    assert batch.skipped == 0
    truth = env.sim.truth_w(ROME_FLAT)
    assert len(batch.readings) == 24 == len(truth)
    got = {r.start: r.kwh for r in batch.readings}
    assert got == pytest.approx({k: w * 900 / 3_600_000 for k, w in truth.items()})
    assert all(r.duration == timedelta(minutes=15) for r in batch.readings)
    assert batch.readings[-1].end == datetime(2026, 11, 18, 10, 30, tzinfo=UTC)
    hourly: dict[datetime, float] = {}
    for reading in batch.readings:
        hour = reading.start.replace(minute=0)
        hourly[hour] = hourly.get(hour, 0.0) + reading.kwh
    expected = env.sim.truth_hourly_kwh(ROME_FLAT)
    assert len(expected) == 5  # 04:30-10:30: 05:00 ... 09:00 are whole
    for hour, kwh in expected.items():
        assert hourly[hour] == pytest.approx(kwh, abs=1e-12)


async def test_latest_on_the_autumn_dst_night(env: Running) -> None:
    """The repeated local hour becomes two distinct UTC hours."""
    env.sim.clock.set(datetime(2026, 10, 25, 2, 40, tzinfo=UTC))  # 03:40 CET
    batch = await env.client().async_get_latest(ROME_FLAT, meter_id=METER)
    starts = [r.start for r in batch.readings]
    assert starts == [
        datetime(2026, 10, 24, 20, 30, tzinfo=UTC) + i * timedelta(minutes=15)
        for i in range(24)
    ]
    truth = env.sim.truth_w(ROME_FLAT)
    assert [r.kwh for r in batch.readings] == pytest.approx(
        [w / 4000 for w in truth.values()]
    )


async def test_realtime_and_greenness(env: Running) -> None:
    """Realtime is the instantaneous value; windows are the simulator's."""
    client = env.client()
    power = await client.async_get_realtime(ROME_FLAT)
    assert power.at == env.sim.now().replace(second=0, microsecond=0)
    assert power.watts == env.sim.instant_w(ROME_FLAT)
    windows = await client.async_get_greenness()
    assert [(w.start, w.end, w.renewable_share) for w in windows] == env.sim.windows()
    assert 2 <= len(windows) <= 4


# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (400, None, RequestRejected),
        (422, {"status": 422, "code": "validation_error"}, RequestRejected),
        (403, None, NotAuthorized),
        (404, None, NotFound),
        (409, {"status": 409, "code": "onboarding_required"}, OnboardingRequired),
        (418, "<html>teapot</html>", RequestRejected),
        (500, None, ProviderUnavailable),
        (502, None, ProviderUnavailable),
        (504, None, ProviderUnavailable),
        (304, None, InvalidResponse),
        (200, {"status": 500, "message": "backend down"}, InvalidResponse),
        (200, {"status": "ok", "data": {}}, InvalidResponse),
        (200, {"status": 200}, InvalidResponse),
        (200, {"status": 200, "data": {"power": "x", "timestamp": 1}}, InvalidResponse),
        (200, {"status": 200, "data": []}, InvalidResponse),
        (200, [1, 2], InvalidResponse),
    ],
)
async def test_error_mapping(
    env: Running, status: int, body: object, error: type[ProviderError]
) -> None:
    """Each answer maps to its typed error, without secrets."""
    env.sim.fail_next("totals", status, body)
    with pytest.raises(error) as caught:
        await env.client().async_get_totals(ROME_FLAT, Period.YESTERDAY)
    assert_no_secret(caught.value)


async def test_real_rejections(env: Running) -> None:
    """The simulator's own 403, 404 and 409 map without injection."""
    client = env.client()
    with pytest.raises(NotAuthorized):
        await client.async_get_realtime(PARTNER_FLAT)
    with pytest.raises(NotFound):
        await client.async_get_trend("0000000000")
    partner = env.client(
        client_id=PARTNER_CLIENT_ID, client_secret=PARTNER_CLIENT_SECRET
    )
    assert (await partner.async_get_realtime(PARTNER_FLAT)).watts > 0
    await client.async_create_user("IT001E34567890", "3456789012", "DGW01")
    for call in (
        client.async_get_realtime("3456789012"),
        client.async_get_saving("3456789012"),
        client.async_get_compound("3456789012"),
    ):
        with pytest.raises(OnboardingRequired):
            await call


async def test_rate_limits(env: Running) -> None:
    """429 carries Retry-After (its forms: tests/providers/test_http.py)."""
    client = env.client()
    env.sim.retry_after = 90
    env.sim.fail_next("realtime", 429)
    with pytest.raises(RateLimited) as caught:
        await client.async_get_realtime(ROME_FLAT)
    assert caught.value.retry_after == 90
    env.sim.harness.faults.fail_next("realtime", 429, {"status": 429})
    with pytest.raises(RateLimited) as no_header:
        await client.async_get_realtime(ROME_FLAT)
    assert no_header.value.retry_after is None


async def test_transport_failures(env: Running) -> None:
    """Hangs time out, broken bodies are invalid, refused ports cannot connect."""
    client = env.client(timeout=0.3)
    env.sim.hang_next("latest", 2)
    with pytest.raises(RequestTimeout):
        await client.async_get_latest(ROME_FLAT, meter_id=METER)
    for mode in ("truncated", "html", "garbage"):
        env.sim.malformed_next("habits", mode)
        with pytest.raises(InvalidResponse):
            await client.async_get_habits(ROME_FLAT, Period.LAST_WEEK)
    nowhere = DigiwattClient(env.session, "id", "secret", base_url="http://127.0.0.1:9")
    with pytest.raises(CannotConnect):
        await nowhere.async_get_greenness()


class _BrokenSession:
    """A session whose every request fails mid-way."""

    def request(self, *args: object, **kwargs: object) -> Any:
        raise aiohttp.ServerDisconnectedError


async def test_other_client_errors_are_unavailable() -> None:
    """Any other aiohttp error is ProviderUnavailable."""
    client = DigiwattClient(_BrokenSession(), "id", "secret")  # type: ignore[arg-type]
    with pytest.raises(ProviderUnavailable):
        await client.async_authenticate()


async def test_odd_latest_rows_are_skipped(env: Running) -> None:
    """Null powers, naive or missing timestamps are counted, not fatal."""
    env.sim.fail_next(
        "latest",
        200,
        {
            "status": 200,
            "data": {
                "step": "PT900S",
                "values": [
                    {"start": "2026-11-18T11:15:00+01:00", "power": 400},
                    {"start": "2026-11-18T11:00:00+01:00", "power": "200.5"},
                    {"start": "2026-11-18T11:30:00", "power": 100},
                    {"start": "2026-11-18T11:45:00+01:00", "power": None},
                    {"power": 5},
                    "junk",
                ],
            },
        },
    )
    batch = await env.client().async_get_latest(ROME_FLAT, meter_id=METER)
    assert batch.skipped == 4
    assert [(r.start.hour, r.start.minute, r.kwh) for r in batch.readings] == [
        (10, 0, pytest.approx(200.5 / 4000)),
        (10, 15, pytest.approx(0.1)),
    ]


async def test_big_answers_are_parsed_off_the_loop(
    env: Running, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the threshold, decoding and parsing run in a worker thread."""
    calls: list[Callable[..., Any]] = []
    real = asyncio.to_thread

    async def spy(func: Callable[..., Any], /, *args: Any) -> Any:
        calls.append(func)
        return await real(func, *args)

    monkeypatch.setattr(client_module, "THREAD_BYTES", 10)
    monkeypatch.setattr(client_module.asyncio, "to_thread", spy)
    trend = await env.client().async_get_trend(ROME_FLAT)
    assert len(trend) == 12
    assert calls


# ---------------------------------------------------------------------------
# Parsers (shapes the simulator never sends)
# ---------------------------------------------------------------------------


def test_field_readers() -> None:
    """Durations, months and instants in their accepted and refused forms."""
    assert duration("PT15M", "x") == timedelta(minutes=15)
    assert duration("pt1h", "x") == timedelta(hours=1)
    assert duration("P1D", "x") == timedelta(days=1)
    assert duration(900, "x") == timedelta(seconds=900)
    for bad in ("P", "PT0M", "15 minutes", None, -1, True):
        with pytest.raises(InvalidResponse):
            duration(bad, "x")
    assert month("2026-03", "x") == date(2026, 3, 1)
    assert month("2026-03-17", "x") == date(2026, 3, 1)
    for bad in ("2026-13", "March", 202603):
        with pytest.raises(InvalidResponse):
            month(bad, "x")
    assert instant("2026-10-25T02:30:00+01:00", "x") == datetime(
        2026, 10, 25, 1, 30, tzinfo=UTC
    )
    assert instant("2026-10-25T01:30:00z", "x").tzinfo is UTC
    for bad in ("2026-10-25T02:30:00", "yesterday", 5):
        with pytest.raises(InvalidResponse):
            instant(bad, "x")


def test_parsers_tolerate_and_refuse() -> None:
    """Optional fields, computed ratios, unknown names and broken shapes."""
    totals = parse_totals({"total": 1500, "previous": 1000}, Period.YESTERDAY)
    assert totals.period is Period.YESTERDAY
    assert totals.change_ratio == pytest.approx(0.5)
    assert totals.by_appliance_wh == {}
    assert (
        parse_totals({"total": 10, "previous": 0}, Period.YESTERDAY).change_ratio
        is None
    )
    twice = parse_totals(
        {
            "period": "last-week",
            "total": 10,
            "appliances": [
                {"appliance": "lighting", "energy": 4},
                {"appliance": "lighting", "energy": 6},
            ],
        }
    )
    assert twice.period is Period.LAST_WEEK
    assert twice.by_appliance_wh == {"lighting": 10}
    with pytest.raises(InvalidResponse):
        parse_totals({"period": "fortnight", "total": 1})
    with pytest.raises(InvalidResponse):
        parse_totals({"total": "lots"}, Period.YESTERDAY)
    with pytest.raises(InvalidResponse):
        parse_totals({"total": [1]}, Period.YESTERDAY)
    with pytest.raises(InvalidResponse):
        parse_totals({"total": "nan"}, Period.YESTERDAY)
    user = parse_user(
        {"account_number": 1234567890, "pod": "IT001E12345678", "company_code": "X"}
    )
    assert (user.account_number, user.onboarded, user.created_at) == (
        "1234567890",
        False,
        None,
    )
    with pytest.raises(InvalidResponse):
        parse_user({"account_number": "1", "pod": " ", "company_code": "X"})
    with pytest.raises(ValueError, match="start"):
        PowerPoint(start=datetime(2026, 1, 1), watts=1)
    with pytest.raises(InvalidResponse):
        parse_appliances(
            {"appliances": [{"appliance": "", "power": 1}]}, Period.THIS_WEEK
        )
    with pytest.raises(InvalidResponse):
        parse_appliances({"appliances": {}}, Period.THIS_WEEK)
    performance = parse_performance({"min": 1, "max": 3, "user": 2}, Period.THIS_MONTH)
    assert performance.average_wh is None and performance.similar_homes is None
    saving = parse_saving({"energy": 250000})
    assert (saving.kwh, saving.saving_kwh, saving.euro) == (250.0, None, None)
    with pytest.raises(InvalidResponse):
        parse_saving({"energy": 1, "saving": 5})
    with pytest.raises(InvalidResponse):
        parse_greenness(
            {
                "windows": [
                    {"start": "2026-11-18T12:00:00Z", "stop": "2026-11-18T11:00:00Z"}
                ]
            }
        )
    windows = parse_greenness(
        {"windows": [{"start": "2026-11-18T12:00:00Z", "stop": "2026-11-18T13:00:00Z"}]}
    )
    assert windows[0].renewable_share is None
    assert parse_latest({"values": []}).step == timedelta(minutes=15)
    with pytest.raises(InvalidResponse):
        parse_latest({"values": None})


def test_onboarding_echo_parsing() -> None:
    """Either spelling of the size; bad echoes are invalid answers."""
    echo = {
        "house": {"type": "apartment", "dimension": 70, "province": "MI"},
        "residents": {"adults": 1, "children": 0, "elderlies": 1},
        "appliances": [{"appliance": "fridge", "quantity": 1.0}],
    }
    assert parse_household(echo).size_m2 == 70
    for house, residents, appliances in (
        ({"type": "castle", "dimesion": 70, "province": "MI"}, None, None),
        (None, {"adults": 0, "children": 0, "elderlies": 0}, None),
        (None, {"adults": 1.5, "children": 0, "elderlies": 0}, None),
        (None, None, [{"appliance": "toaster", "quantity": 1}]),
        (None, None, [{"appliance": "fridge", "quantity": "1"}]),
    ):
        broken = {
            "house": house or echo["house"],
            "residents": residents or echo["residents"],
            "appliances": appliances or echo["appliances"],
        }
        with pytest.raises(InvalidResponse):
            parse_household(broken)


def test_endpoint_table_paths() -> None:
    """Templates are filled and the account number is percent-encoded."""
    route = ENDPOINTS[Endpoint.TOTALS]
    assert (
        route.url_path(account_number="12/34", period=Period.THIS_WEEK)
        == "/users/12%2F34/consumption/this-week/totals"
    )
    assert ENDPOINTS[Endpoint.GREENNESS].url_path() == "/greenness"
    assert not ENDPOINTS[Endpoint.TOKEN].enveloped
