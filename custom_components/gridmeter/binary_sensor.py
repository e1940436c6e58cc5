"""Binary sensor: on while a green window is in progress."""

from __future__ import annotations

from typing import override

from homeassistant.components.binary_sensor import (
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util

from .coordinator import GridMeterConfigEntry
from .entity import GreenWindowEntity
from .green import current_window

PARALLEL_UPDATES = 0

IN_GREEN_WINDOW = BinarySensorEntityDescription(
    key="in_green_window", translation_key="in_green_window"
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: GridMeterConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the sensor to every supply point that has a green-window source."""
    coordinator = entry.runtime_data.coordinator
    known: set[str] = set()

    @callback
    def _add_new() -> None:
        new = [
            meter_id
            for meter_id, meter in coordinator.data.meters.items()
            if meter.green_windows is not None and meter_id not in known
        ]
        known.update(new)
        if new:
            async_add_entities(
                InGreenWindowSensor(coordinator, meter_id, IN_GREEN_WINDOW)
                for meter_id in new
            )

    _add_new()
    entry.async_on_unload(coordinator.async_add_listener(_add_new))


class InGreenWindowSensor(GreenWindowEntity, BinarySensorEntity):
    """On during a green window; flips exactly at its start and end."""

    @property
    @override
    def is_on(self) -> bool:
        """Whether now is inside a window."""
        return current_window(self.windows, dt_util.utcnow()) is not None
