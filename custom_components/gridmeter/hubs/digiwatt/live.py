"""Digiwatt's realtime load: its own coordinator, polled every minute."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any, Final, override

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator

from ...const import CONF_ACCOUNT_NUMBER, CONF_LIVE_INTERVAL, DOMAIN, LOGGER
from ...coordinator import GridMeterConfigEntry, GridMeterCoordinator
from ...exceptions import translated_errors, unexpected_error
from ...providers.digiwatt import DigiwattClient
from ...providers.models import LivePower
from ...spec import REALTIME
from .coordinator import DigiwattCoordinator

DEFAULT_LIVE_INTERVAL: Final = 60


class LivePowerCoordinator(DataUpdateCoordinator[LivePower]):
    """Realtime load, polled every minute by default (configurable)."""

    config_entry: GridMeterConfigEntry

    def __init__(
        self, hass: HomeAssistant, entry: GridMeterConfigEntry, client: DigiwattClient
    ) -> None:
        """Poll at the interval the user chose."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} live power",
            update_interval=timedelta(
                seconds=entry.options.get(CONF_LIVE_INTERVAL, DEFAULT_LIVE_INTERVAL)
            ),
        )
        self.client = client
        self.account = entry.data[CONF_ACCOUNT_NUMBER]

    @override
    async def _async_update_data(self) -> LivePower:
        """Read the realtime load.

        An answer nobody planned for is logged with its traceback once, not
        at every poll while it repeats (Home Assistant would, every minute).
        """
        try:
            with translated_errors("Digiwatt"):
                return await self.client.async_get_realtime(self.account)
        except HomeAssistantError:
            raise
        except Exception as err:
            if self.last_update_success:
                LOGGER.error(
                    "Digiwatt: unexpected error in step realtime (%s); GridMeter "
                    "goes on and retries later",
                    type(err).__name__,
                    exc_info=err,
                )
            raise unexpected_error() from err


async def async_live_coordinators(
    hass: HomeAssistant,
    entry: GridMeterConfigEntry,
    coordinator: GridMeterCoordinator[Any],
) -> Mapping[str, DataUpdateCoordinator[Any]]:
    """Build the realtime coordinator and read it once.

    A realtime outage leaves the power sensor unavailable; it must not keep
    statistics and green windows from loading.
    """
    assert isinstance(coordinator, DigiwattCoordinator)
    live = LivePowerCoordinator(hass, entry, coordinator.client)
    await live.async_refresh()
    return {REALTIME: live}
