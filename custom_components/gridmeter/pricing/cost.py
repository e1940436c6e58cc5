"""Money from energy: hourly cost and compensation rows, prices now, savings.

Pure functions over plain mappings (no I/O): the integration may run them
in an executor. See the package docstring for the rules.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
import math
from types import MappingProxyType
from typing import Final
from zoneinfo import ZoneInfo

from ..providers.signals import TempoColour
from ..providers.tempo import tempo_day_of
from ..tariffs import TariffCalendar
from .book import PriceBook
from .plans import (
    PLAN_RULES,
    SINGLE_PERIOD,
    Plan,
    PriceSet,
    SupplyTariff,
    power_periods,
)

PARIS: Final = ZoneInfo("Europe/Paris")
TEMPO_DAY_START: Final = 6
"""A Tempo day starts at 06:00 Paris time and ends at 06:00 the next day."""
TEMPO_HC_START: Final = 22
"""Tempo off-peak hours run 22:00 → 06:00 Paris time, every day."""
_MICRO: Final = 1_000_000
_NOTHING: Final[Mapping[datetime, float]] = MappingProxyType({})
_NO_PRICES: Final[Mapping[str, float]] = MappingProxyType({})
_NO_DAYS: Final[Mapping[date, TempoColour]] = MappingProxyType({})

MONEY_OF: Final[Mapping[str, str]] = MappingProxyType(
    {"consumption": "cost", "return": "compensation"}
)
"""The money series of each energy register that is priced."""

type Series = Mapping[str, Mapping[datetime, float]]
"""Hourly values by series key (``consumption``, ``cost_p1`` …), by UTC hour."""


def money_series(energy_series: str) -> str | None:
    """Return the money series of an energy series, None if it is not priced.

    ``consumption`` → ``cost``, ``consumption_p1`` → ``cost_p1``,
    ``return_hc`` → ``compensation_hc``; ``generation`` → None.
    """
    kind, separator, period = energy_series.partition("_")
    money = MONEY_OF.get(kind)
    if money is None:
        return None
    return f"{money}{separator}{period}"


class MissingPrice(StrEnum):
    """Why an hour has no money row (yet)."""

    NO_PRICE = "no_price"
    """No price set is in force at the hour (it is before the first set),
    or the set in force does not price it (a plan that does not fit the
    tariff, a set without a compensation price)."""
    PVPC = "pvpc"
    """The hour's PVPC price is not known (yet)."""
    TEMPO = "tempo"
    """The colour of the hour's Tempo day is not known (yet)."""


@dataclass(frozen=True, slots=True)
class MoneyRows:
    """Hourly money (€) by series key, and the hours left out for now."""

    rows: dict[str, dict[datetime, float]]
    """``cost``, ``cost_<period>``, ``compensation``, ``compensation_<period>``
    → UTC hour → €, rounded to 0.000001 €. A series with no hour is absent."""
    missing: dict[datetime, MissingPrice]
    """Hours with energy but no row, and why (the cost's reason first)."""


def tempo_colour_at(
    days: Mapping[date, TempoColour], instant: datetime
) -> TempoColour | None:
    """Return the Tempo colour in force at an instant (None: not known yet)."""
    return days.get(tempo_day_of(instant))


def tempo_period(instant: datetime, colour: TempoColour) -> str:
    """Return the Tempo price period of an instant: ``blue_hc``, ``red_hp`` …."""
    hour = instant.astimezone(PARIS).hour
    off_peak = hour >= TEMPO_HC_START or hour < TEMPO_DAY_START
    return f"{colour.value}_{'hc' if off_peak else 'hp'}"


@dataclass(frozen=True, slots=True)
class _UnitPrice:
    """The price in force at an instant, before the period is known."""

    instant: datetime
    factor: float
    flat: float | None = None
    """The price whatever the period (single, PVPC, Tempo, compensation)."""
    by_period: Mapping[str, float] = _NO_PRICES
    calendar: TariffCalendar | None = None

    def for_period(self, period: str | None) -> float | None:
        """Return the price of a period; None: the calendar's, at the instant."""
        if self.flat is not None:
            return self.flat
        if period is None:
            if self.calendar is None:
                return None
            period = self.calendar.period_at(self.instant)
        return self.by_period.get(period)


