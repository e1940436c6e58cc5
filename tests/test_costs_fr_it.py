"""What it cost in France and Italy: HP/HC, Tempo, F1/F2/F3, compensation.

Switchgrid homes of the simulator (Lyon HP/HC, Paris Base, Toulouse solar)
and the Digiwatt Rome flat, priced through the prices subentry flow; Tempo
colours from the Tempo (services-rte) simulator.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.aiohttp_client import async_get_clientsession
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.gridmeter.const import CONF_SOURCE_URLS, DOMAIN
from custom_components.gridmeter.price_sources import TempoSource
from custom_components.gridmeter.providers.switchgrid import Signer, SwitchgridClient
from simulator.common import serving
from simulator.tempo import Colour, TempoSimulator

from .conftest import NOW, setup_entry
from .digiwatt_sim import ROME_POD, RunningDigiwatt
from .stats_helpers import assert_continuous, read_hours
from .switchgrid_sim import LYON, PARIS, TOULOUSE, RunningSwitchgrid
from .tempo_sim import COLOURS
from .test_costs import add_prices
from .test_digiwatt import rome_entry

pytestmark = [
    pytest.mark.freeze_time(NOW, tick=True),
    pytest.mark.usefixtures("recorder_mock", "enable_custom_integrations"),
]

PARIS_TZ = ZoneInfo("Europe/Paris")
FR_TAX = 20.0
IT_TAX = 22.0
HPHC = {"hp": 0.2516, "hc": 0.1828}
TEMPO = {
    "blue_hp": 0.1609,
    "blue_hc": 0.1296,
    "white_hp": 0.1894,
    "white_hc": 0.1486,
    "red_hp": 0.7562,
    "red_hc": 0.1568,
}
F123 = {"f1": 0.1452, "f2": 0.1318, "f3": 0.1127}
SURPLUS = 0.04
"""EDF OA's surplus purchase price (€/kWh), the user's own figure."""
HOLDERS = {LYON: "Bertrand", PARIS: "Moreau", TOULOUSE: "Garcia"}
SIGNER = Signer(
    first_name="Julie",
    last_name="Martin",
    email="julie@example.org",
    phone="+33600000000",
    genre="F",
)
AUTUMN = (
    datetime(2026, 10, 24, 22, tzinfo=UTC),
    datetime(2026, 10, 25, 23, tzinfo=UTC),
)
"""The Paris autumn DST day (25 hours), UTC."""


@pytest.fixture(autouse=True)
def _short_history(switchgrid: RunningSwitchgrid) -> None:
    """Serve only October and November 2026 (the autumn DST day included)."""
    gone = {NOW.date() - timedelta(days=n) for n in range(41, 800)}
    for prm in HOLDERS:
        switchgrid.sim.missing_days(prm, gone)


@pytest.fixture
async def tempo(socket_enabled: None) -> AsyncIterator[tuple[TempoSimulator, str]]:
    sim = TempoSimulator()
    async with serving(sim.app, access_log=False) as url:
        yield sim, url


async def switchgrid_entry(
    hass: HomeAssistant,
    switchgrid: RunningSwitchgrid,
    prm: str,
    *,
    injection: bool = False,
    urls: dict[str, str] | None = None,
) -> MockConfigEntry:
    """The entry the config flow creates for a home, consent signed."""
    client = SwitchgridClient(
        async_get_clientsession(hass),
        switchgrid.sim.token,
        base_url=switchgrid.url,
        test_env=True,
    )
    (match,) = await client.async_search_contracts(HOLDERS[prm], prm=prm)
    ask = await client.async_create_ask([match.id], SIGNER, injection=injection)
    switchgrid.sim.sign(ask.id)
    ask = await client.async_get_ask(ask.id)
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=f"Enedis ···{prm[-4:]}",
        unique_id=prm,
        data={
            "provider": "switchgrid",
            "api_token": switchgrid.sim.token,
            "test_env": True,
            "base_url": switchgrid.url,
            "prm": match.prm,
            "ask_id": ask.id,
            "consent_id": ask.consent_ids.get(match.prm, ask.id),
            "holder": match.holder,
            "address_lines": list(match.address),
            "contract_id": match.id,
            "injection": injection,
            "webhook_id": f"gridmeter_costs_{prm}",
            **({CONF_SOURCE_URLS: urls} if urls else {}),
        },
    )
    await setup_entry(hass, entry)
    return entry


def fr_prices(prices: dict[str, float], **extra: float) -> dict[str, Any]:
    return {
        "valid_from": "2026-01-01",
        "tax_percent": FR_TAX,
        **{f"energy_{period}": value for period, value in prices.items()},
        **extra,
    }


def states(rows: dict[datetime, tuple[float, float]]) -> dict[datetime, float]:
    return {hour: state for hour, (state, _sum) in rows.items()}


async def expected_by_period(
    hass: HomeAssistant,
    prefix: str,
    energy: str,
    money: str,
    prices: dict[str, float],
    factor: float,
) -> dict[str, dict[datetime, float]]:
    """Each period's kWh × its price × factor; the total the sum of the periods."""
    expected: dict[str, dict[datetime, float]] = {money: {}}
    for period, price in prices.items():
        rows = await read_hours(hass, f"{prefix}_{energy}_{period}")
        series = expected[f"{money}_{period}"] = {
            hour: round(kwh * price * factor, 6) for hour, (kwh, _) in rows.items()
        }
        for hour, value in series.items():
            expected[money][hour] = round(expected[money].get(hour, 0.0) + value, 6)
    return expected


