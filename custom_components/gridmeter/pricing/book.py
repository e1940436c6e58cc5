"""A supply's price book: its price sets in date order."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date

from .plans import PriceSet
from .validation import PriceSetError, check_price_sets


class InvalidPriceBook(ValueError):
    """The price sets given to a `PriceBook` do not pass `check_price_sets`."""

    def __init__(self, errors: tuple[PriceSetError, ...]) -> None:
        """Keep the errors for the caller."""
        super().__init__(f"invalid price sets: {errors}")
        self.errors = errors


@dataclass(frozen=True, slots=True)
class PriceBook:
    """The dated price sets of one supply, oldest first.

    The set in force at an hour is the latest whose date is on or before the
    hour's local date (the supply's time zone); hours before the first set
    have no price. Building a book checks its sets (not against a supply:
    use `check_price_sets` with the supply for that) and raises
    `InvalidPriceBook` when they do not pass.
    """

    sets: tuple[PriceSet, ...] = ()
    _days: tuple[date, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Sort the sets by date and check them."""
        ordered = tuple(sorted(self.sets, key=lambda s: s.valid_from))
        if errors := check_price_sets(ordered):
            raise InvalidPriceBook(errors)
        object.__setattr__(self, "sets", ordered)
        object.__setattr__(self, "_days", tuple(s.valid_from for s in ordered))

    def set_on(self, day: date) -> PriceSet | None:
        """Return the set in force on the local date `day`, if any."""
        index = bisect_right(self._days, day)
        return self.sets[index - 1] if index else None

    @property
    def prices_compensation(self) -> bool:
        """Tell whether any set prices energy returned to the grid."""
        return any(s.compensation is not None for s in self.sets)
