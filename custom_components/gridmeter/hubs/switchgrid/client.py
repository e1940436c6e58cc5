"""The Switchgrid client and supply point of an entry."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from ...const import (
    CONF_ADDRESS_LINES,
    CONF_API_TOKEN,
    CONF_BASE_URL,
    CONF_PRM,
    CONF_TEST_ENV,
    PROVIDER_SWITCHGRID,
)
from ...providers.models import MeterPoint
from ...providers.switchgrid import DEFAULT_BASE_URL, SwitchgridClient

PARIS: Final = "Europe/Paris"


def switchgrid_client(hass: HomeAssistant, data: Mapping[str, Any]) -> SwitchgridClient:
    """Build a Switchgrid client on Home Assistant's shared session."""
    return SwitchgridClient(
        async_get_clientsession(hass),
        data[CONF_API_TOKEN],
        base_url=data.get(CONF_BASE_URL) or DEFAULT_BASE_URL,
        test_env=bool(data.get(CONF_TEST_ENV)),
    )


def point_from_entry(data: Mapping[str, Any]) -> MeterPoint:
    """Return the supply point as the contract search described it."""
    lines = [str(line) for line in data.get(CONF_ADDRESS_LINES, []) if line]
    postal, municipality, street = None, None, None
    for index, line in enumerate(lines):
        head, _, tail = line.partition(" ")
        if len(head) == 5 and head.isascii() and head.isdigit():
            postal, municipality = head, tail.strip() or None
            # AFNOR lines: the street (ligne 4) starts with the house number;
            # else it is the line just above the postal one.
            street = next(
                (candidate for candidate in lines[:index] if candidate[:1].isdigit()),
                lines[index - 1] if index else None,
            )
            break
    return MeterPoint(
        provider=PROVIDER_SWITCHGRID,
        meter_id=data[CONF_PRM],
        timezone=PARIS,
        address=street or (lines[0] if lines else None),
        postal_code=postal,
        municipality=municipality,
        region_code=postal[:2] if postal else None,
        distributor="Enedis",
    )
