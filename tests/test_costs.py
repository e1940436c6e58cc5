"""What it cost: money statistics from the prices each household enters.

Datadis supplies of the simulator with 2.0TD prices (P1/P2/P3), a price
change in the middle of history, a late energy correction, a restart, PVPC
prices from the ESIOS simulator (a day published late), the Energy
dashboard's own validation, and the price subentry flow's errors.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from unittest.mock import patch
from zoneinfo import ZoneInfo

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.energy import data as energy_data
from homeassistant.components.energy.validate import async_validate
from homeassistant.config_entries import SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.gridmeter.const import CONF_SOURCE_URLS, DOMAIN
from simulator.common import serving
from simulator.esios import EsiosSimulator

from .conftest import NOW, setup_entry
from .datadis_sim import FLAT, RunningSim
from .stats_helpers import assert_continuous, read_hours
from .test_datadis_sync import (  # noqa: F401 - fixtures
    FLAT_ID,
    flat_only,
    next_day,
    short_history,
)

pytestmark = [
    pytest.mark.freeze_time(NOW, tick=True),
    pytest.mark.usefixtures("recorder_mock", "enable_custom_integrations"),
]

MADRID = ZoneInfo("Europe/Madrid")
PRICES_20TD = {"p1": 0.201, "p2": 0.1297, "p3": 0.0811}
TAX = 27.2
"""Spanish IEE and IVA together, the user's own figure."""


async def add_prices(
    hass: HomeAssistant, entry: MockConfigEntry, plan: str, answers: dict[str, Any]
) -> dict[str, Any]:
    """Go through the prices subentry flow (one supply: straight to the plan)."""
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, "prices"), context={"source": SOURCE_USER}
    )
    assert result["step_id"] == "plan", result
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"plan": plan}
    )
    assert result["step_id"] == "prices", result
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], answers
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    return dict(result)


def twenty_td(valid_from: str, **prices: float) -> dict[str, Any]:
    chosen = {**PRICES_20TD, **prices}
    return {
        "valid_from": valid_from,
        "tax_percent": TAX,
        **{f"energy_{period}": value for period, value in chosen.items()},
    }


def money(cups_id: str, key: str) -> str:
    return f"{cups_id}_{key}"


async def expected_costs(
    hass: HomeAssistant, prices_by_day: dict[date, dict[str, float]]
) -> dict[str, dict[datetime, float]]:
    """KWh × the price in force that local day × (1 + tax), per period and total."""
    factor = 1 + TAX / 100
    expected: dict[str, dict[datetime, float]] = {"cost": {}}
    days = sorted(prices_by_day)
    for period in ("p1", "p2", "p3"):
        rows = await read_hours(hass, f"{FLAT_ID}_consumption_{period}")
        series = expected[f"cost_{period}"] = {}
        for hour, (kwh, _sum) in rows.items():
            day = hour.astimezone(MADRID).date()
            in_force = [d for d in days if d <= day]
            if not in_force:
                continue
            price = prices_by_day[in_force[-1]][period]
            series[hour] = round(kwh * price * factor, 6)
    for period in ("p1", "p2", "p3"):
        for hour, value in expected[f"cost_{period}"].items():
            expected["cost"][hour] = round(expected["cost"].get(hour, 0.0) + value, 6)
    return expected


async def assert_costs(
    hass: HomeAssistant, prices_by_day: dict[date, dict[str, float]]
) -> dict[str, dict[datetime, tuple[float, float]]]:
    expected = await expected_costs(hass, prices_by_day)
    stored = {}
    for key, rows in expected.items():
        stored[key] = await read_hours(hass, money(FLAT_ID, key))
        states = {hour: state for hour, (state, _) in stored[key].items() if state}
        assert states == {hour: v for hour, v in rows.items() if v}, key
        assert_continuous(stored[key])
    return stored


