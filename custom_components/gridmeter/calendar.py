"""Calendar of green windows: one event per window (calendar triggers work)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
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
from .providers.signals import SignalBasis

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
    _summary_basis = "{share} {basis}"
    _basis: Mapping[str, str] = MappingProxyType({})

    @override
    async def async_added_to_hass(self) -> None:
        """Load the event titles and basis labels in the user's language."""
        self._summary = await async_translate(self.hass, "green_window_summary")
        self._summary_basis = await async_translate(
            self.hass, "green_window_summary_basis"
        )
        self._basis = {
            basis.value: await async_translate(self.hass, f"green_basis_{basis.value}")
            for basis in SignalBasis
        }
        await super().async_added_to_hass()

    def _title(self, window: GreenWindow, share: str) -> str:
        """Title an event: "Green window · 74% renewable · forecast"."""
        if window.basis is None:
            return self._summary.replace("{share}", share)
        basis = self._basis.get(window.basis, window.basis)
        return self._summary_basis.replace("{share}", share).replace("{basis}", basis)

    def _event(self, window: GreenWindow) -> CalendarEvent:
        share = (
            f"{window.renewable_share:.0%}"
            if window.renewable_share is not None
            else "-"
        )
        return CalendarEvent(
            start=dt_util.as_local(window.start),
            end=dt_util.as_local(window.end),
            summary=self._title(window, share),
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
