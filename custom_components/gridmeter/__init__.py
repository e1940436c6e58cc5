"""GridMeter: smart-meter data from Europe's metering data hubs."""

from __future__ import annotations

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.helpers.typing import ConfigType

from .const import DOMAIN
from .coordinator import GridMeterConfigEntry, GridMeterRuntimeData
from .costs import SUBENTRY_PRICES
from .entity import device_identifier
from .hubs import spec_for
from .issues import async_update_issues
from .notify import async_notify
from .services import async_setup_services
from .storage import async_remove_account

PLATFORMS: list[Platform] = [Platform.BINARY_SENSOR, Platform.CALENDAR, Platform.SENSOR]
CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register GridMeter's actions."""
    async_setup_services(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: GridMeterConfigEntry) -> bool:
    """Set up a provider account: entities first, history in the background."""
    spec = spec_for(entry.data)
    coordinator = spec.coordinator(hass, entry, spec)
    await coordinator.async_config_entry_first_refresh()
    extras = (
        await spec.extra_coordinators(hass, entry, coordinator)
        if spec.extra_coordinators is not None
        else {}
    )
    entry.runtime_data = GridMeterRuntimeData(
        coordinator=coordinator,
        spec=spec,
        extras=extras,
        options=dict(entry.options),
        subentries=_price_subentries(entry),
    )

    @callback
    def _after_update() -> None:
        _async_remove_stale_devices(hass, entry)
        async_update_issues(hass, entry)

    entry.async_on_unload(coordinator.async_add_listener(_after_update))
    _after_update()
    if spec.webhook is not None:
        entry.async_on_unload(spec.webhook(hass, entry))
    entry.async_on_unload(entry.add_update_listener(_async_entry_updated))
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    entry.async_create_background_task(
        hass, coordinator.async_start(), f"{spec.key} first run"
    )
    return True


def _price_subentries(entry: GridMeterConfigEntry) -> dict[str, dict[str, object]]:
    return {
        subentry_id: dict(subentry.data)
        for subentry_id, subentry in entry.subentries.items()
        if subentry.subentry_type == SUBENTRY_PRICES
    }


async def _async_entry_updated(
    hass: HomeAssistant, entry: GridMeterConfigEntry
) -> None:
    """Options changed: reload. Prices changed: rewrite the money statistics."""
    runtime = entry.runtime_data
    if dict(entry.options) != runtime.options:
        hass.config_entries.async_schedule_reload(entry.entry_id)
        return
    prices = _price_subentries(entry)
    if prices != runtime.subentries:
        runtime.subentries = prices
        await runtime.coordinator.async_prices_changed()


async def async_unload_entry(hass: HomeAssistant, entry: GridMeterConfigEntry) -> bool:
    """Unload an entry (its coordinators shut down with it)."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: GridMeterConfigEntry) -> None:
    """Forget the account's stored state; withdraw what the hub keeps.

    A Switchgrid consent is revoked and a Digiwatt user deleted, and a
    notification says whether it worked.
    """
    spec = spec_for(entry.data)
    if entry.unique_id is not None:
        await async_remove_account(hass, spec.key, entry.unique_id)
    if (withdrawal := spec.withdrawal) is not None:
        await async_notify(
            hass,
            withdrawal.done if await withdrawal.run(hass, entry) else withdrawal.failed,
            {"entry": entry.title},
        )


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
