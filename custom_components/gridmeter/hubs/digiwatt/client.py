"""The Digiwatt client of an entry, on Home Assistant's shared session."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from ...const import CONF_BASE_URL, CONF_CLIENT_ID, CONF_CLIENT_SECRET
from ...providers.digiwatt import DEFAULT_BASE_URL, DigiwattClient


def digiwatt_client(hass: HomeAssistant, data: Mapping[str, Any]) -> DigiwattClient:
    """Build a Digiwatt client from an entry's (or a flow's) data."""
    return DigiwattClient(
        async_get_clientsession(hass),
        data[CONF_CLIENT_ID],
        data[CONF_CLIENT_SECRET],
        base_url=data.get(CONF_BASE_URL) or DEFAULT_BASE_URL,
    )
