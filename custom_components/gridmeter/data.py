"""What a coordinator shares with its entities."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from .grid_systems import GridSignal
from .pricing import Plan
from .providers.models import (
    AreaAverage,
    Contract,
    EnergyKind,
    GreenWindow,
    MeterPoint,
    PowerPeak,
)
from .spec import Capability
from .tariffs import TariffCalendar


class ConnectionStatus(StrEnum):
    """How a supply point's data connection stands (after the seed's statuses)."""

    CONNECTED = "connected"
    WAITING_FOR_DATA = "waiting_for_data"
    NO_SUPPLIES = "no_supplies"
    DISCONNECTED = "disconnected"


@dataclass(frozen=True, slots=True, kw_only=True)
class EnergyTotals:
    """Energy of one register over the periods the sensors show (kWh)."""

    yesterday: float | None = None
    this_month: float | None = None
    last_month: float | None = None
    latest_day: float | None = None
    """The newest complete local day (data arrives days late)."""
    latest_day_date: date | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Insights:
    """Consumption analytics some providers compute (Digiwatt)."""

    period: str
    """The period the appliance and total figures cover (e.g. this-month)."""
    appliances: Mapping[str, float] = field(default_factory=dict)
    """Energy (kWh) by appliance over `period`."""
    appliance_shares: Mapping[str, float] = field(default_factory=dict)
    """Share of the total (0-1) by appliance over `period`."""
    total_kwh: float | None = None
    previous_kwh: float | None = None
    change_ratio: float | None = None
    similar_min_kwh: float | None = None
    similar_max_kwh: float | None = None
    you_kwh: float | None = None
    habits: Mapping[str, float] = field(default_factory=dict)
    """Share of energy (0-1) by time of day and day type."""
    saving_kwh: float | None = None
    saving_euro: float | None = None
    energy_30d_kwh: float | None = None
    cost_30d_euro: float | None = None
    bands_12m_kwh: Mapping[str, float] = field(default_factory=dict)
    """Energy (kWh) of the last 12 months by tariff band (f1, f2, f3)."""


@dataclass(slots=True, kw_only=True)
class MeterData:
    """Everything the entities of one supply point show."""

    point: MeterPoint
    capabilities: frozenset[Capability] = frozenset()
    """What this supply point can show (from its hub's spec)."""
    contract: Contract | None = None
    model: str | None = None
    """The supply in plain words for its device: the access tariff (2.0TD)
    or the pricing option ("Heures creuses"); never a code."""
    kinds: frozenset[EnergyKind] = frozenset()
    energy: dict[EnergyKind, EnergyTotals] = field(default_factory=dict)
    priced: bool = False
    """The supply has prices (money statistics and cost sensors)."""
    money: dict[str, EnergyTotals] = field(default_factory=dict)
    """€ of the money series (``cost``, ``compensation``) over the same periods."""
    plans: frozenset[Plan] = frozenset()
    """The plans of the supply's price sets (a Tempo set: the colour sensors)."""
    latest_data: datetime | None = None
    """End of the newest hour with data."""
    last_peak: PowerPeak | None = None
    year_peak: PowerPeak | None = None
    """Highest peak of the last 12 months."""
    peak_months: int = 0
    """How many of the last 12 months have peak data (to judge the contract)."""
    area_average: AreaAverage | None = None
    status: ConnectionStatus = ConnectionStatus.WAITING_FOR_DATA
    calendar: TariffCalendar | None = None
    """Tariff-period calendar of the supply (P1-P3, HP/HC, F1-F3), if any."""
    consent_expires: datetime | None = None
    """When the data-sharing consent ends (providers that need one)."""
    green_windows: tuple[GreenWindow, ...] | None = None
    """Green windows (None: the supply has no source of them)."""
    grid: GridSignal | None = None
    """The supply's national grid signal (hourly shares, carbon), if followed."""
    insights: Insights | None = None


@dataclass(slots=True, kw_only=True)
class GridMeterData:
    """What the coordinator hands to entities."""

    meters: dict[str, MeterData] = field(default_factory=dict)
    account_status: ConnectionStatus = ConnectionStatus.WAITING_FOR_DATA
    last_sync: datetime | None = None
    next_sync: datetime | None = None