async def assert_money(
    hass: HomeAssistant, prefix: str, expected: dict[str, dict[datetime, float]]
) -> dict[str, dict[datetime, tuple[float, float]]]:
    """The money rows are the expected ones (zeros aside), sums continuous."""
    stored = {}
    for key, rows in expected.items():
        stored[key] = await read_hours(hass, f"{prefix}_{key}")
        assert stored[key], key
        got = {h: v for h, v in states(stored[key]).items() if v}
        assert got == pytest.approx({h: v for h, v in rows.items() if v}, abs=1e-6)
        assert_continuous(stored[key])
    return stored


async def test_hp_hc_costs_hour_by_hour(
    hass: HomeAssistant, switchgrid: RunningSwitchgrid
) -> None:
    """Lyon HP/HC: each hour's HP and HC kWh × their prices × (1 + TVA),
    the 25-hour autumn day included; the total is the sum of the periods.
    """
    entry = await switchgrid_entry(hass, switchgrid, LYON)
    result = await add_prices(hass, entry, "fr_hphc", fr_prices(HPHC))
    assert result["type"] is FlowResultType.CREATE_ENTRY, result
    prefix = f"gridmeter:switchgrid_{LYON}"
    expected = await expected_by_period(
        hass, prefix, "consumption", "cost", HPHC, 1 + FR_TAX / 100
    )
    # Hours split between HP and HC (the 22:30 edge) are priced by halves.
    both = set(expected["cost_hp"]) & set(expected["cost_hc"])
    assert any(expected["cost_hp"][h] and expected["cost_hc"][h] for h in both)
    stored = await assert_money(hass, prefix, expected)
    autumn = [h for h in stored["cost"] if AUTUMN[0] <= h < AUTUMN[1]]
    assert len(autumn) == 25
    # No Tempo price set: no colour sensors.
    registry = er.async_get(hass)
    assert not registry.async_get_entity_id(
        "sensor", DOMAIN, f"switchgrid_{LYON}_tempo_colour_today"
    )


