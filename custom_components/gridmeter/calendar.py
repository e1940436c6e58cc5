"""Calendar of green windows: one event per window (calendar triggers work)."""

from __future__ import annotations

from datetime import datetime
from typing import override

from homeassistant.components.calendar import (
    CalendarEntity,
    CalendarEntityDescription,
    CalendarEvent,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util

from .coordinator import GridMeterConfigEntry
from .entity import GreenWindowEntity, async_add_green_window_entities
from .green import next_window
from .notify import async_translate
from .providers.models import GreenWindow

PARALLEL_UPDATES = 0

GREEN_WINDOWS = CalendarEntityDescription(
    key="green_windows", translation_key="green_windows"
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: GridMeterConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a calendar to every supply point that has a green-window source."""
    async_add_green_window_entities(
        entry,
        async_add_entities,
        lambda coordinator, meter_id: GreenWindowCalendar(
            coordinator, meter_id, GREEN_WINDOWS
        ),
    )


class GreenWindowCalendar(GreenWindowEntity, CalendarEntity):
    """Green windows as calendar events, with a stable uid per window."""

    _summary = "{share}"

    @override
    async def async_added_to_hass(self) -> None:
        """Load the event title in the user's language."""
        self._summary = await async_translate(self.hass, "green_window_summary")
        await super().async_added_to_hass()

    def _event(self, window: GreenWindow) -> CalendarEvent:
        share = (
            f"{window.renewable_share:.0%}"
            if window.renewable_share is not None
            else "-"
        )
        return CalendarEvent(
            start=dt_util.as_local(window.start),
            end=dt_util.as_local(window.end),
            summary=self._summary.replace("{share}", share),
            uid=f"{self.meter_id}-{window.start.isoformat()}".lower(),
        )

    @property
    @override
    def event(self) -> CalendarEvent | None:
        """The window in progress, else the next one."""
        window = next_window(self.windows, dt_util.utcnow())
        return self._event(window) if window else None

    @override
    async def async_get_events(
        self, hass: HomeAssistant, start_date: datetime, end_date: datetime
    ) -> list[CalendarEvent]:
        """Windows overlapping the requested range."""
        return [
            self._event(window)
            for window in self.windows
            if window.end > start_date and window.start < end_date
        ]
