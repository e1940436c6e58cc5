"""GridMeter: smart-meter data from Europe's metering data hubs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr

from .const import CONF_PROVIDER, DOMAIN, PROVIDER_DIGIWATT, PROVIDER_SWITCHGRID
from .coordinator import (
    GridMeterConfigEntry,
    GridMeterCoordinator,
    GridMeterRuntimeData,
)
from .entity import device_identifier
from .issues import async_update_issues
from .notify import async_notify
from .storage import account_store
from .sync import create_sync
from .sync.digiwatt import DigiwattSync, LivePowerCoordinator, async_delete_user
from .sync.switchgrid import async_register_webhook, async_revoke_consent

PLATFORMS: list[Platform] = [Platform.BINARY_SENSOR, Platform.CALENDAR, Platform.SENSOR]


async def async_setup_entry(hass: HomeAssistant, entry: GridMeterConfigEntry) -> bool:
    """Set up a provider account: entities first, history in the background."""
    sync = create_sync(hass, entry)
    coordinator = GridMeterCoordinator(hass, entry, sync)
    await coordinator.async_config_entry_first_refresh()
    live = None
    if isinstance(sync, DigiwattSync):
        live = LivePowerCoordinator(hass, entry, sync.client)
        # A realtime outage leaves the power sensor unavailable; it must not
        # keep statistics and green windows from loading.
        await live.async_refresh()
    entry.runtime_data = GridMeterRuntimeData(
        coordinator=coordinator, sync=sync, live=live
    )

    @callback
    def _after_update() -> None:
        _async_remove_stale_devices(hass, entry)
        async_update_issues(hass, entry)

    entry.async_on_unload(coordinator.async_add_listener(_after_update))
    _after_update()
    if entry.data[CONF_PROVIDER] == PROVIDER_SWITCHGRID:
        entry.async_on_unload(async_register_webhook(hass, entry))
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    entry.async_create_background_task(
        hass, coordinator.async_start(), f"{DOMAIN} first sync"
    )
    return True


async def async_unload_entry(hass: HomeAssistant, entry: GridMeterConfigEntry) -> bool:
    """Unload an entry (the coordinator shuts down with it)."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: GridMeterConfigEntry) -> None:
    """Forget the account's stored state; withdraw what the provider keeps.

    A Switchgrid consent is revoked and a Digiwatt user deleted, and a
    notification says whether it worked.
    """
    provider = entry.data[CONF_PROVIDER]
    if entry.unique_id is not None:
        await account_store(hass, provider, entry.unique_id).async_remove()
    if withdrawal := _WITHDRAWALS.get(provider):
        withdraw, done, failed = withdrawal
        await async_notify(
            hass,
            done if await withdraw(hass, entry) else failed,
            {"entry": entry.title},
        )


# What a provider keeps of an account, withdrawn when the entry is removed:
# the call (True when gone) and the notifications of success and failure.
_WITHDRAWALS: dict[
    str,
    tuple[Callable[[HomeAssistant, GridMeterConfigEntry], Awaitable[bool]], str, str],
] = {
    PROVIDER_SWITCHGRID: (
        async_revoke_consent,
        "consent_revoked",
        "consent_not_revoked",
    ),
    PROVIDER_DIGIWATT: (async_delete_user, "user_deleted", "user_not_deleted"),
}


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: GridMeterConfigEntry, device: dr.DeviceEntry
) -> bool:
    """Let the user delete a device only when its supply point is gone."""
    return device.identifiers.isdisjoint(_current_identifiers(entry))


@callback
def _current_identifiers(entry: GridMeterConfigEntry) -> set[tuple[str, str]]:
    """Return the device identifiers of the supply points the entry follows."""
    data = entry.runtime_data.coordinator.data
    return {device_identifier(meter.point) for meter in data.meters.values()}


@callback
def _async_remove_stale_devices(
    hass: HomeAssistant, entry: GridMeterConfigEntry
) -> None:
    """Remove devices of supply points the provider no longer lists."""
    current = _current_identifiers(entry)
    registry = dr.async_get(hass)
    for device in dr.async_entries_for_config_entry(registry, entry.entry_id):
        if device.identifiers.isdisjoint(current):
            registry.async_update_device(
                device.id, remove_config_entry_id=entry.entry_id
            )