def tempo_expected(
    sim: TempoSimulator, kwh: dict[datetime, float], factor: float
) -> dict[datetime, float]:
    """Each hour's kWh × the price of the hour's Tempo day colour and HP/HC × factor,
    worked out here from wall-clock Paris hours (not the engine's helpers).
    """
    expected = {}
    for hour, value in kwh.items():
        local = hour.astimezone(PARIS_TZ)
        day = local.date() - timedelta(days=1) if local.hour < 6 else local.date()
        colour = COLOURS[sim.truth(day)].value
        period = "hc" if local.hour >= 22 or local.hour < 6 else "hp"
        expected[hour] = round(value * TEMPO[f"{colour}_{period}"] * factor, 6)
    return expected


def tempo_source(hass: HomeAssistant) -> TempoSource:
    sources = hass.data["gridmeter_shared_sources"].sources  # type: ignore[index]
    source = sources["tempo"]
    assert isinstance(source, TempoSource)
    return source


async def test_tempo_costs_switch_at_six(
    hass: HomeAssistant,
    switchgrid: RunningSwitchgrid,
    tempo: tuple[TempoSimulator, str],
) -> None:
    """Paris Base home on Tempo: 00:00-06:00 at the previous day's colour,
    HC 22:00-06:00; a colour not published has no cost until it comes.
    """
    sim, url = tempo
    # Autumn is all blue in the calendar: a red and a white day, as RTE may
    # call them early in November.
    sim.revisions[date(2026, 11, 5)] = Colour.RED
    sim.revisions[date(2026, 11, 6)] = Colour.WHITE
    withheld = date(2026, 11, 3)
    sim.unknown_days.add(withheld)
    entry = await switchgrid_entry(hass, switchgrid, PARIS, urls={"tempo": url})
    result = await add_prices(hass, entry, "fr_tempo", fr_prices(TEMPO))
    assert result["type"] is FlowResultType.CREATE_ENTRY, result
    prefix = f"gridmeter:switchgrid_{PARIS}"
    kwh = states(await read_hours(hass, f"{prefix}_consumption"))
    expected = tempo_expected(sim, kwh, 1 + FR_TAX / 100)
    start = datetime(2026, 11, 3, 6, tzinfo=PARIS_TZ).astimezone(UTC)
    end = datetime(2026, 11, 4, 6, tzinfo=PARIS_TZ).astimezone(UTC)
    waiting = {h for h in kwh if start <= h < end}
    assert len(waiting) == 24
    cost = await read_hours(hass, f"{prefix}_cost")
    assert_continuous(cost)
    assert waiting.isdisjoint(cost)
    assert states(cost) == pytest.approx(
        {h: v for h, v in expected.items() if h not in waiting}, abs=1e-6
    )
    # The history has nights after a colour change (the test means something).
    switches = [
        h
        for h in cost
        if h.astimezone(PARIS_TZ).hour < 6
        and sim.truth(h.astimezone(PARIS_TZ).date())
        != sim.truth(h.astimezone(PARIS_TZ).date() - timedelta(days=1))
    ]
    assert len(switches) == 3 * 6  # the nights of the 5th, 6th and 7th
    assert len([h for h in cost if AUTUMN[0] <= h < AUTUMN[1]]) == 25

    # The colour arrives: its hours are written, every later sum follows.
    sim.unknown_days.clear()
    await tempo_source(hass).async_ensure(withheld, withheld)
    await hass.async_block_till_done(wait_background_tasks=True)
    cost = await read_hours(hass, f"{prefix}_cost")
    assert states(cost) == pytest.approx(expected, abs=1e-6)
    assert_continuous(cost)


