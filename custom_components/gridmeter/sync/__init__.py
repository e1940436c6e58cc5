"""Provider syncs: what each provider is asked, when, and where answers go."""

from __future__ import annotations

from datetime import time

from homeassistant.const import CONF_PASSWORD, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from ..const import (
    CONF_AUTHORIZED_NIF,
    CONF_BASE_URL,
    CONF_PROVIDER,
    CONF_REFRESH_TIME,
    DEFAULT_REFRESH_TIME,
    PROVIDER_DATADIS,
    PROVIDER_DIGIWATT,
    PROVIDER_SWITCHGRID,
    SWITCHGRID_REFRESH_TIME,
)
from ..coordinator import GridMeterConfigEntry
from ..data import ProviderSync
from ..providers.datadis import DEFAULT_BASE_URL, DatadisClient
from ..providers.models import utc_now
from ..storage import account_store
from .common import DailyTimetable
from .datadis import DatadisSync
from .digiwatt import DigiwattSync, digiwatt_client
from .switchgrid import PARIS, SwitchgridSync, switchgrid_client


def refresh_time(entry: GridMeterConfigEntry) -> time:
    """Return the daily refresh time the user chose (provider-local)."""
    if raw := entry.options.get(CONF_REFRESH_TIME):
        return time.fromisoformat(raw)
    if entry.data[CONF_PROVIDER] == PROVIDER_SWITCHGRID:
        return SWITCHGRID_REFRESH_TIME
    return DEFAULT_REFRESH_TIME


def create_datadis_client(hass: HomeAssistant, data: dict[str, str]) -> DatadisClient:
    """Build a Datadis client on Home Assistant's shared session."""
    return DatadisClient(
        async_get_clientsession(hass),
        data[CONF_USERNAME],
        data[CONF_PASSWORD],
        authorized_nif=data.get(CONF_AUTHORIZED_NIF),
        base_url=data.get(CONF_BASE_URL) or DEFAULT_BASE_URL,
    )


def create_sync(hass: HomeAssistant, entry: GridMeterConfigEntry) -> ProviderSync:
    """Build the sync of an entry's provider."""
    provider = entry.data[CONF_PROVIDER]
    assert entry.unique_id is not None
    store = account_store(hass, provider, entry.unique_id)
    if provider == PROVIDER_DATADIS:
        return DatadisSync(
            hass,
            entry,
            create_datadis_client(hass, dict(entry.data)),
            store,
            DailyTimetable("Europe/Madrid", refresh_time(entry), seed=entry.entry_id),
            clock=utc_now,
        )
    if provider == PROVIDER_SWITCHGRID:
        return SwitchgridSync(
            hass,
            entry,
            switchgrid_client(hass, entry.data),
            store,
            DailyTimetable(PARIS, refresh_time(entry), seed=entry.entry_id),
            clock=utc_now,
        )
    if provider == PROVIDER_DIGIWATT:
        return DigiwattSync(
            hass, entry, digiwatt_client(hass, entry.data), store, clock=utc_now
        )
    raise ValueError(f"unknown provider {provider!r}")