type _PriceAt = Callable[[datetime], _UnitPrice | MissingPrice]


@dataclass(frozen=True, slots=True)
class _Pricer:
    """Looks up the price of any instant for one supply."""

    supply: SupplyTariff
    book: PriceBook
    pvpc: Mapping[datetime, float]
    tempo: Mapping[date, TempoColour]

    def _set_at(self, instant: datetime) -> PriceSet | None:
        return self.book.set_on(instant.astimezone(self.supply.zone).date())

    def energy_at(self, instant: datetime) -> _UnitPrice | MissingPrice:
        """Return the energy price in force at an instant."""
        price_set = self._set_at(instant)
        if price_set is None:
            return MissingPrice.NO_PRICE
        factor = price_set.tax_factor
        if price_set.plan is Plan.ES_PVPC:
            pvpc = self.pvpc.get(_hour_start(instant))
            if pvpc is None:
                return MissingPrice.PVPC
            return _UnitPrice(instant, factor, flat=pvpc)
        if price_set.plan is Plan.FR_TEMPO:
            colour = tempo_colour_at(self.tempo, instant)
            if colour is None:
                return MissingPrice.TEMPO
            # A book's sets have every price of their plan (`PriceBook`).
            flat = price_set.energy[tempo_period(instant, colour)]
        elif PLAN_RULES[price_set.plan].priced_by_calendar:
            return _UnitPrice(
                instant,
                factor,
                by_period=price_set.energy,
                calendar=self.supply.calendar,
            )
        else:
            flat = price_set.energy[SINGLE_PERIOD]
        return _UnitPrice(instant, factor, flat)

    def compensation_at(self, instant: datetime) -> _UnitPrice | MissingPrice:
        """Return the compensation price in force at an instant (untaxed)."""
        price_set = self._set_at(instant)
        if price_set is None or price_set.compensation is None:
            return MissingPrice.NO_PRICE
        return _UnitPrice(instant, 1.0, flat=price_set.compensation)


def _hour_start(instant: datetime) -> datetime:
    return instant.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def _micro(kwh: float, price: float, factor: float) -> int:
    """Return kWh × price × factor in whole micro-euros.

    Rounded as ``round(value, 6)`` rounds (the nearest micro-euro of the
    product); scaling before rounding would turn a product just above a
    half micro-euro into an exact half and round it the other way.
    """
    return round(round(kwh * price * factor, 6) * _MICRO)


def _hour_micros(
    price: _UnitPrice,
    hour: datetime,
    base: Mapping[datetime, float],
    periods: Mapping[str, Mapping[datetime, float]],
) -> dict[str | None, int] | None:
    """Return an hour's micro-euros by period (key None: the hour as a whole).

    An hour present in some period series is priced period by period (an
    absent period holds 0 kWh); otherwise the register's total is priced at
    the calendar's period of the hour. None when a price is missing.
    """
    if any(hour in series for series in periods.values()):
        parts: dict[str | None, int] = {}
        for period, series in periods.items():
            unit = price.for_period(period)
            if unit is None:
                return None
            parts[period] = _micro(series.get(hour, 0.0), unit, price.factor)
        return parts
    unit = price.for_period(None)
    return None if unit is None else {None: _micro(base[hour], unit, price.factor)}


