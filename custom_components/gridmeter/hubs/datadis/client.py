"""The Datadis client of an entry, on Home Assistant's shared session."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.const import CONF_PASSWORD, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from ...const import CONF_AUTHORIZED_NIF, CONF_BASE_URL
from ...providers.datadis import DEFAULT_BASE_URL, DatadisClient


def datadis_client(hass: HomeAssistant, data: Mapping[str, Any]) -> DatadisClient:
    """Build a Datadis client from an entry's (or a flow's) data."""
    return DatadisClient(
        async_get_clientsession(hass),
        data[CONF_USERNAME],
        data[CONF_PASSWORD],
        authorized_nif=data.get(CONF_AUTHORIZED_NIF),
        base_url=data.get(CONF_BASE_URL) or DEFAULT_BASE_URL,
    )
