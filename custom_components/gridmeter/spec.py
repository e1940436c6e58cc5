"""What a metering data hub brings to GridMeter: one spec per hub.

A spec says how to build the hub's coordinator, which config-flow and
options steps it has, what it withdraws when an entry is removed, which extra
coordinators and webhooks it runs, what diagnostics must redact, and what its
supply points can do (capabilities). The integration only ever looks a spec
up (`hubs.spec_for`); entity descriptions test capabilities, never a hub's
name. A new hub is one client package under `providers/`, one package under
`hubs/` with its spec, coordinator and flow steps, and its translations.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Final

from homeassistant.core import CALLBACK_TYPE, HomeAssistant
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator

from .pricing import Country

if TYPE_CHECKING:
    from homeassistant.components.repairs import RepairsFlow

    from .coordinator import GridMeterConfigEntry, GridMeterCoordinator
    from .flow_helpers import HubConfigFlow, HubOptionsFlow


class Capability(StrEnum):
    """What the supply points of a hub can show."""

    TARIFF_SPLIT = "tariff_split"
    """Energy split by tariff period (P1-P3, HP/HC, F1-F3)."""
    RETURN = "return"
    """Energy fed into the grid (surplus, injection) where the home has it."""
    MAX_POWER = "max_power"
    """Maximum power demand (monthly or daily peaks)."""
    CONTRACTED_POWER = "contracted_power"
    """Contracted power in kW by power period (Spain)."""
    SUBSCRIBED_POWER = "subscribed_power"
    """Subscribed power in kVA (France)."""
    TARIFF_OPTION = "tariff_option"
    """The contract's pricing option (France: Base, HP/HC, Tempo)."""
    OFF_PEAK_HOURS = "off_peak_hours"
    """Off-peak hours from the contract."""
    CONSENT = "consent"
    """A data-sharing consent with an end date."""
    REALTIME = "realtime"
    """The load right now."""
    GREEN_WINDOWS = "green_windows"
    """The hub itself tells green windows."""
    GRID_SIGNAL = "grid_signal"
    """Green windows from the supply's national grid (Red Eléctrica, RTE)."""
    NEIGHBOUR_FIGURE = "neighbour_figure"
    """Average consumption of homes of the same postal code."""
    APPLIANCES = "appliances"
    """Consumption analytics: appliances, similar homes, habits, savings."""


REALTIME: Final = "realtime"
"""The extra coordinator (of `LivePower`) of a hub with `Capability.REALTIME`."""

type ExtraCoordinators = Callable[
    [HomeAssistant, "GridMeterConfigEntry", "GridMeterCoordinator[Any]"],
    Awaitable[Mapping[str, DataUpdateCoordinator[Any]]],
]
"""Build (and refresh once) the hub's extra coordinators, by name."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Withdrawal:
    """What a hub keeps of an account, withdrawn when the entry is removed.

    `run` returns True when it is gone; `done` and `failed` are the keys of
    the notifications that say so.
    """

    run: Callable[[HomeAssistant, GridMeterConfigEntry], Awaitable[bool]]
    done: str
    failed: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ProviderSpec:
    """Everything the integration needs to know about one hub."""

    key: str
    """The entry's `provider` value and the first config-flow step's id."""
    name: str
    """The hub's name (the device's manufacturer when the distributor is unknown)."""
    capabilities: frozenset[Capability]
    coordinator: type[GridMeterCoordinator[Any]]
    """Built with (hass, entry, spec)."""
    config_flow: type[HubConfigFlow]
    options_flow: type[HubOptionsFlow] | None = None
    extra_coordinators: ExtraCoordinators | None = None
    webhook: Callable[[HomeAssistant, GridMeterConfigEntry], CALLBACK_TYPE] | None = (
        None
    )
    """Register the hub's webhook; returns the unregister callback."""
    withdrawal: Withdrawal | None = None
    repair_flow: (
        Callable[[HomeAssistant, GridMeterConfigEntry, str], RepairsFlow] | None
    ) = None
    """The fix flow of the hub's fixable issues (issue id given)."""
    country: Country | None = None
    """The country of its supplies: which price plans fit them (None: none)."""
    redact: frozenset[str] = field(default_factory=frozenset)
    """Entry and state keys diagnostics must redact (secrets, identifiers)."""