async def test_tempo_colour_sensors(
    hass: HomeAssistant,
    switchgrid: RunningSwitchgrid,
    tempo: tuple[TempoSimulator, str],
    freezer: FrozenDateTimeFactory,
) -> None:
    """Today's and tomorrow's colours, only for a Tempo price set; tomorrow is
    unknown until RTE publishes it (10:30 Paris); the day turns at 06:00.
    """
    sim, url = tempo
    entry = await switchgrid_entry(hass, switchgrid, PARIS, urls={"tempo": url})
    registry = er.async_get(hass)

    def entity(day: str) -> str | None:
        return registry.async_get_entity_id(
            "sensor", DOMAIN, f"switchgrid_{PARIS}_tempo_colour_{day}"
        )

    assert entity("today") is None
    await add_prices(hass, entry, "fr_tempo", fr_prices(TEMPO))
    today_id, tomorrow_id = entity("today"), entity("tomorrow")
    assert today_id and tomorrow_id

    def shown(entity_id: str) -> str:
        state = hass.states.get(entity_id)
        assert state is not None
        return state.state

    # 10:00 Paris on 10 November: tomorrow is not out yet.
    assert NOW.astimezone(PARIS_TZ).hour == 10
    state = hass.states.get(today_id)
    assert state is not None
    assert state.attributes["options"] == ["blue", "white", "red"]
    assert shown(today_id) == COLOURS[sim.truth(date(2026, 11, 10))].value
    assert shown(tomorrow_id) == "unknown"

    # Published at 10:30: the source reads it and the sensor follows.
    freezer.move_to(datetime(2026, 11, 10, 9, 31, tzinfo=UTC))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert shown(tomorrow_id) == COLOURS[sim.truth(date(2026, 11, 11))].value

    # 05:00 Paris on the 11th: still the 10th's Tempo day; 06:00: the 11th's.
    freezer.move_to(datetime(2026, 11, 11, 4, 0, 5, tzinfo=UTC))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert shown(today_id) == COLOURS[sim.truth(date(2026, 11, 10))].value
    freezer.move_to(datetime(2026, 11, 11, 5, 0, 5, tzinfo=UTC))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert shown(today_id) == COLOURS[sim.truth(date(2026, 11, 11))].value
    assert shown(tomorrow_id) == "unknown"


async def test_compensation_of_a_solar_home(
    hass: HomeAssistant, switchgrid: RunningSwitchgrid
) -> None:
    """Toulouse solar home: each hour's injection × the surplus price (no tax
    added), next to its HP/HC cost.
    """
    entry = await switchgrid_entry(hass, switchgrid, TOULOUSE, injection=True)
    result = await add_prices(
        hass, entry, "fr_hphc", fr_prices(HPHC, compensation=SURPLUS)
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY, result
    prefix = f"gridmeter:switchgrid_{TOULOUSE}"
    returned = states(await read_hours(hass, f"{prefix}_return"))
    assert any(returned.values())
    periods = {
        period: rows
        for period in HPHC
        if (rows := states(await read_hours(hass, f"{prefix}_return_{period}")))
    }
    expected: dict[datetime, float] = {}
    if periods:
        for rows in periods.values():
            for hour, kwh in rows.items():
                expected[hour] = round(
                    expected.get(hour, 0.0) + round(kwh * SURPLUS, 6), 6
                )
    else:
        expected = {hour: round(kwh * SURPLUS, 6) for hour, kwh in returned.items()}
    compensation = await read_hours(hass, f"{prefix}_compensation")
    assert_continuous(compensation)
    assert {h: v for h, v in states(compensation).items() if v} == pytest.approx(
        {h: v for h, v in expected.items() if v}, abs=1e-6
    )
    assert await read_hours(hass, f"{prefix}_cost")


async def test_f1_f2_f3_costs(hass: HomeAssistant, digiwatt: RunningDigiwatt) -> None:
    """Digiwatt Rome flat: each band's kWh × its price × (1 + IVA)."""
    entry = rome_entry(digiwatt)
    await setup_entry(hass, entry)
    result = await add_prices(
        hass,
        entry,
        "it_f123",
        {
            "valid_from": "2025-01-01",
            "tax_percent": IT_TAX,
            **{f"energy_{band}": value for band, value in F123.items()},
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY, result
    prefix = f"gridmeter:digiwatt_{ROME_POD.lower()}"
    expected = await expected_by_period(
        hass, prefix, "consumption", "cost", F123, 1 + IT_TAX / 100
    )
    assert all(expected[f"cost_{band}"] for band in F123)
    await assert_money(hass, prefix, expected)