def _price_register(
    energy: Series, source: str, price_at: _PriceAt, result: MoneyRows
) -> None:
    """Add the money rows of one register (consumption or return)."""
    target = MONEY_OF[source]
    prefix = f"{source}_"
    periods = {
        name.removeprefix(prefix): series
        for name, series in energy.items()
        if name.startswith(prefix)
    }
    base = energy.get(source, _NOTHING)
    totals: dict[datetime, float] = {}
    by_period: dict[str, dict[datetime, float]] = {p: {} for p in periods}
    for hour in sorted(set(base).union(*periods.values())):
        price = price_at(hour)
        parts = (
            None
            if isinstance(price, MissingPrice)
            else _hour_micros(price, hour, base, periods)
        )
        if parts is None:
            reason = price if isinstance(price, MissingPrice) else MissingPrice.NO_PRICE
            result.missing.setdefault(hour, reason)
            continue
        # The total is the exact sum of the rounded parts: cost == Σ periods.
        totals[hour] = sum(parts.values()) / _MICRO
        for period, micro in parts.items():
            # A period gets a row where its energy series has one (as sparse
            # as the energy it prices: half the rows of a dense series).
            if period is not None and hour in periods[period]:
                by_period[period][hour] = micro / _MICRO
    if totals:
        result.rows[target] = totals
    for period, rows in by_period.items():
        if rows:
            result.rows[f"{target}_{period}"] = rows


def money_rows(
    energy: Series,
    supply: SupplyTariff,
    book: PriceBook,
    *,
    pvpc: Mapping[datetime, float] = _NOTHING,
    tempo: Mapping[date, TempoColour] = _NO_DAYS,
) -> MoneyRows:
    """Turn hourly kWh into hourly money rows.

    `energy` maps series keys (``consumption``, ``consumption_<period>``,
    ``return``, ``return_<period>``; others are ignored) to kWh by UTC hour
    start (finite values, as the statistics writer keeps them). `pvpc` is
    the PVPC price €/kWh by UTC hour, `tempo` the colour of each Tempo day.
    Compensation rows are made only when some set of the book prices it.
    """
    pricer = _Pricer(supply, book, pvpc, tempo)
    result = MoneyRows({}, {})
    _price_register(energy, "consumption", pricer.energy_at, result)
    if book.prices_compensation:
        _price_register(energy, "return", pricer.compensation_at, result)
    return result


def first_change(old: Series, new: Series) -> datetime | None:
    """Return the first hour whose row differs between two sets of rows.

    A row present on one side only differs; values are compared exactly
    (rows are whole micro-euros). None when nothing changed.
    """
    first: datetime | None = None
    for name in old.keys() | new.keys():
        before = old.get(name, _NOTHING)
        after = new.get(name, _NOTHING)
        for hour in before.keys() | after.keys():
            if (first is None or hour < first) and before.get(hour) != after.get(hour):
                first = hour
    return first


def current_price(
    supply: SupplyTariff,
    book: PriceBook,
    instant: datetime,
    *,
    pvpc: Mapping[datetime, float] = _NOTHING,
    tempo: Mapping[date, TempoColour] = _NO_DAYS,
) -> float | None:
    """Return the energy price in force at an aware instant, taxes included.

    €/kWh rounded to 0.000001; None when it is not known (no set yet, PVPC
    or Tempo colour not published, no calendar for a plan priced by period).
    The period is the calendar's at the instant itself (an off-peak range
    may start at 01:28).
    """
    price = _Pricer(supply, book, pvpc, tempo).energy_at(instant)
    if isinstance(price, MissingPrice):
        return None
    unit = price.for_period(None)
    return None if unit is None else round(unit * price.factor, 6)


def power_saving(
    price_set: PriceSet,
    current_kw: Sequence[float],
    suggested_kw: float | Sequence[float],
) -> float | None:
    """Return the yearly saving (€, taxes included) of a contracted power.

    Σ over power periods (current − suggested kW) × the period's €/kW/year,
    × (1 + tax / 100), rounded to the cent; negative when the suggestion
    costs more. `current_kw` is by power period in order (as
    `Contract.contracted_power_kw`); a single `suggested_kw` applies to
    every period. Periods without a price or a power are left out; None
    when none is left (no power-term price entered).
    """
    suggested = (
        [float(suggested_kw)] * len(current_kw)
        if isinstance(suggested_kw, int | float)
        else list(suggested_kw)
    )
    terms = [
        (current - wanted) * price_set.power[period]
        for period, current, wanted in zip(
            power_periods(price_set.plan), current_kw, suggested, strict=False
        )
        if period in price_set.power
    ]
    if not terms:
        return None
    return round(math.fsum(terms) * price_set.tax_factor, 2)
