"""Set-up, unload, removal, devices that come and go, and daily-run failures."""

from __future__ import annotations

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import CONF_PASSWORD, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import (
    device_registry as dr,
    entity_registry as er,
    issue_registry as ir,
)
from homeassistant.helpers.storage import Store
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.gridmeter.const import CONF_BASE_URL, DOMAIN
from custom_components.gridmeter.storage import account_key

from .conftest import NOW, setup_entry, short_history
from .datadis_sim import FLAT, HEAT_PUMP, RunningSim

pytestmark = [
    pytest.mark.freeze_time(NOW, tick=True),
    pytest.mark.usefixtures("recorder_mock", "enable_custom_integrations"),
]

FLAT_DEVICE = (DOMAIN, f"datadis_{FLAT[:20]}".lower())
HOUSE_DEVICE = (DOMAIN, f"datadis_{HEAT_PUMP[:20]}".lower())


@pytest.fixture(autouse=True)
def _quick(datadis: RunningSim) -> None:
    short_history(datadis)


async def next_day(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, days: int = 1
) -> None:
    """Move to 10:00 UTC `days` later and run what is due."""
    target = (dt_util.utcnow() + timedelta(days=days)).replace(hour=10, minute=0)
    freezer.move_to(target)
    for _ in range(3):
        async_fire_time_changed(hass, target)
        await hass.async_block_till_done(wait_background_tasks=True)


def status(hass: HomeAssistant, entity_registry: er.EntityRegistry, cups: str) -> str:
    entity_id = entity_registry.async_get_entity_id(
        "sensor", DOMAIN, f"datadis_{cups[:20]}_connection_status".lower()
    )
    assert entity_id
    state = hass.states.get(entity_id)
    assert state
    return state.state


async def test_setup_unload_and_remove(
    hass: HomeAssistant,
    datadis: RunningSim,
    datadis_entry: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
) -> None:
    """Two houses become two devices; removal forgets the account's store."""
    await setup_entry(hass, datadis_entry)
    assert datadis_entry.state is ConfigEntryState.LOADED
    flat = device_registry.async_get_device_by_identifier(
        FLAT_DEVICE, datadis_entry.entry_id
    )
    assert flat is not None
    assert flat.serial_number == FLAT[:20]
    assert flat.manufacturer
    # The access tariff in the bill's words, not a code or the point type.
    assert flat.model == "2.0TD"
    assert flat.model_id is None
    assert "28004" in (flat.name or "")
    assert device_registry.async_get_device_by_identifier(
        HOUSE_DEVICE, datadis_entry.entry_id
    )

    assert await hass.config_entries.async_unload(datadis_entry.entry_id)
    assert datadis_entry.state is ConfigEntryState.NOT_LOADED
    key = account_key("datadis", "12345678Z")
    assert await Store[dict[str, object]](hass, 2, key).async_load()
    await hass.config_entries.async_remove(datadis_entry.entry_id)
    assert await Store[dict[str, object]](hass, 2, key).async_load() is None


async def test_wrong_password_at_setup_starts_reauth(
    hass: HomeAssistant, datadis: RunningSim, datadis_entry: MockConfigEntry
) -> None:
    """Credentials refused: set-up error and a reauth flow."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=datadis_entry.unique_id,
        data={**datadis_entry.data, CONF_PASSWORD: "old"},
    )
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


async def test_unreachable_at_setup_retries(
    hass: HomeAssistant, datadis: RunningSim
) -> None:
    """Provider down on the very first start: set-up is retried later."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id="12345678Z",
        data={
            "provider": "datadis",
            "username": "12345678Z",
            "password": "x",
            CONF_BASE_URL: "http://127.0.0.1:9",
        },
    )
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_RETRY


