"""The `gridmeter.reimport` action: read a period again, within each hub's rules."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components import persistent_notification
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import device_registry as dr
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.gridmeter.const import DOMAIN

from .conftest import NOW, setup_entry
from .datadis_sim import FLAT, HEAT_PUMP, RunningSim
from .stats_helpers import read_hours
from .test_datadis_sync import (  # noqa: F401 - fixtures
    FLAT_ID,
    assert_flat_equals_truth,
    flat_only,
    short_history,
)

pytestmark = [
    pytest.mark.freeze_time(NOW, tick=True),
    pytest.mark.usefixtures("recorder_mock", "enable_custom_integrations"),
]

OLD_DAY = date(2026, 9, 10)
"""Outside the daily refresh's months: only a re-import reads it again."""


async def reimport(hass: HomeAssistant, **data: Any) -> dict[str, Any]:
    response = await hass.services.async_call(
        DOMAIN, "reimport", data, blocking=True, return_response=True
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    assert isinstance(response, dict)
    return response


def notifications(hass: HomeAssistant) -> dict[str, Any]:
    return persistent_notification._async_get_or_create_notifications(hass)


def consumption_requests(datadis: RunningSim) -> int:
    return datadis.sim.count("get-consumption-data-v2")


async def test_datadis_reimport_waits_for_the_24_hour_rule(
    hass: HomeAssistant,
    datadis: RunningSim,
    flat_only: MockConfigEntry,  # noqa: F811
    freezer: FrozenDateTimeFactory,
) -> None:
    """Months asked less than 24 h ago are read again once they may be asked:
    the user is told when; a correction outside the refresh window arrives.
    """
    await setup_entry(hass, flat_only)
    datadis.sim.revise(FLAT, OLD_DAY, 1.5)
    before = consumption_requests(datadis)
    response = await reimport(
        hass, config_entry_id=flat_only.entry_id, start="2026-09-01"
    )
    assert response["note"] == "reimport_deferred"
    assert response["start"] == "2026-09-01"
    runs_at = dt_util.parse_datetime(response["runs_at"])
    assert runs_at is not None
    # The first import was asked at set-up: 24 h (and a margin) later.
    assert timedelta(hours=24) <= runs_at - NOW <= timedelta(hours=25)
    assert consumption_requests(datadis) == before
    (note,) = (
        n for key, n in notifications(hass).items() if "reimport_deferred" in key
    )
    assert flat_only.title in note["message"]

    # Asking again changes nothing: the same wait, no query.
    again = await reimport(hass, config_entry_id=flat_only.entry_id, start="2026-09-01")
    assert again["runs_at"] == response["runs_at"]
    assert consumption_requests(datadis) == before

    # The scheduled run reads September again: the revision is imported.
    await at(hass, freezer, runs_at)
    assert consumption_requests(datadis) > before
    await assert_flat_equals_truth(hass, datadis)
    assert not flat_only.runtime_data.coordinator.state.reimports

    # Safe to run twice: a second re-import rewrites nothing of September.
    september = await september_rows(hass)
    second = await reimport(
        hass, config_entry_id=flat_only.entry_id, start="2026-09-01"
    )
    second_at = dt_util.parse_datetime(second["runs_at"])
    assert second_at is not None
    await at(hass, freezer, second_at)
    assert not flat_only.runtime_data.coordinator.state.reimports
    assert await september_rows(hass) == september
    await assert_flat_equals_truth(hass, datadis)


async def at(hass: HomeAssistant, freezer: FrozenDateTimeFactory, when: Any) -> None:
    """Move just past `when` and run what is due."""
    target = when + timedelta(minutes=1)
    freezer.move_to(target)
    for _ in range(3):
        async_fire_time_changed(hass, target)
        await hass.async_block_till_done(wait_background_tasks=True)


async def september_rows(hass: HomeAssistant) -> dict[Any, Any]:
    rows = await read_hours(hass, f"{FLAT_ID}_consumption")
    return {hour: row for hour, row in rows.items() if hour.month == 9}


async def test_datadis_reimport_of_one_house(
    hass: HomeAssistant,
    datadis: RunningSim,
    datadis_entry: MockConfigEntry,
    short_history: None,  # noqa: F811
    device_registry: dr.DeviceRegistry,
) -> None:
    """A device targets its own supply point only."""
    await setup_entry(hass, datadis_entry)
    device = device_registry.async_get_device_by_identifier(
        (DOMAIN, f"datadis_{HEAT_PUMP[:20]}".lower()), datadis_entry.entry_id
    )
    assert device is not None
    await reimport(hass, device_id=device.id)
    assert set(datadis_entry.runtime_data.coordinator.state.reimports) == {
        HEAT_PUMP[:20]
    }


async def test_reimport_refuses_what_it_cannot_do(
    hass: HomeAssistant,
    datadis: RunningSim,
    datadis_entry: MockConfigEntry,
    short_history: None,  # noqa: F811
    device_registry: dr.DeviceRegistry,
) -> None:
    """No target, a device of another integration, a future day, an unloaded
    entry: each a translated error, nothing changed.
    """
    await setup_entry(hass, datadis_entry)
    other = MockConfigEntry(domain="other")
    other.add_to_hass(hass)
    stranger = device_registry.async_get_or_create(
        config_entry_id=other.entry_id, identifiers={("other", "x")}
    )
    tomorrow = (dt_util.now() + timedelta(days=1)).date().isoformat()
    cases: list[tuple[dict[str, Any], str]] = [
        ({}, "reimport_no_target"),
        ({"config_entry_id": other.entry_id}, "reimport_no_target"),
        ({"device_id": stranger.id}, "reimport_unknown_device"),
        (
            {"config_entry_id": datadis_entry.entry_id, "start": tomorrow},
            "reimport_start_in_future",
        ),
    ]
    for data, key in cases:
        with pytest.raises(ServiceValidationError) as raised:
            await hass.services.async_call(
                DOMAIN, "reimport", data, blocking=True, return_response=True
            )
        assert raised.value.translation_key == key
    assert not datadis_entry.runtime_data.coordinator.state.reimports
    await hass.config_entries.async_unload(datadis_entry.entry_id)
    with pytest.raises(ServiceValidationError) as raised:
        await hass.services.async_call(
            DOMAIN,
            "reimport",
            {"config_entry_id": datadis_entry.entry_id},
            blocking=True,
            return_response=True,
        )
    assert raised.value.translation_key == "reimport_not_loaded"
