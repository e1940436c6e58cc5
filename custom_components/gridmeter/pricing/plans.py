"""Price plans, price sets and what a supply tells the price engine.

A plan names how a contract prices energy (one price, a price per tariff
period, PVPC's hourly price, Tempo's six prices). A price set is one dated
set of a plan's prices; a supply's price book (`book.py`) orders its sets.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from types import MappingProxyType
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..tariffs import TariffCalendar


class Country(StrEnum):
    """The country of a supply: it decides which plans fit."""

    SPAIN = "es"
    FRANCE = "fr"
    ITALY = "it"


class Plan(StrEnum):
    """How a contract prices energy."""

    ES_SINGLE = "es_single"
    """Spain: one energy price for every hour."""
    ES_20TD = "es_20td"
    """Spain: a price per 2.0TD period P1 / P2 / P3."""
    ES_PVPC = "es_pvpc"
    """Spain: the regulated hourly PVPC price published by Red Eléctrica."""
    FR_BASE = "fr_base"
    """France: the Base option, one price."""
    FR_HPHC = "fr_hphc"
    """France: peak / off-peak (HP / HC) prices."""
    FR_TEMPO = "fr_tempo"
    """France: Tempo, blue / white / red days × HP / HC."""
    IT_SINGLE = "it_single"
    """Italy: monorario, one price."""
    IT_F123 = "it_f123"
    """Italy: a price per ARERA band F1 / F2 / F3."""


SINGLE_PERIOD: Final = "base"
"""The one energy period of single-price plans (and the power period of
France and Italy)."""

TEMPO_PERIODS: Final = (
    "blue_hp",
    "blue_hc",
    "white_hp",
    "white_hc",
    "red_hp",
    "red_hc",
)


@dataclass(frozen=True, slots=True)
class PlanRule:
    """What a plan needs: its country, its prices and the calendar it fits."""

    country: Country
    energy_periods: tuple[str, ...]
    """The energy prices a set of this plan gives (€/kWh), by period id."""
    calendars: frozenset[str] | None = None
    """Keys of the tariff calendars (`TariffCalendar.key`) the plan needs;
    None: any calendar, or none."""
    priced_by_calendar: bool = False
    """Energy is priced by the calendar's period of each hour."""


_ES_20TD_CALENDARS: Final = frozenset({"es_20td", "es_20td_cym"})

PLAN_RULES: Final[Mapping[Plan, PlanRule]] = MappingProxyType(
    {
        Plan.ES_SINGLE: PlanRule(Country.SPAIN, (SINGLE_PERIOD,)),
        Plan.ES_20TD: PlanRule(
            Country.SPAIN,
            ("p1", "p2", "p3"),
            _ES_20TD_CALENDARS,
            priced_by_calendar=True,
        ),
        Plan.ES_PVPC: PlanRule(Country.SPAIN, (), _ES_20TD_CALENDARS),
        Plan.FR_BASE: PlanRule(Country.FRANCE, (SINGLE_PERIOD,)),
        Plan.FR_HPHC: PlanRule(
            Country.FRANCE,
            ("hp", "hc"),
            frozenset({"fr_hphc"}),
            priced_by_calendar=True,
        ),
        Plan.FR_TEMPO: PlanRule(Country.FRANCE, TEMPO_PERIODS),
        Plan.IT_SINGLE: PlanRule(Country.ITALY, (SINGLE_PERIOD,)),
        Plan.IT_F123: PlanRule(
            Country.ITALY,
            ("f1", "f2", "f3"),
            frozenset({"it_f123"}),
            priced_by_calendar=True,
        ),
    }
)

POWER_PERIODS: Final[Mapping[Country, tuple[str, ...]]] = MappingProxyType(
    {
        Country.SPAIN: ("p1", "p2"),
        Country.FRANCE: (SINGLE_PERIOD,),
        Country.ITALY: (SINGLE_PERIOD,),
    }
)
"""Power-term periods by country, in the order of `Contract.contracted_power_kw`
(Spain's 2.0TD power periods P1 punta-llano and P2 valle; one elsewhere)."""


def power_periods(plan: Plan) -> tuple[str, ...]:
    """Return the power-term periods a set of `plan` may price (€/kW/year)."""
    return POWER_PERIODS[PLAN_RULES[plan].country]


@dataclass(frozen=True, slots=True, kw_only=True)
class SupplyTariff:
    """What the price engine needs to know about a supply.

    `timezone` is the supply's own (Spanish Canary supplies use
    ``Atlantic/Canary``): a price set applies from 00:00 of its date there.
    `calendar` is the supply's tariff calendar (None when it has none, e.g.
    a French Base supply or a Spanish 3.0TD one).
    """

    country: Country
    timezone: str
    calendar: TariffCalendar | None = None
    zone: ZoneInfo = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Resolve the timezone (ValueError for an unknown one)."""
        try:
            zone = ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as err:
            raise ValueError(f"unknown timezone {self.timezone!r}") from err
        object.__setattr__(self, "zone", zone)


def plan_fits(plan: Plan, supply: SupplyTariff) -> bool:
    """Tell whether `plan` can price the supply's energy.

    The plan's country must be the supply's, and plans priced by period (and
    PVPC, which is a 2.0TD price) need the matching calendar: ``es_20td`` and
    ``es_pvpc`` a 2.0TD calendar, ``fr_hphc`` off-peak hours, ``it_f123`` the
    F1-F3 bands.
    """
    rule = PLAN_RULES[plan]
    if rule.country is not supply.country:
        return False
    if rule.calendars is None:
        return True
    return supply.calendar is not None and supply.calendar.key in rule.calendars


@dataclass(frozen=True, slots=True, kw_only=True)
class PriceSet:
    """One dated set of a plan's prices, as the user entered them.

    Prices are before taxes; `tax_percent` is added on top of energy and
    power terms (the user's figure: Spanish IEE + IVA, French TVA, Italian
    IVA; 0 when not given). `compensation` is what a kWh fed into the grid
    earns, as the user receives it (no tax is added to it). Build sets with
    `serial.parse_price_set` or check them with `validation.check_price_set`:
    the constructor itself does not validate.
    """

    plan: Plan
    valid_from: date
    """Local date (the supply's time zone) from whose 00:00 the set applies."""
    energy: Mapping[str, float] = field(default_factory=dict)
    """Energy prices €/kWh by period id (`PlanRule.energy_periods`)."""
    tax_percent: float = 0.0
    compensation: float | None = None
    """€/kWh for energy returned to the grid; None: not priced."""
    power: Mapping[str, float] = field(default_factory=dict)
    """Power-term prices €/kW/year by power period (`power_periods`)."""

    @property
    def tax_factor(self) -> float:
        """Return 1 + tax / 100."""
        return 1.0 + self.tax_percent / 100.0