async def test_setup_after_restart_needs_no_network(
    hass: HomeAssistant, datadis: RunningSim, datadis_entry: MockConfigEntry
) -> None:
    """Entities come up from stored state even when Datadis is down."""
    await setup_entry(hass, datadis_entry)
    await hass.config_entries.async_unload(datadis_entry.entry_id)
    datadis.sim.fail_next("*", status=503, times=100)
    sent = len(datadis.sim.requests)
    assert await hass.config_entries.async_setup(datadis_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert datadis_entry.state is ConfigEntryState.LOADED
    assert len(datadis.sim.requests) == sent


async def test_supply_points_come_and_go(
    hass: HomeAssistant,
    datadis: RunningSim,
    datadis_entry: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A new supply gets a device without reload; a vanished one is removed."""
    account = datadis.sim.accounts["12345678Z"]
    account.supplies = [FLAT]
    await setup_entry(hass, datadis_entry)
    assert (
        device_registry.async_get_device_by_identifier(
            HOUSE_DEVICE, datadis_entry.entry_id
        )
        is None
    )

    account.supplies = [FLAT, HEAT_PUMP]
    # Supplies are re-read every third day.
    await next_day(hass, freezer, 3)
    house = device_registry.async_get_device_by_identifier(
        HOUSE_DEVICE, datadis_entry.entry_id
    )
    assert house is not None
    assert er.async_entries_for_device(entity_registry, house.id)
    assert status(hass, entity_registry, HEAT_PUMP) == "connected"

    account.supplies = [HEAT_PUMP]
    await next_day(hass, freezer, 3)
    assert (
        device_registry.async_get_device_by_identifier(
            FLAT_DEVICE, datadis_entry.entry_id
        )
        is None
    )
    assert (
        device_registry.async_get_device_by_identifier(
            HOUSE_DEVICE, datadis_entry.entry_id
        )
        is not None
    )


async def test_remove_device_only_when_gone(
    hass: HomeAssistant,
    datadis: RunningSim,
    datadis_entry: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
    hass_ws_client: WebSocketGenerator,
) -> None:
    """The user may delete a device only when its supply point is gone."""
    assert await async_setup_component(hass, "config", {})
    await setup_entry(hass, datadis_entry)
    flat = device_registry.async_get_device_by_identifier(
        FLAT_DEVICE, datadis_entry.entry_id
    )
    assert flat
    client = await hass_ws_client(hass)
    await client.send_json_auto_id(
        {
            "type": "config/device_registry/remove_config_entry",
            "config_entry_id": datadis_entry.entry_id,
            "device_id": flat.id,
        }
    )
    response = await client.receive_json()
    assert not response["success"]
    orphan = device_registry.async_get_or_create(
        config_entry_id=datadis_entry.entry_id, identifiers={(DOMAIN, "datadis_gone")}
    )
    await client.send_json_auto_id(
        {
            "type": "config/device_registry/remove_config_entry",
            "config_entry_id": datadis_entry.entry_id,
            "device_id": orphan.id,
        }
    )
    response = await client.receive_json()
    assert response["success"]


async def test_daily_run_failure_and_recovery(
    hass: HomeAssistant,
    datadis: RunningSim,
    datadis_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Datadis down at the daily run: entities unavailable, then recovered.

    The status sensor says disconnected; a retry two hours later recovers.
    """
    await setup_entry(hass, datadis_entry)
    yesterday = entity_registry.async_get_entity_id(
        "sensor", DOMAIN, f"datadis_{FLAT[:20]}_consumption_yesterday".lower()
    )
    assert yesterday
    datadis.sim.fail_next("login", status=503, times=1)
    await next_day(hass, freezer)
    assert hass.states.get(yesterday).state == STATE_UNAVAILABLE  # type: ignore[union-attr]
    assert status(hass, entity_registry, FLAT) == "disconnected"
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(hours=2, minutes=1))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get(yesterday).state != STATE_UNAVAILABLE  # type: ignore[union-attr]
    assert status(hass, entity_registry, FLAT) == "connected"


async def test_daily_run_auth_failure_starts_reauth(
    hass: HomeAssistant,
    datadis: RunningSim,
    datadis_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The password changed on Datadis: the next run asks the user to sign in."""
    await setup_entry(hass, datadis_entry)
    datadis.sim.accounts["12345678Z"].password = "changed"
    await next_day(hass, freezer)
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


async def test_login_rate_limited(
    hass: HomeAssistant,
    datadis: RunningSim,
    datadis_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A 429 at login fails the run without retrying today."""
    await setup_entry(hass, datadis_entry)
    coordinator = datadis_entry.runtime_data.coordinator
    datadis.sim.fail_next("login", status=429)
    datadis_entry.runtime_data.coordinator.client._token = None
    await coordinator.async_refresh()
    assert not coordinator.last_update_success
    assert coordinator._next_at is not None
    assert coordinator._next_at - dt_util.utcnow() > timedelta(hours=23)


async def test_revoked_authorisation_raises_a_repair(
    hass: HomeAssistant,
    datadis: RunningSim,
    issue_registry: ir.IssueRegistry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The holder withdrew the authorisation: an issue until it is back."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Datadis ···5674 → ···321X",
        unique_id="B12345674_87654321X",
        data={
            "provider": "datadis",
            "username": "B12345674",
            "password": "gridmeter-demo",
            "authorized_nif": "87654321X",
            CONF_BASE_URL: datadis.url,
        },
    )
    await setup_entry(hass, entry)
    account = datadis.sim.accounts["B12345674"]
    granted = dict(account.authorized)
    account.authorized = {}
    await next_day(hass, freezer, 3)
    issue = issue_registry.async_get_issue(
        DOMAIN, f"access_revoked_{entry.entry_id}".lower()
    )
    assert issue is not None
    assert issue.translation_placeholders == {"entry": entry.title}
    account.authorized = granted
    await next_day(hass, freezer, 3)
    assert (
        issue_registry.async_get_issue(
            DOMAIN, f"access_revoked_{entry.entry_id}".lower()
        )
        is None
    )


async def test_account_without_supplies(
    hass: HomeAssistant,
    datadis: RunningSim,
    datadis_entry: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """All supplies gone from the account: devices removed, nothing fails."""
    await setup_entry(hass, datadis_entry)
    datadis.sim.accounts["12345678Z"].supplies = []
    await next_day(hass, freezer, 3)
    assert datadis_entry.state is ConfigEntryState.LOADED
    data = datadis_entry.runtime_data.coordinator.data
    assert data.account_status == "no_supplies"
    assert not dr.async_entries_for_config_entry(
        device_registry, datadis_entry.entry_id
    )
    issue_id = f"no_supplies_{datadis_entry.entry_id}".lower()
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None
    datadis.sim.accounts["12345678Z"].supplies = [FLAT]
    await next_day(hass, freezer, 3)
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
