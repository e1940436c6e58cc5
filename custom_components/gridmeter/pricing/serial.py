"""Price sets to and from JSON-safe dicts (config subentries, options, forms).

A set is one flat dict whose keys are the form fields::

    {
        "plan": "es_20td",
        "valid_from": "2025-06-01",
        "tax_percent": 26.8,
        "energy_p1": 0.19,
        "energy_p2": 0.12,
        "energy_p3": 0.08,
        "compensation": 0.05,
        "power_p1": 26.93,
        "power_p2": 0.84,
    }

Optional fields (`tax_percent`, `compensation`, `power_*`) may be absent or
None. Reading never raises: garbage gives error keys.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime

from .book import PriceBook
from .plans import Plan, PriceSet, SupplyTariff
from .validation import (
    ENERGY_PREFIX,
    FIELD_BASE,
    FIELD_COMPENSATION,
    FIELD_PLAN,
    FIELD_TAX,
    FIELD_VALID_FROM,
    POWER_PREFIX,
    PriceErrorKey,
    PriceSetError,
    check_price_set,
    check_price_sets,
    energy_field,
    is_number,
    power_field,
)

type JsonPriceSet = dict[str, str | float]


def price_set_to_dict(price_set: PriceSet) -> JsonPriceSet:
    """Return the JSON-safe dict of a set (`parse_price_set` reads it back)."""
    data: JsonPriceSet = {
        FIELD_PLAN: price_set.plan.value,
        FIELD_VALID_FROM: price_set.valid_from.isoformat(),
        FIELD_TAX: price_set.tax_percent,
    }
    if price_set.compensation is not None:
        data[FIELD_COMPENSATION] = price_set.compensation
    data.update({energy_field(p): v for p, v in price_set.energy.items()})
    data.update({power_field(p): v for p, v in price_set.power.items()})
    return data


def price_book_to_list(book: PriceBook) -> list[JsonPriceSet]:
    """Return the JSON-safe list of a book's sets, oldest first."""
    return [price_set_to_dict(s) for s in book.sets]


def _parse_date(value: object) -> date | None:
    if isinstance(value, datetime):
        return None
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _parse_plan(value: object) -> Plan | None:
    try:
        return Plan(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _first_per_field(errors: Sequence[PriceSetError]) -> tuple[PriceSetError, ...]:
    """Keep one error per field (the first): a form shows one per field."""
    kept: dict[str, PriceSetError] = {}
    for error in errors:
        kept.setdefault(error.field, error)
    return tuple(kept.values())


def parse_price_set(
    data: object, supply: SupplyTariff | None = None
) -> PriceSet | tuple[PriceSetError, ...]:
    """Read and check one set; return it, or its errors (one per field).

    With a `supply`, the plan must also fit it. Unknown fields are errors
    (``unknown_field``), so a slip never silently drops a price.
    """
    if not isinstance(data, Mapping):
        return (PriceSetError(FIELD_BASE, PriceErrorKey.INVALID_DATA),)
    errors: list[PriceSetError] = []
    plan = _parse_plan(data.get(FIELD_PLAN))
    if plan is None:
        errors.append(PriceSetError(FIELD_PLAN, PriceErrorKey.UNKNOWN_PLAN))
    valid_from = _parse_date(data.get(FIELD_VALID_FROM))
    if valid_from is None:
        errors.append(PriceSetError(FIELD_VALID_FROM, PriceErrorKey.DATE_INVALID))
    numbers: dict[str, float] = {}
    for key, value in data.items():
        if not isinstance(key, str):
            errors.append(PriceSetError(FIELD_BASE, PriceErrorKey.INVALID_DATA))
        elif key in (FIELD_PLAN, FIELD_VALID_FROM) or value is None:
            continue
        elif key not in (FIELD_TAX, FIELD_COMPENSATION) and not key.startswith(
            (ENERGY_PREFIX, POWER_PREFIX)
        ):
            errors.append(PriceSetError(key, PriceErrorKey.UNKNOWN_FIELD))
        elif not is_number(value):
            errors.append(PriceSetError(key, PriceErrorKey.NOT_A_NUMBER))
        else:
            assert isinstance(value, int | float)
            numbers[key] = float(value)
    if plan is None or valid_from is None:
        return _first_per_field(errors)
    price_set = PriceSet(
        plan=plan,
        valid_from=valid_from,
        energy={
            k.removeprefix(ENERGY_PREFIX): v
            for k, v in numbers.items()
            if k.startswith(ENERGY_PREFIX)
        },
        tax_percent=numbers.get(FIELD_TAX, 0.0),
        compensation=numbers.get(FIELD_COMPENSATION),
        power={
            k.removeprefix(POWER_PREFIX): v
            for k, v in numbers.items()
            if k.startswith(POWER_PREFIX)
        },
    )
    errors += check_price_set(price_set, supply)
    return _first_per_field(errors) if errors else price_set


def parse_price_book(
    data: object, supply: SupplyTariff | None = None
) -> PriceBook | tuple[PriceSetError, ...]:
    """Read and check a list of sets; return the book, or the errors.

    Each error carries the index of its set in `data`.
    """
    if isinstance(data, str | bytes) or not isinstance(data, Sequence):
        return (PriceSetError(FIELD_BASE, PriceErrorKey.INVALID_DATA),)
    errors: list[PriceSetError] = []
    parsed: list[tuple[int, PriceSet]] = []
    for index, item in enumerate(data):
        result = parse_price_set(item, supply)
        if isinstance(result, PriceSet):
            parsed.append((index, result))
        else:
            errors.extend(PriceSetError(e.field, e.key, index) for e in result)
    # The parsed sets passed their own checks: only overlaps are left.
    for error in check_price_sets([s for _, s in parsed]):
        assert error.index is not None
        errors.append(PriceSetError(error.field, error.key, parsed[error.index][0]))
    if errors:
        return tuple(errors)
    return PriceBook(tuple(s for _, s in parsed))
