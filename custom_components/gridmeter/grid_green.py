"""Green windows of an entry's supplies from their national grid.

A hub whose spec has `Capability.GRID_SIGNAL` (Datadis, Enedis through
Switchgrid) gets, for every supply, the windows of its grid: the keeper
acquires the grid's shared `GridSignalSource` (one per grid, whatever the
number of entries), applies the user's options (threshold, minimum length)
and recomputes the windows at every hour boundary and whenever the source
has news, so the horizon moves on and entities flip exactly at boundaries.

Until the source knows a measured hour, a supply has no windows (None) and
no green-window entity; afterwards a failing source keeps what it knew.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
import logging
from typing import TYPE_CHECKING, Any

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.util import dt as dt_util

from .const import (
    CONF_ESIOS_TOKEN,
    CONF_GREEN,
    CONF_GREEN_MIN_HOURS,
    CONF_GREEN_THRESHOLD,
    CONF_RTE_CLIENT_ID,
    CONF_RTE_CLIENT_SECRET,
)
from .data import MeterData
from .green_rule import (
    DEFAULT_MIN_HOURS,
    DEFAULT_THRESHOLD,
    HOUR,
    GreenOptions,
    hour_start,
)
from .grid_sources import GridCredentials, GridSignalSource
from .grid_systems import GridSystem, grid_system_for
from .providers.models import MeterPoint
from .sources import async_acquire, async_release, source_urls
from .spec import Capability

if TYPE_CHECKING:
    from .coordinator import GridMeterCoordinator

_LOGGER = logging.getLogger(__name__)

DEFAULT_THRESHOLD_PERCENT = round(DEFAULT_THRESHOLD * 100)


def green_options(options: Mapping[str, Any]) -> GreenOptions:
    """Return the rule's options from an entry's options (defaults: 50 %, 1 hour)."""
    try:
        return GreenOptions(
            threshold=float(
                options.get(CONF_GREEN_THRESHOLD, DEFAULT_THRESHOLD_PERCENT)
            )
            / 100,
            min_hours=int(options.get(CONF_GREEN_MIN_HOURS, DEFAULT_MIN_HOURS)),
        )
    except (TypeError, ValueError):
        return GreenOptions()


def grid_credentials(options: Mapping[str, Any]) -> GridCredentials:
    """Return the optional forecast credentials of an entry's options."""

    def text(key: str) -> str | None:
        value = options.get(key)
        return str(value).strip() or None if value else None

    return GridCredentials(
        esios_token=text(CONF_ESIOS_TOKEN),
        rte_client_id=text(CONF_RTE_CLIENT_ID),
        rte_client_secret=text(CONF_RTE_CLIENT_SECRET),
    )


class GreenKeeper:
    """Follows the grid of each of an entry's supplies and fills their windows."""

    def __init__(self, coordinator: GridMeterCoordinator[Any]) -> None:
        """Attach to the entry's coordinator; nothing is acquired here."""
        self.coordinator = coordinator
        self.hass: HomeAssistant = coordinator.hass
        entry = coordinator.config_entry
        self.enabled = Capability.GRID_SIGNAL in coordinator.spec.capabilities and bool(
            entry.options.get(CONF_GREEN, True)
        )
        self.options = green_options(entry.options)
        self.credentials = grid_credentials(entry.options)
        self._sources: dict[GridSystem, GridSignalSource] = {}
        self._unsubs: list[CALLBACK_TYPE] = []
        self._unsub_hour: CALLBACK_TYPE | None = None
        self._stopped = False

    def system_of(self, point: MeterPoint) -> GridSystem | None:
        """Return the grid of a supply (None: not followed)."""
        if not self.enabled:
            return None
        return grid_system_for(
            self.coordinator.spec.country, point.region_code, point.postal_code
        )

    async def _async_source(self, system: GridSystem) -> GridSignalSource:
        if (source := self._sources.get(system)) is not None:
            return source
        entry = self.coordinator.config_entry
        urls = source_urls(entry)
        source = await async_acquire(
            self.hass,
            system.key,
            entry.entry_id,
            lambda: GridSignalSource(self.hass, system, urls=urls),
        )
        source.set_credentials(entry.entry_id, self.credentials)
        self._sources[system] = source
        self._unsubs.append(source.async_add_listener(self._async_refresh))
        self._arm_hour()
        return source

    async def async_apply(self, meter: MeterData, now: datetime) -> None:
        """Give a supply its grid's windows (acquires the grid's source once)."""
        if self._stopped or (system := self.system_of(meter.point)) is None:
            return
        await self._async_source(system)
        self._apply(meter, now)

    def _apply(self, meter: MeterData, now: datetime) -> None:
        system = self.system_of(meter.point)
        source = self._sources.get(system) if system is not None else None
        if source is None or not source.data.has_data:
            return
        signal = source.data
        meter.grid = signal
        meter.green_windows = signal.windows(now, self.options)

    @callback
    def _async_refresh(self) -> None:
        """Recompute every supply's windows (new grid data, a new hour)."""
        data = self.coordinator.data
        if data is None or self._stopped:
            return
        now = dt_util.utcnow()
        for meter in data.meters.values():
            self._apply(meter, now)
        self.coordinator.async_update_listeners()

    @callback
    def _arm_hour(self) -> None:
        if self._unsub_hour is not None or self._stopped:
            return

        @callback
        def _tick(_now: datetime) -> None:
            self._unsub_hour = None
            self._async_refresh()
            self._arm_hour()

        self._unsub_hour = async_track_point_in_utc_time(
            self.hass, _tick, hour_start(dt_util.utcnow()) + HOUR
        )

    def diagnostics(self) -> dict[str, Any]:
        """Describe the grids followed and what their sources hold."""
        return {
            "enabled": self.enabled,
            "threshold": self.options.threshold,
            "min_hours": self.options.min_hours,
            "forecast_credentials": any(
                (
                    self.credentials.esios_token,
                    self.credentials.rte is not None,
                )
            ),
            "grids": [source.diagnostics() for source in self._sources.values()],
        }

    async def async_shutdown(self) -> None:
        """Stop the hourly tick and let go of the sources."""
        self._stopped = True
        if self._unsub_hour is not None:
            self._unsub_hour()
            self._unsub_hour = None
        for unsub in self._unsubs:
            unsub()
        self._unsubs.clear()
        entry_id = self.coordinator.config_entry.entry_id
        for system, source in list(self._sources.items()):
            source.drop_credentials(entry_id)
            await async_release(self.hass, system.key, entry_id)
        self._sources.clear()
