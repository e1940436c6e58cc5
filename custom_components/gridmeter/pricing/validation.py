"""Checks of price sets, answered with machine-readable error keys.

Every problem is a `PriceSetError`: the form field it concerns (the keys of
`serial.price_set_to_dict`, so a form built on them can show
``errors={error.field: error.key}``; ``base`` for the whole form) and a
`PriceErrorKey` the integration translates.

Bounds (inclusive): energy and compensation prices 0-5 €/kWh, power-term
prices 0-1000 €/kW/year, taxes 0-100 %. The highest real prices are far
below (Spain's PVPC peaked near 0.75 €/kWh in 2022, French Tempo red HP is
under 1 €/kWh, 2.0TD power terms are about 30 €/kW/year): a figure above is
a typing slip (€/MWh entered as €/kWh, cents as euros).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
import math
from typing import Final

from .plans import PLAN_RULES, PriceSet, SupplyTariff, plan_fits, power_periods

MAX_ENERGY_PRICE: Final = 5.0
"""€/kWh, for energy and compensation prices."""
MAX_POWER_PRICE: Final = 1000.0
"""€/kW/year."""
MAX_TAX_PERCENT: Final = 100.0

FIELD_BASE: Final = "base"
FIELD_PLAN: Final = "plan"
FIELD_VALID_FROM: Final = "valid_from"
FIELD_TAX: Final = "tax_percent"
FIELD_COMPENSATION: Final = "compensation"
ENERGY_PREFIX: Final = "energy_"
POWER_PREFIX: Final = "power_"


def energy_field(period: str) -> str:
    """Return the field of an energy price: ``energy_p1``, ``energy_red_hp`` …."""
    return f"{ENERGY_PREFIX}{period}"


def power_field(period: str) -> str:
    """Return the field of a power-term price: ``power_p1``, ``power_base``."""
    return f"{POWER_PREFIX}{period}"


class PriceErrorKey(StrEnum):
    """Why a price set or a price book is refused (translation keys)."""

    INVALID_DATA = "invalid_data"
    """The stored prices cannot be read."""
    UNKNOWN_PLAN = "unknown_plan"
    """This price plan does not exist."""
    PLAN_NOT_FOR_TARIFF = "plan_not_for_tariff"
    """This price plan does not fit the supply's country or tariff."""
    UNKNOWN_FIELD = "unknown_field"
    """This price does not belong to the plan."""
    DATE_INVALID = "date_invalid"
    """Not a valid date."""
    DATE_OVERLAP = "date_overlap"
    """Another set of prices starts on the same date."""
    PRICE_MISSING = "price_missing"
    """The plan needs this price."""
    NOT_A_NUMBER = "not_a_number"
    """Not a finite number."""
    PRICE_NEGATIVE = "price_negative"
    """A price cannot be negative."""
    PRICE_TOO_HIGH = "price_too_high"
    """The price is absurdly high (above 5 €/kWh or 1000 €/kW/year)."""
    TAX_OUT_OF_RANGE = "tax_out_of_range"
    """Taxes must be between 0 and 100 %."""


@dataclass(frozen=True, slots=True)
class PriceSetError:
    """One problem: the field it concerns and its key.

    `index` is the position of the set in the book checked (None when a
    single set was checked).
    """

    field: str
    key: PriceErrorKey
    index: int | None = None


def is_number(value: object) -> bool:
    """Tell whether `value` is a finite int or float (bool is not a number)."""
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
    )


def _price_error(value: object, maximum: float) -> PriceErrorKey | None:
    if not is_number(value):
        return PriceErrorKey.NOT_A_NUMBER
    assert isinstance(value, int | float)
    if value < 0:
        return PriceErrorKey.PRICE_NEGATIVE
    if value > maximum:
        return PriceErrorKey.PRICE_TOO_HIGH
    return None


def _check_prices(
    prices: Mapping[str, object],
    periods: Sequence[str],
    name: str,
    maximum: float,
    *,
    required: bool,
) -> list[PriceSetError]:
    errors: list[PriceSetError] = []
    for period, value in prices.items():
        field = f"{name}{period}"
        if period not in periods:
            errors.append(PriceSetError(field, PriceErrorKey.UNKNOWN_FIELD))
        elif (key := _price_error(value, maximum)) is not None:
            errors.append(PriceSetError(field, key))
    if required:
        errors.extend(
            PriceSetError(f"{name}{period}", PriceErrorKey.PRICE_MISSING)
            for period in periods
            if period not in prices
        )
    return errors


def check_price_set(
    price_set: PriceSet, supply: SupplyTariff | None = None
) -> tuple[PriceSetError, ...]:
    """Return every problem of one price set (empty when it is valid).

    With a `supply`, the plan must also fit it (`plans.plan_fits`).
    """
    errors: list[PriceSetError] = []
    if supply is not None and not plan_fits(price_set.plan, supply):
        errors.append(PriceSetError(FIELD_PLAN, PriceErrorKey.PLAN_NOT_FOR_TARIFF))
    errors += _check_prices(
        price_set.energy,
        PLAN_RULES[price_set.plan].energy_periods,
        ENERGY_PREFIX,
        MAX_ENERGY_PRICE,
        required=True,
    )
    errors += _check_prices(
        price_set.power,
        power_periods(price_set.plan),
        POWER_PREFIX,
        MAX_POWER_PRICE,
        required=False,
    )
    tax = price_set.tax_percent
    if not is_number(tax):
        errors.append(PriceSetError(FIELD_TAX, PriceErrorKey.NOT_A_NUMBER))
    elif not 0 <= tax <= MAX_TAX_PERCENT:
        errors.append(PriceSetError(FIELD_TAX, PriceErrorKey.TAX_OUT_OF_RANGE))
    if price_set.compensation is not None and (
        key := _price_error(price_set.compensation, MAX_ENERGY_PRICE)
    ):
        errors.append(PriceSetError(FIELD_COMPENSATION, key))
    return tuple(errors)


def check_price_sets(
    sets: Sequence[PriceSet], supply: SupplyTariff | None = None
) -> tuple[PriceSetError, ...]:
    """Return every problem of a list of sets, each error with its set's index.

    Besides each set's own problems, a set starting on the date of an
    earlier one in the list is ``date_overlap``. To check a set a user adds,
    check the book's sets followed by the new one and keep the errors of the
    last index.
    """
    errors: list[PriceSetError] = []
    seen: set[object] = set()
    for index, price_set in enumerate(sets):
        errors.extend(
            PriceSetError(error.field, error.key, index)
            for error in check_price_set(price_set, supply)
        )
        if price_set.valid_from in seen:
            errors.append(
                PriceSetError(FIELD_VALID_FROM, PriceErrorKey.DATE_OVERLAP, index)
            )
        seen.add(price_set.valid_from)
    return tuple(errors)
