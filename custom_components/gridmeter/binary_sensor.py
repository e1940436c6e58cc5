"""Binary sensor: on while a green window is in progress."""

from __future__ import annotations

from typing import override

from homeassistant.components.binary_sensor import (
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util

from .coordinator import GridMeterConfigEntry
from .entity import GreenWindowEntity, async_add_green_window_entities
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
    async_add_green_window_entities(
        entry,
        async_add_entities,
        lambda coordinator, meter_id: InGreenWindowSensor(
            coordinator, meter_id, IN_GREEN_WINDOW
        ),
    )


class InGreenWindowSensor(GreenWindowEntity, BinarySensorEntity):
    """On during a green window; flips exactly at its start and end."""

    @property
    @override
    def is_on(self) -> bool:
        """Whether now is inside a window."""
        return current_window(self.windows, dt_util.utcnow()) is not None
