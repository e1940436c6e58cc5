"""Digiwatt (Italy): the spec of the hub."""

from __future__ import annotations

import logging

from homeassistant.core import HomeAssistant

from ...const import (
    CONF_ACCOUNT_NUMBER,
    CONF_CLIENT_ID,
    CONF_CLIENT_SECRET,
    CONF_COMPANY_CODE,
    CONF_POD,
    PROVIDER_DIGIWATT,
)
from ...coordinator import GridMeterConfigEntry
from ...pricing import Country
from ...providers.errors import NotFound, ProviderError, redact
from ...spec import Capability, ProviderSpec, Withdrawal
from .client import digiwatt_client
from .coordinator import DigiwattCoordinator
from .flow import DigiwattConfigFlow, DigiwattOptionsFlow
from .live import async_live_coordinators

_LOGGER = logging.getLogger(__name__)


async def async_delete_user(hass: HomeAssistant, entry: GridMeterConfigEntry) -> bool:
    """Delete the entry's Digiwatt user; True when it is gone."""
    client = digiwatt_client(hass, entry.data)
    try:
        await client.async_delete_user(entry.data[CONF_ACCOUNT_NUMBER])
    except NotFound:
        return True
    except ProviderError as err:
        _LOGGER.warning("The Digiwatt user could not be deleted: %s", redact(str(err)))
        return False
    return True


SPEC = ProviderSpec(
    key=PROVIDER_DIGIWATT,
    name="Digiwatt",
    country=Country.ITALY,
    capabilities=frozenset(
        {
            Capability.TARIFF_SPLIT,
            Capability.REALTIME,
            Capability.GREEN_WINDOWS,
            Capability.APPLIANCES,
        }
    ),
    coordinator=DigiwattCoordinator,
    config_flow=DigiwattConfigFlow,
    options_flow=DigiwattOptionsFlow,
    extra_coordinators=async_live_coordinators,
    withdrawal=Withdrawal(
        run=async_delete_user, done="user_deleted", failed="user_not_deleted"
    ),
    redact=frozenset(
        {
            CONF_CLIENT_ID,
            CONF_CLIENT_SECRET,
            CONF_POD,
            CONF_ACCOUNT_NUMBER,
            CONF_COMPANY_CODE,
        }
    ),
)
