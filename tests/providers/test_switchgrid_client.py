"""The Switchgrid client over real HTTP against the simulator."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
import re
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from custom_components.gridmeter.providers.errors import (
    AuthError,
    CannotConnect,
    ConsentPending,
    ConsentRevoked,
    InvalidResponse,
    NotAuthorized,
    NotFound,
    ProviderUnavailable,
    RateLimited,
    RequestRejected,
    RequestTimeout,
    ServiceNotActivated,
)
from custom_components.gridmeter.providers.models import (
    EnergyKind,
    EnergyReading,
    TimeRange,
)
from custom_components.gridmeter.providers.switchgrid import (
    Ask,
    AskStatus,
    Order,
    OrderRequest,
    OrderStatus,
    RequestStatus,
    Signer,
    SwitchgridClient,
    client as client_module,
    load_curve_readings,
)
from custom_components.gridmeter.providers.switchgrid.client import (
    serialize_order_request,
)
from simulator.common import start
from simulator.switchgrid import (
    LILLE_HOUSE,
    LYON_HOUSE,
    MARSEILLE_SHOP,
    PARIS_FLAT,
    TOULOUSE_SOLAR,
    Household,
    SwitchgridSimulator,
)

NOW = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)
YESTERDAY = date(2026, 11, 9)
PARIS = ZoneInfo("Europe/Paris")
SIGNER = Signer(
    first_name="Julien",
    last_name="Bertrand",
    email="julien@example.org",
    phone="+33600000000",
    genre="M",
)

pytestmark = [
    pytest.mark.freeze_time(NOW, tick=True),
    pytest.mark.usefixtures("socket_enabled"),
]


def paris(day: date) -> datetime:
    """The UTC instant of the Paris midnight starting ``day``."""
    return datetime.combine(day, time(), PARIS).astimezone(UTC)


def consumption_curve(first: date, last: date) -> OrderRequest:
    """The consumption load curve from the Paris midnight starting ``first``
    to the one starting ``last``.
    """
    return OrderRequest(
        type="LOADCURVE", direction="CONSUMPTION", since=paris(first), until=paris(last)
    )


def tr(a: str, b: str) -> TimeRange:
    return TimeRange(start=time.fromisoformat(a), end=time.fromisoformat(b))


@dataclass
class Running:
    sim: SwitchgridSimulator
    origin: str

    @property
    def api(self) -> str:
        return self.origin + "/enedis/v2"


@pytest.fixture
async def sg() -> AsyncIterator[Running]:
    """A simulator on a local port, with quick address checks and orders."""
    sim = SwitchgridSimulator()
    sim.address_check_delay = 0.05
    sim.order_delay = 0.05
    runner, url = await start(sim.app, "127.0.0.1", 0, access_log=False)
    try:
        yield Running(sim, url.rstrip("/"))
    finally:
        await runner.cleanup()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """A plain session (the integration injects Home Assistant's)."""
    async with aiohttp.ClientSession() as client_session:
        yield client_session


def client_for(
    sg: Running, session: aiohttp.ClientSession, **kwargs: object
) -> SwitchgridClient:
    return SwitchgridClient(session, sg.sim.token, base_url=sg.api, **kwargs)  # type: ignore[arg-type]


async def signed_ask(
    client: SwitchgridClient, sg: Running, house: Household, *, injection: bool = True
) -> Ask:
    """Search, ask and sign (the simulator's sign button) for one household."""
    (match,) = await client.async_search_contracts(house.holder, prm=house.prm)
    ask = await client.async_create_ask([match.id], SIGNER, injection=injection)
    sg.sim.sign(ask.id)
    return await client.async_get_ask(ask.id)


async def order_for(
    client: SwitchgridClient,
    sg: Running,
    house: Household,
    *requests: OrderRequest,
    injection: bool = True,
) -> Order:
    ask = await signed_ask(client, sg, house, injection=injection)
    consent = ask.consent_for(house.prm)
    assert consent is not None
    order = await client.async_create_order(consent, requests)
    return await client.async_wait_for_order(
        order.id, first_delay=0.02, max_delay=0.1, timeout=10
    )


def hourly(readings: Iterable[EnergyReading]) -> dict[datetime, float]:
    """Sum readings into UTC hours, keeping complete hours only."""
    sums: dict[datetime, float] = defaultdict(float)
    counts: dict[datetime, timedelta] = defaultdict(timedelta)
    for reading in readings:
        hour = reading.start.replace(minute=0)
        sums[hour] += reading.kwh
        counts[hour] += reading.duration
    return {
        hour: kwh for hour, kwh in sums.items() if counts[hour] == timedelta(hours=1)
    }


# -- contract search ------------------------------------------------------------------


async def test_search_contracts(sg: Running, session: aiohttp.ClientSession) -> None:
    """By name + address or name + PRM; tolerant names; local validation first."""
    client = client_for(sg, session)
    (lyon,) = await client.async_search_contracts(
        "Julien Bertrand", address="8 chemin des Cerisiers 69009 Lyon"
    )
    assert lyon.prm == LYON_HOUSE.prm
    assert lyon.id == LYON_HOUSE.contract_id
    assert lyon.holder == "BERTRAND JULIEN"
    assert lyon.category == "RES"
    assert lyon.address == ("8 CHEMIN DES CERISIERS EN FLEURS", "69009 LYON")
    (shop,) = await client.async_search_contracts(
        "Boulangerie du Vieux Four", prm="1357 9246 8013 57"
    )
    assert shop.category == "PRO"
    assert shop.address[0] == "DP TJ TB"
    assert await client.async_search_contracts("Nobody", prm=LYON_HOUSE.prm) == []
    sent = client.requests_sent
    for name, kwargs in (
        ("Jo", {"prm": LYON_HOUSE.prm}),
        ("Julien", {}),
        ("Julien", {"address": "  ", "prm": " "}),
        ("Julien", {"prm": "123"}),
    ):
        with pytest.raises(RequestRejected):
            await client.async_search_contracts(name, **kwargs)
    assert client.requests_sent == sent
    # The simulator's own validation (no postal code) is a 400.
    with pytest.raises(RequestRejected, match="postal code"):
        await client.async_search_contracts("Julien", address="chemin des Cerisiers")


# -- asks -------------------------------------------------------------------------------


async def test_ask_signed_on_the_hosted_page(
    sg: Running, session: aiohttp.ClientSession
) -> None:
    """Create (test env), wait for the address check, sign on the page, ACCEPTED."""
    sg.sim.address_check_delay = 0.3
    client = client_for(sg, session, test_env=True)
    (match,) = await client.async_search_contracts("Bertrand", prm=LYON_HOUSE.prm)
    ask = await client.async_create_ask(
        [match.id], SIGNER, purposes=("SOLAR_INSTALLATION_SIZING",), duration="1 year"
    )
    assert ask.status in (AskStatus.CREATED, AskStatus.PENDING_ADDRESS_CHECK)
    assert ask.user_url is None
    assert ask.prms == (LYON_HOUSE.prm,)
    assert sg.sim.asks[ask.id].test_env
    for _ in range(50):
        ask = await client.async_get_ask(ask.id)
        if ask.status is AskStatus.PENDING_USER_ACTION:
            break
        await asyncio.sleep(0.05)
    assert ask.status is AskStatus.PENDING_USER_ACTION
    assert ask.address_checks == {LYON_HOUSE.prm: "SUCCESS"}
    assert not ask.accepted and ask.accepted_at is None
    assert ask.user_url is not None

    # What the holder does in a browser: open the page, press "Signer".
    async with session.get(ask.user_url) as page:
        assert page.status == 200
        html = await page.text()
    action = re.search(r'action="([^"]+)"', html)
    assert action is not None
    async with session.post(sg.origin + action.group(1)) as signed:
        assert signed.status == 200

    ask = await client.async_get_ask(ask.id)
    assert ask.status is AskStatus.ACCEPTED
    assert ask.accepted_at is not None
    assert ask.expires_at is not None
    assert ask.expires_at.date() == ask.accepted_at.date().replace(
        year=ask.accepted_at.year + 1
    )
    assert ask.usable(NOW + timedelta(days=1))
    consent = ask.consent_for(LYON_HOUSE.prm)
    assert consent is not None
    order = await client.async_create_order(consent, [OrderRequest(type="C68")])
    assert sg.sim.orders[order.id].test_env


async def test_address_check_failure(
    sg: Running, session: aiohttp.ClientSession
) -> None:
    """The Marseille shop never matches Enedis's records: no page, no consent."""
    client = client_for(sg, session)
    (match,) = await client.async_search_contracts(
        "Boulangerie", address="4 traverse des Pins Parasols 13008 Marseille"
    )
    ask = await client.async_create_ask([match.id], SIGNER, injection=False)
    await asyncio.sleep(0.1)
    ask = await client.async_get_ask(ask.id)
    assert ask.status is AskStatus.ADDRESS_CHECK_FAILED
    assert ask.address_checks == {MARSEILLE_SHOP.prm: "FAILURE"}
    assert ask.user_url is None
    assert ask.consent_ids == {}
    assert not ask.usable(NOW)


async def test_list_and_delete_asks(
    sg: Running, session: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every page is followed; filters by PRM and status; DELETE revokes."""
    monkeypatch.setattr(client_module, "ASK_PAGE_SIZE", 2)
    client = client_for(sg, session)
    lyon = await signed_ask(client, sg, LYON_HOUSE)
    paris_ask = await signed_ask(client, sg, PARIS_FLAT)
    (match,) = await client.async_search_contracts("Moreau", prm=PARIS_FLAT.prm)
    pending = [await client.async_create_ask([match.id], SIGNER) for _ in range(3)]

    every = await client.async_list_asks()
    assert [a.id for a in every] == [lyon.id, paris_ask.id, *(a.id for a in pending)]
    assert sg.sim.count("/ask") >= 3
    for_paris = await client.async_list_asks(prm=PARIS_FLAT.prm)
    assert {a.id for a in for_paris} == {paris_ask.id, *(a.id for a in pending)}
    accepted = await client.async_list_asks(status=[AskStatus.ACCEPTED])
    assert [a.id for a in accepted] == [lyon.id, paris_ask.id]
    with pytest.raises(RequestRejected):
        await client.async_list_asks(prm="not a prm")
    # A page cap bounds a runaway listing.
    monkeypatch.setattr(client_module, "MAX_ASK_PAGES", 1)
    assert len(await client.async_list_asks()) == 2

    await client.async_delete_ask(lyon.id)
    revoked = await client.async_get_ask(lyon.id)
    assert revoked.revoked_at is not None
    assert not revoked.usable(NOW)
    consent = lyon.consent_for(LYON_HOUSE.prm)
    assert consent is not None
    with pytest.raises(ConsentRevoked):
        await client.async_create_order(consent, [OrderRequest(type="C68")])
    with pytest.raises(NotFound):
        await client.async_delete_ask("0a0b0c0d-0000-4000-8000-000000000000")
    with pytest.raises(NotFound):
        await client.async_get_ask("0a0b0c0d-0000-4000-8000-000000000000")
    with pytest.raises(RequestRejected):
        await client.async_get_ask(" ")


# -- orders and data ---------------------------------------------------------------------


async def test_load_curve_and_daily_flows_equal_the_truth(
    sg: Running, session: aiohttp.ClientSession
) -> None:
    """10-min load curve = truth W; per hour = truth kWh; R65/R64/R66 agree."""
    client = client_for(sg, session)
    first, last = date(2026, 11, 1), date(2026, 11, 4)
    order = await order_for(
        client,
        sg,
        LYON_HOUSE,
        consumption_curve(first, last),
        OrderRequest(type="R65_SYNC", direction="SOUTIRAGE", since=first, until=last),
        OrderRequest(type="R64_SYNC", since=first, until=last),
        OrderRequest(type="R66_SYNC", since=first, until=last),
    )
    assert order.status is OrderStatus.SUCCESS
    assert order.done
    request = order.find("LOADCURVE", "CONSUMPTION")
    assert request is not None and request.status is RequestStatus.SUCCESS
    assert request.completed_at is not None and request.ordered_at is not None
    assert request.data_url is None

    curve = await client.async_get_load_curve(request)
    assert curve.period == timedelta(minutes=10)
    assert curve.starts_at == paris(first)
    assert len(curve.values) == 3 * 144
    truth = sg.sim.truth_w(LYON_HOUSE.prm)
    assert {curve.start_of(i): v for i, v in enumerate(curve.values)} == {
        t: w for t, w in truth.items() if paris(first) <= t < paris(last)
    }
    # The same series through GET /request/{id}/data (no inline curve).
    fetched = await client.async_get_load_curve(replace(request, load_curve=None))
    assert fetched == curve
    assert sg.sim.count("/data") == 1

    batch = load_curve_readings(curve, EnergyKind.CONSUMPTION, meter_id=LYON_HOUSE.prm)
    assert batch.skipped == 0
    per_hour = hourly(batch.readings)
    truth_kwh = sg.sim.truth_hourly_kwh(LYON_HOUSE.prm)
    assert len(per_hour) == 72
    for hour, kwh in per_hour.items():
        assert kwh == pytest.approx(truth_kwh[hour], abs=1e-9)

    # Resampled server-side to one hour.
    hours = await client.async_get_load_curve(request, period="1h")
    assert hours.period == timedelta(hours=1)
    hourly_batch = load_curve_readings(hours, EnergyKind.CONSUMPTION, meter_id="x")
    assert sum(r.kwh for r in hourly_batch.readings) == pytest.approx(
        sum(per_hour.values()), rel=1e-3
    )
    with pytest.raises(RequestRejected):
        await client.async_get_load_curve(request, period="2h")

    # R65 = the day's load-curve energy; R64 index differences agree.
    r65 = order.find("R65_SYNC")
    r64 = order.find("R64_SYNC")
    r66 = order.find("R66_SYNC")
    assert r65 is not None and r64 is not None and r66 is not None
    assert r65.direction == "SOUTIRAGE"
    daily = await client.async_get_daily_energy(r65)
    assert list(daily) == [first, date(2026, 11, 2), date(2026, 11, 3)]
    for day, kwh in daily.items():
        day_curve = sum(
            kwh
            for hour, kwh in per_hour.items()
            if paris(day) <= hour < paris(day + timedelta(days=1))
        )
        assert kwh == pytest.approx(day_curve, abs=0.001)
    indexes = await client.async_get_daily_indexes(r64)
    assert set(indexes[first]) == {"HP", "HC", "TOTAL"}
    for day, kwh in daily.items():
        following = indexes[day + timedelta(days=1)]
        assert following["TOTAL"] - indexes[day]["TOTAL"] == pytest.approx(
            kwh, abs=0.003
        )

    peaks = await client.async_get_daily_max_power(r66)
    household = sg.sim.data.household(LYON_HOUSE.prm)
    expected = []
    for offset in range(3):
        peak = sg.sim.data.daily_max(household, first + timedelta(days=offset))
        assert peak is not None
        expected.append((peak.at, peak.va / 1000))
    assert [(p.at, p.kw) for p in peaks] == expected
    assert all(p.kw <= LYON_HOUSE.subscribed_kva for p in peaks)
    raw = await client.async_get_raw(r66)
    assert raw["header"]["codeFlux"] == "M023"


async def test_dst_day_and_injection(
    sg: Running, session: aiohttp.ClientSession
) -> None:
    """The autumn Paris day has 50 half hours; a solar home's injection is RETURN."""
    client = client_for(sg, session)
    day = date(2026, 10, 25)
    window = {"since": paris(day), "until": paris(day + timedelta(days=1))}
    order = await order_for(
        client,
        sg,
        TOULOUSE_SOLAR,
        OrderRequest(type="LOADCURVE", direction="CONSUMPTION", **window),  # type: ignore[arg-type]
        OrderRequest(type="LOADCURVE", direction="INJECTION", **window),  # type: ignore[arg-type]
    )
    consumption = order.find("LOADCURVE", "CONSUMPTION")
    injection = order.find("LOADCURVE", "INJECTION")
    assert consumption is not None and injection is not None
    assert consumption.id != injection.id
    curve = await client.async_get_load_curve(consumption)
    assert len(curve.values) == 50
    assert curve.ends_at - curve.starts_at == timedelta(hours=25)
    returned = load_curve_readings(
        await client.async_get_load_curve(injection), EnergyKind.RETURN, meter_id="t"
    )
    assert returned.kinds == {EnergyKind.RETURN}
    truth = sg.sim.truth_w(TOULOUSE_SOLAR.prm, "INJECTION")
    assert {r.start: r.kwh * 2000 for r in returned.readings} == pytest.approx(
        {t: w for t, w in truth.items() if window["since"] <= t < window["until"]}
    )
    # The directions are remembered for later reads of the order, and can be
    # carried over a restart.
    again = await client.async_get_order(order.id)
    assert again.find("LOADCURVE", "INJECTION") == injection
    restarted = client_for(sg, session)
    assert (await restarted.async_get_order(order.id)).requests[1].direction is None
    restarted.restore_request_directions(client.request_directions)
    restarted.restore_request_directions({"x": 1, 2: "y"})  # type: ignore[dict-item]
    restarted.restore_request_directions(None)
    assert (await restarted.async_get_order(order.id)).find(
        "LOADCURVE", "INJECTION"
    ) == injection


async def test_contract_of_each_household(
    sg: Running, session: aiohttp.ClientSession
) -> None:
    """C68 → Contract: both JSON variants, BASE, one and two off-peak ranges."""
    client = client_for(sg, session)
    expected = [
        (PARIS_FLAT, "BTINFCUST", 6.0, (), ()),
        (
            LYON_HOUSE,
            "BTINFMUDT",
            9.0,
            (tr("22:30", "06:30"),),
            (tr("23:00", "07:00"),),
        ),
        (
            TOULOUSE_SOLAR,
            "BTINFCU4",
            6.0,
            (tr("01:30", "07:30"), tr("12:30", "14:30")),
            (),
        ),
        (LILLE_HOUSE, "BTINFMUDT", 9.0, (tr("23:00", "07:00"),), ()),
    ]
    for house, fta, kva, off_peak, future in expected:
        order = await order_for(client, sg, house, OrderRequest(type="C68"))
        request = order.find("C68")
        assert request is not None and request.data_url is not None
        contract = await client.async_get_contract(request, house.prm)
        assert contract.meter_id == house.prm
        assert contract.tariff_code == fta
        assert contract.tariff_name is not None
        assert contract.contracted_power_kw == (kva,)
        assert contract.off_peak_hours == off_peak
        assert contract.future_off_peak_hours == future
        assert contract.meter_type == "LINKY"
        assert contract.off_peak_text == house.off_peak
        # The option the tariff-option sensor can show, derived.
        assert contract.tariff_option == ("HPHC" if off_peak else "BASE")


async def test_wait_backs_off_and_times_out(
    sg: Running, session: aiohttp.ClientSession
) -> None:
    """Polls grow exponentially (no busy loop); a stuck order ends in a timeout."""
    client = client_for(sg, session)
    ask = await signed_ask(client, sg, PARIS_FLAT)
    consent = ask.consent_for(PARIS_FLAT.prm)
    assert consent is not None
    sg.sim.order_delay = 0.6
    order = await client.async_create_order(consent, [OrderRequest(type="C68")])
    assert order.status is OrderStatus.PENDING_REQUESTS and not order.done
    polls = sg.sim.count(f"/order/{order.id}")
    done = await client.async_wait_for_order(
        order.id, first_delay=0.05, max_delay=0.2, timeout=5
    )
    assert done.status is OrderStatus.SUCCESS
    polls = sg.sim.count(f"/order/{order.id}") - polls
    # 0, .05, .15, .35, .55, .75 s: a handful of polls, not hundreds.
    assert 3 <= polls <= 8
    sg.sim.order_delay = 30
    slow = await client.async_create_order(consent, [OrderRequest(type="C68")])
    with pytest.raises(RequestTimeout, match="still running"):
        await client.async_wait_for_order(
            slow.id, first_delay=0.05, max_delay=0.1, timeout=0.3
        )
    pending = (await client.async_get_order(slow.id)).requests[0]
    with pytest.raises(NotFound):
        await client.async_get_raw(pending)
    with pytest.raises(NotFound):
        await client.async_get_order("0a0b0c0d-0000-4000-8000-000000000000")


async def test_load_curve_not_activated_then_retry_flag(
    sg: Running, session: aiohttp.ClientSession
) -> None:
    """Lille's curve was never collected: FAILED (others kept), then retried."""
    client = client_for(sg, session)
    order = await order_for(
        client,
        sg,
        LILLE_HOUSE,
        OrderRequest(type="LOADCURVE", direction="CONSUMPTION"),
        OrderRequest(type="C68"),
        OrderRequest(type="R65_SYNC", direction="INJECTION"),
    )
    assert order.status is OrderStatus.SOME_REQUESTS_FAILED
    curve_request = order.find("LOADCURVE")
    assert curve_request is not None
    assert curve_request.status is RequestStatus.FAILED
    assert curve_request.load_curve_not_activated
    with pytest.raises(ServiceNotActivated):
        await client.async_get_load_curve(curve_request)
    # The other requests are kept: the contract is there.
    c68 = order.find("C68")
    assert c68 is not None
    assert (await client.async_get_contract(c68, LILLE_HOUSE.prm)).tariff_code
    no_injection = order.find("R65_SYNC")
    assert no_injection is not None and no_injection.status is RequestStatus.FAILED
    assert not no_injection.load_curve_not_activated
    with pytest.raises(RequestRejected, match="injection"):
        await client.async_get_daily_energy(no_injection)

    consent = (await client.async_list_asks(prm=LILLE_HOUSE.prm))[0].consent_for(
        LILLE_HOUSE.prm
    )
    assert consent is not None
    waiting = await client.async_create_order(
        consent,
        [
            OrderRequest(
                type="LOADCURVE", direction="CONSUMPTION", retry_after_activation=True
            )
        ],
    )
    with pytest.raises(RequestTimeout):
        await client.async_wait_for_order(
            waiting.id, first_delay=0.05, max_delay=0.1, timeout=0.3
        )
    sg.sim.activate_load_curve(LILLE_HOUSE.prm, since=date(2026, 11, 8))
    done = await client.async_wait_for_order(waiting.id, first_delay=0.01)
    request = done.requests[0]
    assert request.status is RequestStatus.SUCCESS
    curve = await client.async_get_load_curve(request)
    assert curve.starts_at == paris(date(2026, 11, 8))
    assert len(curve.values) == 2 * 48


# -- consent problems ---------------------------------------------------------------------


async def test_consent_pending_revoked_expired_or_too_narrow(
    sg: Running, session: aiohttp.ClientSession
) -> None:
    """403s: not signed → ConsentPending; expired → ConsentRevoked; scope → NotAuthorized."""
    client = client_for(sg, session)
    (match,) = await client.async_search_contracts("Bertrand", prm=LYON_HOUSE.prm)
    ask = await client.async_create_ask([match.id], SIGNER, injection=False)
    await asyncio.sleep(0.1)
    ask = await client.async_get_ask(ask.id)
    consent = ask.consent_for(LYON_HOUSE.prm)
    assert consent is not None
    with pytest.raises(ConsentPending):
        await client.async_create_order(consent, [OrderRequest(type="C68")])
    sg.sim.sign(ask.id)
    with pytest.raises(NotAuthorized, match="cover"):
        await client.async_create_order(
            consent, [OrderRequest(type="LOADCURVE", direction="INJECTION")]
        )
    sg.sim.expire_consent(ask.id)
    with pytest.raises(ConsentRevoked):
        await client.async_create_order(consent, [OrderRequest(type="C68")])
    with pytest.raises(NotFound):
        await client.async_create_order(
            "0a0b0c0d-0000-4000-8000-000000000000", [OrderRequest(type="C68")]
        )


def test_order_request_serialisation() -> None:
    """Directions per type, dates and instants, the retry flag, PRMs."""
    assert serialize_order_request(
        OrderRequest(
            type="loadcurve",
            direction="injection",
            since=date(2024, 12, 10),
            until=datetime(2024, 12, 11, 0, 0, tzinfo=PARIS),
            retry_after_activation=True,
            prms=("0005 9461 2972 39",),
        )
    ) == {
        "type": "LOADCURVE",
        "direction": "INJECTION",
        "prms": ["00059461297239"],
        "since": "2024-12-10",
        "until": "2024-12-10T23:00:00Z",
        "enedisRetryAfterLoadcurveActivation": True,
    }
    assert serialize_order_request(
        OrderRequest(type="R66_SYNC", since=datetime(2024, 12, 10, 6, 30, 15, 9))
    ) == {"type": "R66_SYNC", "since": "2024-12-10T06:30:15"}
    for bad in (
        OrderRequest(type=" "),
        OrderRequest(type="LOADCURVE", direction="SOUTIRAGE"),
        OrderRequest(type="R65_SYNC", direction="CONSUMPTION"),
        OrderRequest(type="C68", direction="SOUTIRAGE"),
        OrderRequest(type="C68", prms=("123",)),
    ):
        with pytest.raises(RequestRejected):
            serialize_order_request(bad)


async def test_invalid_calls_are_refused_before_sending(
    sg: Running, session: aiohttp.ClientSession
) -> None:
    client = client_for(sg, session)
    with pytest.raises(RequestRejected):
        await client.async_create_order("c", [])
    with pytest.raises(RequestRejected):
        await client.async_create_order("", [OrderRequest(type="C68")])
    with pytest.raises(RequestRejected):
        await client.async_create_ask([], SIGNER)
    with pytest.raises(RequestRejected):
        await client.async_create_ask("7401e757", SIGNER)
    with pytest.raises(RequestRejected):
        await client.async_create_ask(["x"], SIGNER, purposes=())
    with pytest.raises(RequestRejected):
        await client.async_create_ask(["x"], replace(SIGNER, genre="X"))  # type: ignore[arg-type]
    assert client.requests_sent == 0
    # What only the server can check: an unknown contract, a bad duration.
    with pytest.raises(RequestRejected, match="unknown contract"):
        await client.async_create_ask(["0a0b0c0d-0000-4000-8000-000000000000"], SIGNER)
    with pytest.raises(RequestRejected, match="consentDuration"):
        await client.async_create_ask(
            [LYON_HOUSE.contract_id], SIGNER, duration="forever"
        )


# -- transport and protocol errors ---------------------------------------------------------


async def test_token_and_http_errors(
    sg: Running, session: aiohttp.ClientSession
) -> None:
    """401, 429 (Retry-After), 409, 5xx, 400 map to their typed errors."""
    client = client_for(sg, session)
    ask = await signed_ask(client, sg, PARIS_FLAT)
    sg.sim.fail_next("ask_get", 429)
    with pytest.raises(RateLimited) as limited:
        await client.async_get_ask(ask.id)
    assert limited.value.retry_after == 1
    sg.sim.fail_next("ask_get", 409, body={"message": "Quota reached"})
    with pytest.raises(RateLimited) as conflict:
        await client.async_get_ask(ask.id)
    assert conflict.value.retry_after is None
    for status in (500, 502, 503):
        sg.sim.fail_next("ask_get", status)
        with pytest.raises(ProviderUnavailable):
            await client.async_get_ask(ask.id)
    sg.sim.fail_next("ask_get", 400, body="bad request for 00412345678901")
    with pytest.raises(RequestRejected) as rejected:
        await client.async_get_ask(ask.id)
    assert PARIS_FLAT.prm not in str(rejected.value)
    for body in (["x"], {"foo": "bar"}):
        sg.sim.fail_next("ask_get", 400, body=body)
        with pytest.raises(RequestRejected):
            await client.async_get_ask(ask.id)
    sg.sim.fail_next("ask_get", 403, body={"message": "Forbidden"})
    with pytest.raises(NotAuthorized):
        await client.async_get_ask(ask.id)
    sg.sim.fail_next("ask_get", 410, body={"message": ["consent withdrawn"]})
    with pytest.raises(ConsentRevoked):
        await client.async_get_ask(ask.id)

    sg.sim.expire_token()
    with pytest.raises(AuthError) as denied:
        await client.async_get_ask(ask.id)
    assert sg.sim.token not in str(denied.value)
    renewed = SwitchgridClient(session, sg.sim.renew_token(), base_url=sg.api)
    assert (await renewed.async_get_ask(ask.id)).id == ask.id


async def test_timeouts_malformed_and_unreachable(
    sg: Running, session: aiohttp.ClientSession
) -> None:
    client = client_for(sg, session, timeout=0.3)
    ask = await signed_ask(client, sg, PARIS_FLAT)
    sg.sim.hang_next("ask_get", 1)
    with pytest.raises(RequestTimeout):
        await client.async_get_ask(ask.id)
    for mode in ("truncated", "html", "garbage"):
        sg.sim.malformed_next("ask_get", mode)
        with pytest.raises(InvalidResponse):
            await client.async_get_ask(ask.id)
    sg.sim.fail_next("ask_get", 200, body={"status": "ACCEPTED"})
    with pytest.raises(InvalidResponse):
        await client.async_get_ask(ask.id)
    sg.sim.fail_next("ask_list", 200, body={"items": [], "totalItemsCount": "NaN"})
    with pytest.raises(InvalidResponse):
        await client.async_list_asks()
    sg.sim.fail_next("search_contract", 200, body=[])
    with pytest.raises(InvalidResponse):
        await client.async_search_contracts("Moreau", prm=PARIS_FLAT.prm)
    sg.sim.fail_next(
        "order_get",
        200,
        body={
            "id": "o",
            "status": "SUCCESS",
            "requests": [
                {
                    "id": "r",
                    "type": "LOADCURVE",
                    "status": "SUCCESS",
                    "loadCurve": {
                        "period": "P99999999999D",
                        "startsAt": "2026-01-01T00:00:00Z",
                        "values": [],
                    },
                }
            ],
        },
    )
    with pytest.raises(InvalidResponse):
        await client.async_get_order("o")

    unreachable = SwitchgridClient(session, "t", base_url="http://127.0.0.1:9")
    with pytest.raises(CannotConnect):
        await unreachable.async_get_ask(ask.id)


async def test_connection_dropped(session: aiohttp.ClientSession) -> None:
    """A server that hangs up mid-request is an outage, not a bug."""

    async def hang_up(
        _reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        writer.close()

    server = await asyncio.start_server(hang_up, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        client = SwitchgridClient(session, "t", base_url=f"http://127.0.0.1:{port}")
        with pytest.raises(ProviderUnavailable):
            await client.async_get_ask("a")
    finally:
        server.close()
        await server.wait_closed()


async def test_data_url_is_fetched_without_the_token_and_expires(
    sg: Running, session: aiohttp.ClientSession
) -> None:
    """The pre-signed link: no Authorization header, kept byte for byte; 403 later."""
    client = client_for(sg, session)
    order = await order_for(client, sg, PARIS_FLAT, OrderRequest(type="C68"))
    request = order.find("C68")
    assert request is not None and request.data_url is not None
    assert "X-Amz-Signature" in request.data_url
    raw = await client.async_get_raw(request)
    assert raw[0]["point"]["idPrm"] == PARIS_FLAT.prm
    sg.sim.clock.advance(timedelta(hours=2))
    with pytest.raises(NotFound, match="expired"):
        await client.async_get_raw(request)
    sg.sim.clock.advance(timedelta(hours=-2))
    relative = replace(request, data_url=request.data_url.removeprefix(sg.origin))
    assert await client.async_get_raw(relative) == raw


async def test_answers_shaped_differently(
    sg: Running, session: aiohttp.ClientSession
) -> None:
    """Pages without counts; requests split per PRM keep their directions."""
    client = client_for(sg, session)
    sg.sim.fail_next(
        "ask_list", 200, body={"items": [{"id": "a", "status": "ACCEPTED"}]}
    )
    assert [a.id for a in await client.async_list_asks()] == ["a"]
    sg.sim.fail_next("ask_list", 200, body={"items": []})
    assert await client.async_list_asks() == []
    sg.sim.fail_next("ask_list", 200, body=[{"id": "b"}])
    assert [a.id for a in await client.async_list_asks()] == ["b"]
    sg.sim.fail_next(
        "order",
        200,
        body={
            "id": "o",
            "status": "PENDING_REQUESTS",
            "requests": [
                {"id": "a", "type": "LOADCURVE", "status": "PENDING"},
                {"id": "b", "type": "LOADCURVE", "status": "PENDING"},
                {"id": "c", "type": "R65_SYNC", "status": "NOT_STARTED"},
                {"id": "d", "type": "R66_SYNC", "status": "NOT_STARTED"},
            ],
        },
    )
    order = await client.async_create_order(
        "consent",
        [
            OrderRequest(type="LOADCURVE", direction="INJECTION"),
            OrderRequest(type="R65_SYNC", direction="SOUTIRAGE"),
            OrderRequest(type="R66_SYNC"),
        ],
    )
    assert [r.direction for r in order.requests] == [
        "INJECTION",
        "INJECTION",
        "SOUTIRAGE",
        None,
    ]
    assert not order.done


async def test_order_answers_without_request_ids(
    sg: Running, session: aiohttp.ClientSession
) -> None:
    """Answers shaped like the API document's examples (no request ids) are
    read, and each request keeps the direction it was sent with.
    """
    sg.sim.order_answer = "seed"
    client = client_for(sg, session)
    order = await order_for(
        client,
        sg,
        TOULOUSE_SOLAR,
        OrderRequest(type="LOADCURVE", direction="CONSUMPTION", since=YESTERDAY),
        OrderRequest(type="LOADCURVE", direction="INJECTION", since=YESTERDAY),
        OrderRequest(type="C68"),
    )
    assert [(r.id, r.type, r.direction) for r in order.requests] == [
        (None, "LOADCURVE", "CONSUMPTION"),
        (None, "LOADCURVE", "INJECTION"),
        (None, "C68", None),
    ]
    assert all(r.status is RequestStatus.SUCCESS for r in order.requests)
    injection = order.find("LOADCURVE", "INJECTION")
    assert injection is not None
    # Inline curves need no id; `/request/{id}/data` cannot be asked without.
    assert (await client.async_get_load_curve(injection)).values
    with pytest.raises(NotFound):
        await client.async_get_load_curve(injection, period="1h")
    # A restarted client gets the directions back from what was persisted.
    again = client_for(sg, session)
    again.restore_request_directions(client.request_directions)
    reread = await again.async_get_order(order.id)
    assert [r.direction for r in reread.requests] == [
        "CONSUMPTION",
        "INJECTION",
        None,
    ]


async def test_unreadable_order_answer_keeps_the_order_id(
    sg: Running, session: aiohttp.ClientSession
) -> None:
    """The order is placed even when its answer cannot be read: its id comes
    back (to be polled, never placed again) and its requests are read later.
    """
    client = client_for(sg, session)
    ask = await signed_ask(client, sg, TOULOUSE_SOLAR)
    consent = ask.consent_for(TOULOUSE_SOLAR.prm)
    assert consent is not None
    sg.sim.order_answer = "broken_once"
    order = await client.async_create_order(
        consent,
        [
            OrderRequest(type="LOADCURVE", direction="INJECTION", since=YESTERDAY),
            OrderRequest(type="LOADCURVE", direction="CONSUMPTION", since=YESTERDAY),
        ],
    )
    assert order.id in sg.sim.orders
    assert order.status is OrderStatus.UNKNOWN
    assert not order.requests
    assert not order.done
    done = await client.async_wait_for_order(order.id, first_delay=0.02)
    assert [r.direction for r in done.requests] == ["INJECTION", "CONSUMPTION"]
    # An answer without even an order id is still an error.
    sg.sim.fail_next("order", 200, body={"status": "PENDING_REQUESTS"})
    with pytest.raises(InvalidResponse):
        await client.async_create_order(consent, [OrderRequest(type="C68")])


async def test_load_curve_csv_form(sg: Running, session: aiohttp.ClientSession) -> None:
    """The CSV form of /request/{id}/data gives the JSON form's series."""
    client = client_for(sg, session)
    gap = date(2026, 11, 5)
    sg.sim.missing_days(LYON_HOUSE.prm, {gap})
    order = await order_for(
        client,
        sg,
        LYON_HOUSE,
        consumption_curve(date(2026, 11, 3), date(2026, 11, 8)),
        injection=False,
    )
    request = order.requests[0]
    for period in (None, "30min", "1h"):
        from_json = await client.async_get_load_curve(request, period=period)
        from_csv = await client.async_get_load_curve_csv(request, period=period)
        assert from_csv is not None
        assert from_csv.period == from_json.period
        assert from_csv.starts_at == from_json.starts_at
        assert len(from_csv.values) == len(from_json.values)
        for a, b in zip(from_csv.values, from_json.values, strict=True):
            assert (a is None) == (b is None)
            assert a == pytest.approx(b, abs=0.01)
    # The missing Paris day is a run of gaps in both.
    assert None in from_csv.values
    csv_calls = [r for r in sg.sim.requests if r.query.get("format") == "csv"]
    assert len(csv_calls) == 3
    with pytest.raises(RequestRejected):
        await client.async_get_load_curve_csv(request, period="1d")

    empty = await order_for(
        client,
        sg,
        LYON_HOUSE,
        OrderRequest(type="LOADCURVE", since=NOW, until=NOW + timedelta(days=1)),
        injection=False,
    )
    assert await client.async_get_load_curve_csv(empty.requests[0]) is None
    sg.sim.malformed_next("request_data", "html")
    with pytest.raises(InvalidResponse):
        await client.async_get_load_curve_csv(request)
