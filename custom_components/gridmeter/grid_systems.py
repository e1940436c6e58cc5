"""Which national (or island) grid a supply is on: pure, no Home Assistant.

Spain has five separate electric systems (Red Eléctrica): a supply's follows
from its province code, or the first two digits of its postal code (35/38
Canary Islands, 07 Balearic Islands, 51 Ceuta, 52 Melilla, any other
province the peninsula). France is one grid (RTE). The key names the shared
grid-signal source every supply of that grid reads (``grid:es_canarias``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final

from .green_rule import GreenOptions, GridShares, green_windows
from .pricing import Country
from .providers.esios import SYSTEM_TIME_ZONES, ElectricSystem, electric_system_for
from .providers.models import GreenWindow
from .providers.signals import GridStress


class GridSystem(StrEnum):
    """A grid whose renewable share GridMeter follows."""

    ES_PENINSULAR = "es_peninsular"
    ES_CANARIAS = "es_canarias"
    ES_BALEARES = "es_baleares"
    ES_CEUTA = "es_ceuta"
    ES_MELILLA = "es_melilla"
    FR = "fr"

    @property
    def key(self) -> str:
        """The shared-source key of the grid."""
        return f"grid:{self.value}"

    @property
    def country(self) -> Country:
        """The grid's country."""
        return Country.FRANCE if self is GridSystem.FR else Country.SPAIN

    @property
    def electric_system(self) -> ElectricSystem | None:
        """Red Eléctrica's system (None for France)."""
        return _ELECTRIC.get(self)

    @property
    def timezone(self) -> str:
        """The grid's local civil time (estimates go by its clock hours)."""
        if (system := self.electric_system) is not None:
            return SYSTEM_TIME_ZONES[system].key
        return PARIS


PARIS: Final = "Europe/Paris"
_ELECTRIC: Final[dict[GridSystem, ElectricSystem]] = {
    GridSystem.ES_PENINSULAR: ElectricSystem.PENINSULAR,
    GridSystem.ES_CANARIAS: ElectricSystem.CANARIAS,
    GridSystem.ES_BALEARES: ElectricSystem.BALEARES,
    GridSystem.ES_CEUTA: ElectricSystem.CEUTA,
    GridSystem.ES_MELILLA: ElectricSystem.MELILLA,
}
_BY_ELECTRIC: Final = {system: grid for grid, system in _ELECTRIC.items()}


def grid_system_for(
    country: Country | None, province_code: str | None, postal_code: str | None
) -> GridSystem | None:
    """Return the grid of a supply, or None when it cannot be told.

    Spanish supplies by province code (the hub's field, preferred) or postal
    code; every French supply is on RTE's grid; other countries have none.
    """
    if country is Country.FRANCE:
        return GridSystem.FR
    if country is not Country.SPAIN:
        return None
    try:
        return _BY_ELECTRIC[electric_system_for(province_code, postal_code)]
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class GridSignal:
    """What one grid's source knows: hourly shares and grid-stress periods.

    One instance serves every supply of the grid; `forecasts` says whether an
    operator forecast is configured (else the coming hours are estimates).
    """

    system: GridSystem
    shares: GridShares
    stress: tuple[GridStress, ...] = ()
    forecasts: bool = False

    @property
    def has_data(self) -> bool:
        """Whether any measured hour is known (no data: no entities yet)."""
        return bool(self.shares.measured)

    @property
    def has_carbon(self) -> bool:
        """Whether the grid publishes its carbon intensity (France)."""
        return bool(self.shares.carbon)

    def windows(
        self, now: datetime, options: GreenOptions | None = None
    ) -> tuple[GreenWindow, ...]:
        """Return the green windows of the horizon from `now` (`green_rule`)."""
        return green_windows(self.shares, now, options, self.stress)
