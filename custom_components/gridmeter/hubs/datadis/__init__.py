"""Datadis (Spain): the spec of the hub."""

from __future__ import annotations

from ...const import CONF_AUTHORIZED_NIF, GREEN_SECRETS, PROVIDER_DATADIS
from ...pricing import Country
from ...spec import Capability, ProviderSpec
from .coordinator import DatadisCoordinator
from .flow import DatadisConfigFlow, DatadisOptionsFlow

SPEC = ProviderSpec(
    key=PROVIDER_DATADIS,
    name="Datadis",
    country=Country.SPAIN,
    capabilities=frozenset(
        {
            Capability.TARIFF_SPLIT,
            Capability.RETURN,
            Capability.MAX_POWER,
            Capability.GRID_SIGNAL,
            Capability.CONTRACTED_POWER,
            Capability.NEIGHBOUR_FIGURE,
        }
    ),
    coordinator=DatadisCoordinator,
    config_flow=DatadisConfigFlow,
    options_flow=DatadisOptionsFlow,
    redact=frozenset({CONF_AUTHORIZED_NIF, "cups", "area"}) | GREEN_SECRETS,
)
