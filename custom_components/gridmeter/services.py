"""GridMeter's actions: `gridmeter.reimport` reads a period again from the hub."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any, Final

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import ATTR_CONFIG_ENTRY_ID, ATTR_DEVICE_ID
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.util import dt as dt_util

from .const import DOMAIN
from .coordinator import GridMeterConfigEntry
from .entity import device_identifier
from .notify import async_notify

if TYPE_CHECKING:
    import probatio as vol
else:
    import voluptuous as vol

SERVICE_REIMPORT: Final = "reimport"
ATTR_START: Final = "start"

REIMPORT_SCHEMA: Final = vol.Schema(
    {
        vol.Optional(ATTR_CONFIG_ENTRY_ID): cv.string,
        vol.Optional(ATTR_DEVICE_ID): cv.string,
        vol.Optional(ATTR_START): cv.date,
    }
)


def _invalid(key: str) -> ServiceValidationError:
    return ServiceValidationError(translation_domain=DOMAIN, translation_key=key)


def _target(
    hass: HomeAssistant, data: dict[str, Any]
) -> tuple[GridMeterConfigEntry, set[str] | None]:
    """Return the entry and the supply points (None: all) a call targets."""
    entry_id: str | None = data.get(ATTR_CONFIG_ENTRY_ID)
    device = None
    if device_id := data.get(ATTR_DEVICE_ID):
        device = dr.async_get(hass).async_get(device_id)
        if device is None or not any(i[0] == DOMAIN for i in device.identifiers):
            raise _invalid("reimport_unknown_device")
        entry_id = entry_id or next(
            (
                candidate
                for candidate in device.config_entries
                if (found := hass.config_entries.async_get_entry(candidate))
                and found.domain == DOMAIN
            ),
            None,
        )
    if entry_id is None:
        raise _invalid("reimport_no_target")
    entry = hass.config_entries.async_get_entry(entry_id)
    if entry is None or entry.domain != DOMAIN:
        raise _invalid("reimport_no_target")
    if entry.state is not ConfigEntryState.LOADED:
        raise _invalid("reimport_not_loaded")
    gridmeter_entry: GridMeterConfigEntry = entry
    if device is None:
        return gridmeter_entry, None
    meters = gridmeter_entry.runtime_data.coordinator.data.meters
    chosen = {
        meter_id
        for meter_id, meter in meters.items()
        if device_identifier(meter.point) in device.identifiers
    }
    if not chosen:
        raise _invalid("reimport_unknown_device")
    return gridmeter_entry, chosen


async def _async_reimport(call: ServiceCall) -> ServiceResponse:
    """Read the hub again from `start` (within its rules) and rewrite what differs."""
    hass = call.hass
    entry, meter_ids = _target(hass, dict(call.data))
    start: date | None = call.data.get(ATTR_START)
    if start is not None and start > dt_util.now().date():
        raise _invalid("reimport_start_in_future")
    plan = await entry.runtime_data.coordinator.async_reimport(meter_ids, start)
    if plan.note is not None:
        await async_notify(
            hass,
            plan.note,
            {
                "entry": entry.title,
                "when": dt_util.as_local(plan.runs_at).strftime("%Y-%m-%d %H:%M"),
                "start": plan.start.isoformat(),
            },
        )
    return {
        "runs_at": plan.runs_at.isoformat(),
        "start": plan.start.isoformat(),
        "note": plan.note,
    }


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register GridMeter's actions (once, whatever the number of entries)."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_REIMPORT,
        _async_reimport,
        schema=REIMPORT_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
