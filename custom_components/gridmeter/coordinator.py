"""The coordinator and the typed runtime data of a GridMeter entry.

One coordinator per config entry (a provider account). It does not poll on
an interval: it runs the provider's sync once a day after the morning
publication (at a minute fixed per installation), retries later after a
failure, and never makes Home Assistant's start-up wait for history: the
first refresh only reads what is stored (or, the very first time, the supply
points), and the backfill runs in the background.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import override

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from .const import DOMAIN, LOGGER, RETRY_DELAY
from .data import GridMeterData, ProviderSync
from .issues import async_set_access_revoked, async_set_consent_issue
from .providers.errors import (
    AuthError,
    ConsentRevoked,
    NotAuthorized,
    ProviderError,
    RateLimited,
    redact,
)
from .providers.models import LivePower


@dataclass(slots=True)
class GridMeterRuntimeData:
    """Runtime objects of an entry."""

    coordinator: GridMeterCoordinator
    sync: ProviderSync
    live: DataUpdateCoordinator[LivePower] | None = None
    """Realtime load, for providers that have one (Digiwatt)."""


type GridMeterConfigEntry = ConfigEntry[GridMeterRuntimeData]


class GridMeterCoordinator(DataUpdateCoordinator[GridMeterData]):
    """Runs a provider sync on its daily schedule and shares its data."""

    config_entry: GridMeterConfigEntry

    def __init__(
        self, hass: HomeAssistant, entry: GridMeterConfigEntry, sync: ProviderSync
    ) -> None:
        """Create the coordinator; nothing is fetched here."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} {sync.provider}",
            # Scheduled by the provider's own daily timetable, not an interval.
            update_interval=None,
            always_update=False,
        )
        self.sync = sync
        self._initial = True
        self._unsub_timer: CALLBACK_TYPE | None = None

        @callback
        def _keep_alive() -> None:
            """Statistics must keep flowing even when no entity listens."""

        self.async_add_listener(_keep_alive)

    @override
    async def _async_setup(self) -> None:
        """Read stored state before the first refresh."""
        await self.sync.async_load()

    @override
    async def _async_update_data(self) -> GridMeterData:
        """Run one sync and schedule the next."""
        initial, self._initial = self._initial, False
        now = dt_util.utcnow()
        try:
            result = await self.sync.async_run(initial=initial)
        except AuthError as err:
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN, translation_key="invalid_auth"
            ) from err
        except ConsentRevoked as err:
            async_set_consent_issue(self.hass, self.config_entry, True)
            if not initial:
                # The repair's fix reloads the entry; meanwhile look again at
                # the regular time (a consent signed elsewhere is picked up).
                self._schedule(self.sync.next_run(now))
            raise UpdateFailed(
                translation_domain=DOMAIN, translation_key="consent_invalid"
            ) from err
        except NotAuthorized as err:
            async_set_access_revoked(self.hass, self.config_entry, True)
            if not initial:
                self._schedule(now + RETRY_DELAY)
            raise UpdateFailed(
                translation_domain=DOMAIN, translation_key="not_authorized"
            ) from err
        except RateLimited as err:
            if not initial:
                self._schedule(now + timedelta(seconds=err.retry_after or 86400))
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="rate_limited",
                translation_placeholders={"provider": self.sync.provider},
            ) from err
        except ProviderError as err:
            if not initial:
                # Providers whose data slips away (Digiwatt's six hours) retry
                # sooner than the others.
                self._schedule(now + self.sync.retry_delay)
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="communication_error",
                translation_placeholders={"error": redact(str(err))},
            ) from err
        async_set_access_revoked(self.hass, self.config_entry, False)
        async_set_consent_issue(self.hass, self.config_entry, False)
        retry_at = result.retry_at
        if not initial:
            next_regular = self.sync.next_run(now)
            self._schedule(
                max(min(retry_at, next_regular), now)
                if retry_at is not None
                else next_regular
            )
        result.data.next_sync = self._next_at
        return result.data

    _next_at: datetime | None = None

    @callback
    def _schedule(self, when: datetime) -> None:
        """Arm the single timer of the next sync."""
        if self._unsub_timer is not None:
            self._unsub_timer()
        self._next_at = when

        @callback
        def _run(_now: datetime) -> None:
            self._unsub_timer = None
            self.config_entry.async_create_background_task(
                self.hass, self.async_refresh(), f"{DOMAIN} sync"
            )

        self._unsub_timer = async_track_point_in_utc_time(self.hass, _run, when)

    async def async_start(self) -> None:
        """After set-up: sync now if a daily run was missed, else wait for it."""
        now = dt_util.utcnow()
        if self.sync.is_due(now):
            await self.async_refresh()
        else:
            self._schedule(self.sync.next_run(now))
            if self.data is not None:
                self.data.next_sync = self._next_at
                self.async_update_listeners()

    @override
    async def async_shutdown(self) -> None:
        """Cancel the timer and persist the sync's state."""
        if self._unsub_timer is not None:
            self._unsub_timer()
            self._unsub_timer = None
        await self.sync.async_shutdown()
        await super().async_shutdown()
