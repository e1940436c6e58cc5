"""scripts/develop's demo prices: valid sets, added through the real subentry API."""

from __future__ import annotations

from datetime import date, time
import importlib.util
from pathlib import Path
import sys
from types import ModuleType

from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.gridmeter.pricing import (
    PLAN_RULES,
    Country,
    Plan,
    PriceSet,
    SupplyTariff,
    parse_price_set,
)
from custom_components.gridmeter.tariffs import FranceHPHC, ItalyF123, Spain20TD

from .conftest import NOW, setup_entry, short_history
from .datadis_sim import RunningSim
from .stats_helpers import read_hours

SCRIPT = Path(__file__).parent.parent / "scripts" / "develop_flow.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("develop_flow", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["develop_flow"] = module
    spec.loader.exec_module(module)
    return module


develop_flow = _load()

TARIFFS = {
    "datadis": SupplyTariff(
        country=Country.SPAIN, timezone="Europe/Madrid", calendar=Spain20TD()
    ),
    "switchgrid": SupplyTariff(
        country=Country.FRANCE,
        timezone="Europe/Paris",
        calendar=FranceHPHC(((time(22), time(6)),)),
    ),
    "digiwatt": SupplyTariff(
        country=Country.ITALY, timezone="Europe/Rome", calendar=ItalyF123()
    ),
}
TAXES = {"datadis": 21.0, "switchgrid": 20.0, "digiwatt": 22.0}


@pytest.mark.parametrize("provider", list(develop_flow.PROVIDERS))
def test_every_demo_price_set_is_valid(provider: str) -> None:
    """Each provider's demo plans parse and fit a supply of their country;
    the preferred plan (by period) comes first, with the brief's taxes.
    """
    plans = develop_flow.PRICES[provider]
    assert plans
    for plan in plans:
        chosen, fields = develop_flow.price_answers(provider, [plan])
        assert chosen == plan
        parsed = parse_price_set({"plan": plan, **fields}, TARIFFS[provider])
        assert isinstance(parsed, PriceSet), (plan, parsed)
        assert parsed.tax_percent == TAXES[provider]
        assert parsed.valid_from < date(2024, 1, 1)
    first = next(iter(plans))
    assert PLAN_RULES[Plan(first)].priced_by_calendar
    chosen, _ = develop_flow.price_answers(provider, list(reversed(list(plans))))
    assert chosen == first
    with pytest.raises(develop_flow.FlowError):
        develop_flow.price_answers(provider, ["es_pvpc", "fr_tempo"])


@pytest.mark.freeze_time(NOW, tick=True)
@pytest.mark.usefixtures("recorder_mock", "enable_custom_integrations")
async def test_develop_adds_the_prices_once(
    hass: HomeAssistant,
    datadis: RunningSim,
    datadis_entry: MockConfigEntry,
    hass_client: ClientSessionGenerator,
    hass_access_token: str,
) -> None:
    """Over Home Assistant's REST API, as scripts/develop does: every supply
    of the account gets its 2.0TD prices and money statistics; a second run
    adds nothing.
    """
    short_history(datadis)
    assert await async_setup_component(hass, "config", {})
    await setup_entry(hass, datadis_entry)
    client = await hass_client()
    api = develop_flow.HomeAssistant(
        str(client.make_url("")).rstrip("/"), hass_access_token
    )
    meters = datadis_entry.runtime_data.coordinator.data.meters
    assert len(meters) > 1
    await hass.async_add_executor_job(develop_flow.add_prices, api, "datadis")
    await hass.async_block_till_done(wait_background_tasks=True)
    prices = [
        s for s in datadis_entry.subentries.values() if s.subentry_type == "prices"
    ]
    assert sorted(s.data["meter_id"] for s in prices) == sorted(meters)
    assert all(s.data["plan"] == "es_20td" for s in prices)
    for meter_id in meters:
        assert await read_hours(hass, f"gridmeter:datadis_{meter_id.lower()}_cost")

    await hass.async_add_executor_job(develop_flow.add_prices, api, "datadis")
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(datadis_entry.subentries) == len(prices)
