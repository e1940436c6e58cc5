"""Sensor entities: snapshot of every entity, and clock-driven tariff period."""

from __future__ import annotations

from datetime import datetime, timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.gridmeter.const import CONF_BASE_URL, DOMAIN

from .conftest import NOW, setup_entry, short_history
from .datadis_sim import PASSWORD, SOLAR, RunningSim

pytestmark = [
    pytest.mark.freeze_time(NOW, tick=True),
    pytest.mark.usefixtures(
        "recorder_mock",
        "enable_custom_integrations",
        "entity_registry_enabled_by_default",
    ),
]


@pytest.fixture
def solar_entry(datadis: RunningSim) -> MockConfigEntry:
    """The solar home's account."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Datadis ···567L",
        unique_id="X1234567L",
        data={
            "provider": "datadis",
            "username": "X1234567L",
            "password": PASSWORD,
            CONF_BASE_URL: datadis.url,
        },
        entry_id="01JSOLARENTRY0000000000000",
    )


async def test_solar_home_entities(
    hass: HomeAssistant,
    datadis: RunningSim,
    solar_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """Every entity of a solar home: names, classes, units, values."""
    short_history(datadis, 75)
    await setup_entry(hass, solar_entry)
    await snapshot_platform(hass, entity_registry, snapshot, solar_entry.entry_id)


async def test_tariff_period_follows_the_clock(
    hass: HomeAssistant,
    datadis: RunningSim,
    solar_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    freezer: object,
) -> None:
    """P3 at night, P2 at 08:00, P1 at 10:00 (Madrid), without any data update."""
    short_history(datadis)
    await setup_entry(hass, solar_entry)
    entity_id = entity_registry.async_get_entity_id(
        "sensor", DOMAIN, f"datadis_{SOLAR[:20]}_tariff_period".lower()
    )
    assert entity_id
    madrid = dt_util.get_time_zone("Europe/Madrid")
    for hour, expected in (
        (7, "p3"),
        (8, "p2"),
        (10, "p1"),
        (14, "p2"),
        (18, "p1"),
        (22, "p2"),
    ):
        moment = datetime(2026, 11, 11, hour, 0, 0, tzinfo=madrid)
        freezer.move_to(moment)  # type: ignore[attr-defined]
        async_fire_time_changed(hass, moment)
        await hass.async_block_till_done()
        assert hass.states.get(entity_id).state == expected, hour  # type: ignore[union-attr]
    saturday = datetime(2026, 11, 14, 12, tzinfo=madrid)
    freezer.move_to(saturday)  # type: ignore[attr-defined]
    async_fire_time_changed(hass, saturday + timedelta(seconds=1))
    await hass.async_block_till_done()
    assert hass.states.get(entity_id).state == "p3"  # type: ignore[union-attr]


async def test_neighbour_comparison_goes_unavailable_when_silent(
    hass: HomeAssistant,
    datadis: RunningSim,
    solar_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The public API stops answering: after its 14-day window the last
    figure is no longer shown, the sensor is unavailable and nothing fails.
    """
    from pytest_homeassistant_custom_component.common import async_fire_time_changed

    short_history(datadis, 75)
    await setup_entry(hass, solar_entry)
    entity_id = entity_registry.async_get_entity_id(
        "sensor", "gridmeter", "datadis_es0031104567890123yc_area_average_consumption"
    )
    assert entity_id
    assert float(hass.states.get(entity_id).state) > 0  # type: ignore[union-attr]
    datadis.sim.fail_next("api-search", status=500, times=100)
    for _ in range(17):
        moment = (dt_util.utcnow() + timedelta(days=1)).replace(hour=10, minute=0)
        freezer.move_to(moment)
        async_fire_time_changed(hass, moment)
        await hass.async_block_till_done(wait_background_tasks=True)
    assert solar_entry.runtime_data.coordinator.last_update_success
    assert hass.states.get(entity_id).state == "unavailable"  # type: ignore[union-attr]