async def test_2_0td_costs_hour_by_hour(
    hass: HomeAssistant,
    datadis: RunningSim,
    flat_only: MockConfigEntry,  # noqa: F811
    freezer: FrozenDateTimeFactory,
) -> None:
    """Every hour: kWh × the period's price × (1 + taxes), the autumn DST day
    included; a price change moves only later hours; a late correction moves
    its hour; a restart writes nothing.
    """
    await setup_entry(hass, flat_only)
    result = await add_prices(hass, flat_only, "es_20td", twenty_td("2026-01-01"))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    book = {date(2026, 1, 1): PRICES_20TD}
    stored = await assert_costs(hass, book)
    autumn = [
        hour
        for hour in stored["cost"]
        if datetime(2026, 10, 24, 22, tzinfo=UTC)
        <= hour
        < datetime(2026, 10, 25, 23, tzinfo=UTC)
    ]
    assert len(autumn) == 25
    # The sensors show the same money.
    yesterday = sum(
        state
        for hour, (state, _) in stored["cost"].items()
        if hour.astimezone(MADRID).date()
        == NOW.astimezone(MADRID).date() - timedelta(days=1)
    )
    entity_id = er.async_get(hass).async_get_entity_id(
        "sensor", DOMAIN, f"datadis_{FLAT[:20]}_cost_yesterday".lower()
    )
    assert entity_id
    state = hass.states.get(entity_id)
    assert state is not None
    if yesterday:
        assert float(state.state) == pytest.approx(round(yesterday, 3), abs=1e-3)

    # New prices from 15 October: earlier hours keep theirs, later sums follow.
    before = {
        hour: row
        for hour, row in stored["cost"].items()
        if hour < datetime(2026, 10, 14, 22, tzinfo=UTC)
    }
    changed = {"p1": 0.25, "p2": 0.15, "p3": 0.09}
    await add_prices(hass, flat_only, "es_20td", twenty_td("2026-10-15", **changed))
    book[date(2026, 10, 15)] = changed
    stored = await assert_costs(hass, book)
    assert {h: r for h, r in stored["cost"].items() if h in before} == before

    # A late correction of a recent day moves that day's cost.
    datadis.sim.revise(FLAT, date(2026, 11, 3), 1.5)
    await next_day(hass, freezer)
    await next_day(hass, freezer)
    await assert_costs(hass, book)

    # A restart rewrites nothing.
    with patch(
        "custom_components.gridmeter.statistics.async_add_external_statistics"
    ) as written:
        await hass.config_entries.async_reload(flat_only.entry_id)
        await hass.async_block_till_done(wait_background_tasks=True)
    money_writes = [
        call
        for call in written.call_args_list
        if "_cost" in call.args[1]["statistic_id"]
    ]
    assert money_writes == []


