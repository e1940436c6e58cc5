"""What the Tempo client returns: the known colours of a range of days."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from ..signals import TempoColour, TempoDay


@dataclass(frozen=True, slots=True)
class TempoCalendar:
    """Known Tempo colours, oldest first, one per day.

    A day that is absent is not known (not published yet, published without
    a colour, or flagged as RTE's fallback value): its colour is never
    guessed. ``skipped`` counts the entries of the answers that could not be
    read.
    """

    days: tuple[TempoDay, ...]
    skipped: int = 0
    _by_day: dict[date, TempoColour] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        """Index the days for :meth:`colour_of`."""
        self._by_day.update((item.day, item.colour) for item in self.days)

    def colour_of(self, day: date) -> TempoColour | None:
        """Colour of the Tempo day ``day``, None when not known."""
        return self._by_day.get(day)