async def test_removing_the_prices_removes_the_costs(
    hass: HomeAssistant,
    datadis: RunningSim,
    flat_only: MockConfigEntry,  # noqa: F811
) -> None:
    """No prices, no money statistics: none is left wrong."""
    await setup_entry(hass, flat_only)
    await add_prices(hass, flat_only, "es_20td", twenty_td("2026-01-01"))
    assert await read_hours(hass, money(FLAT_ID, "cost"))
    (subentry_id,) = flat_only.subentries
    hass.config_entries.async_remove_subentry(flat_only, subentry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert await read_hours(hass, money(FLAT_ID, "cost")) == {}


async def test_energy_dashboard_validates_the_money_statistics(
    hass: HomeAssistant,
    datadis: RunningSim,
    flat_only: MockConfigEntry,  # noqa: F811
) -> None:
    """A grid connection with GridMeter's energy and cost: no issue."""
    await hass.config.async_update(currency="EUR")
    assert await async_setup_component(hass, "energy", {})
    await setup_entry(hass, flat_only)
    await add_prices(hass, flat_only, "es_20td", twenty_td("2026-01-01"))
    manager = await energy_data.async_get_manager(hass)
    sources: list[Any] = [
        {
            "type": "grid",
            "stat_energy_from": f"{FLAT_ID}_consumption_{period}",
            "stat_cost": f"{FLAT_ID}_cost_{period}",
            "entity_energy_price": None,
            "number_energy_price": None,
            "stat_energy_to": None,
            "stat_compensation": None,
            "entity_energy_price_export": None,
            "number_energy_price_export": None,
            "cost_adjustment_day": 0,
        }
        for period in ("p1", "p2", "p3")
    ]
    await manager.async_update({"energy_sources": sources})
    await async_wait_recording_done(hass)
    validation = (await async_validate(hass)).as_dict()
    assert validation["energy_sources"] == [[], [], []]


async def pvpc_entry(
    hass: HomeAssistant, flat: MockConfigEntry, esios_url: str
) -> MockConfigEntry:
    """The flat's entry reading PVPC from the ESIOS simulator, priced by PVPC."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=flat.title,
        unique_id=flat.unique_id,
        data={**flat.data, CONF_SOURCE_URLS: {"esios": esios_url}},
        options=dict(flat.options),
    )
    await setup_entry(hass, entry)
    await add_prices(
        hass, entry, "es_pvpc", {"valid_from": "2026-01-01", "tax_percent": TAX}
    )
    return entry


@pytest.fixture
async def esios(socket_enabled: None) -> AsyncIterator[tuple[EsiosSimulator, str]]:
    sim = EsiosSimulator()
    async with serving(sim.app, access_log=False) as url:
        yield sim, url


async def test_pvpc_hours_wait_for_their_prices(
    hass: HomeAssistant,
    datadis: RunningSim,
    flat_only: MockConfigEntry,  # noqa: F811
    esios: tuple[EsiosSimulator, str],
    freezer: FrozenDateTimeFactory,
) -> None:
    """PVPC: each hour at Red Eléctrica's price; a day not published has no
    cost until it is; the 24 months of prices cost a couple of requests.
    """
    sim, url = esios
    missing = date(2026, 10, 20)
    sim.withhold(missing)
    await pvpc_entry(hass, flat_only, url)
    rows = await read_hours(hass, f"{FLAT_ID}_consumption")
    cost = await read_hours(hass, money(FLAT_ID, "cost"))
    assert cost
    assert_continuous(cost)
    factor = 1 + TAX / 100
    truth: dict[datetime, float] = {}
    for n in range((date(2026, 11, 10) - date(2026, 8, 31)).days):
        truth.update(sim.truth(date(2026, 8, 31) + timedelta(days=n), "PCB"))
    for hour, (kwh, _sum) in rows.items():
        if hour.astimezone(MADRID).date() == missing:
            assert hour not in cost
        elif hour in truth:
            assert cost[hour][0] == pytest.approx(round(kwh * truth[hour] * factor, 6))
    assert sim.count("download_json") <= 3

    # The day is published: its hours are priced, later sums follow.
    sim.release(missing)
    pvpc = next(
        source
        for key, source in hass.data["gridmeter_shared_sources"].sources.items()  # type: ignore[index]
        if key.startswith("pvpc:")
    )
    await pvpc.async_ensure(missing, missing)
    await hass.async_block_till_done(wait_background_tasks=True)
    cost = await read_hours(hass, money(FLAT_ID, "cost"))
    day_hours = [h for h in rows if h.astimezone(MADRID).date() == missing]
    assert all(hour in cost for hour in day_hours)
    assert_continuous(cost)


@pytest.mark.parametrize(
    ("answers", "errors"),
    [
        (twenty_td("2026-01-01", p1=-0.1), {"energy_p1": "price_negative"}),
        (twenty_td("2026-01-01", p2=12.0), {"energy_p2": "price_too_high"}),
        (
            {**twenty_td("2026-01-01"), "tax_percent": 150},
            {"tax_percent": "tax_out_of_range"},
        ),
    ],
)
async def test_price_errors_store_nothing(
    hass: HomeAssistant,
    datadis: RunningSim,
    flat_only: MockConfigEntry,  # noqa: F811
    answers: dict[str, Any],
    errors: dict[str, str],
) -> None:
    """Negative, absurd prices and taxes: a translated error, nothing stored."""
    await setup_entry(hass, flat_only)
    result = await hass.config_entries.subentries.async_init(
        (flat_only.entry_id, "prices"), context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"plan": "es_20td"}
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], answers
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == errors
    assert not flat_only.subentries


async def test_overlapping_dates_and_plans_that_do_not_fit(
    hass: HomeAssistant,
    datadis: RunningSim,
    flat_only: MockConfigEntry,  # noqa: F811
) -> None:
    """Two sets from the same day are refused; French plans are not offered."""
    await setup_entry(hass, flat_only)
    await add_prices(hass, flat_only, "es_20td", twenty_td("2026-01-01"))
    result = await hass.config_entries.subentries.async_init(
        (flat_only.entry_id, "prices"), context={"source": SOURCE_USER}
    )
    schema = result["data_schema"].schema
    (plan_field,) = schema
    options = schema[plan_field].config["options"]
    assert "fr_tempo" not in options
    assert {"es_single", "es_20td", "es_pvpc"} <= set(options)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"plan": "es_single"}
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {"valid_from": "2026-01-01", "energy_base": 0.15},
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"valid_from": "date_overlap"}
    assert len(flat_only.subentries) == 1


async def test_pvpc_price_now_after_a_restart(
    hass: HomeAssistant,
    datadis: RunningSim,
    flat_only: MockConfigEntry,  # noqa: F811
    esios: tuple[EsiosSimulator, str],
) -> None:
    """After a restart the energy price now is back at once (the stored PVPC
    prices of today), although no new energy comes to be priced; nothing is
    asked of ESIOS again.
    """
    sim, url = esios
    entry = await pvpc_entry(hass, flat_only, url)
    entity_id = next(
        item.entity_id
        for item in er.async_entries_for_config_entry(
            er.async_get(hass), entry.entry_id
        )
        if item.unique_id.endswith("_energy_price")
    )
    state = hass.states.get(entity_id)
    assert state is not None
    before = float(state.state)
    assert 0 < before < 1
    requests = sim.count("download_json")

    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    await hass.async_block_till_done(wait_background_tasks=True)
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.state not in ("unknown", "unavailable")
    assert float(state.state) == pytest.approx(before)
    assert sim.count("download_json") == requests
