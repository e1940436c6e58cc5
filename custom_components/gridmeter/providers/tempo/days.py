"""Tempo calendar arithmetic: seasons, the 06:00 day boundary, publication.

A Tempo season runs from 1 September to 31 August (RTE publishes one
calendar per season, named ``"2025-2026"``). The colour of the Tempo day
``day`` applies from 06:00 Paris time on ``day`` to 06:00 the next day;
RTE's binding publication is at 10:30 Paris the day before (between 08:00
and 10:30 it may publish an informative pre-signal, which this package never
reads). Everything here is closed-form date arithmetic.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
import re
from typing import Final

from ..rte.values import PARIS
from ..signals import GridStress, TempoColour, TempoDay

DAY_START: Final = time(6, 0)
"""A Tempo day starts (and the previous one ends) at 06:00 Paris time."""

PUBLICATION: Final = time(10, 30)
"""Tomorrow's colour is binding once published at 10:30 Paris time."""

SEASON_START_MONTH: Final = 9
RED_REASON: Final = "tempo_red"

_SEASON: Final = re.compile(r"(\d{4})-(\d{4})")


def season_of(day: date) -> str:
    """Name of the season ``day`` belongs to, e.g. ``"2025-2026"``."""
    first = day.year if day.month >= SEASON_START_MONTH else day.year - 1
    return f"{first}-{first + 1}"


def season_bounds(season: str) -> tuple[date, date]:
    """First and last day (inclusive) of a season name; ValueError if malformed."""
    match = _SEASON.fullmatch(season)
    if match is None or int(match[2]) != int(match[1]) + 1:
        raise ValueError(f"not a Tempo season: {season!r}")
    first = int(match[1])
    return date(first, SEASON_START_MONTH, 1), date(first + 1, 8, 31)


def seasons_between(start: date, end: date) -> list[str]:
    """Seasons overlapping the days ``start``..``end`` (inclusive), oldest first."""
    if end < start:
        return []
    first = int(season_of(start)[:4])
    last = int(season_of(end)[:4])
    return [f"{year}-{year + 1}" for year in range(first, last + 1)]


def tempo_day_start(day: date) -> datetime:
    """Instant (UTC) at which the colour of ``day`` starts to apply."""
    return datetime.combine(day, DAY_START, PARIS).astimezone(UTC)


def tempo_day_of(instant: datetime) -> date:
    """Return the Tempo day whose colour applies at ``instant`` (aware).

    Before 06:00 Paris time it is still the previous day's colour.
    """
    if instant.tzinfo is None:
        raise ValueError("instant must be aware")
    local = instant.astimezone(PARIS)
    return (
        local.date() if local.time() >= DAY_START else local.date() - timedelta(days=1)
    )


def expected_publication(day: date) -> datetime:
    """Instant (UTC) from which the colour of ``day`` is binding (D-1, 10:30)."""
    return datetime.combine(day - timedelta(days=1), PUBLICATION, PARIS).astimezone(UTC)


def red_day_stress(days: Iterable[TempoDay]) -> list[GridStress]:
    """Red Tempo days as grid-stress periods, consecutive days merged.

    Each red day is a stress period from 06:00 Paris on that day to 06:00
    the next day.
    """
    red = sorted({item.day for item in days if item.colour is TempoColour.RED})
    runs: list[tuple[date, date]] = []
    for day in red:
        if runs and day == runs[-1][1] + timedelta(days=1):
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return [_red_period(first, last) for first, last in runs]


def _red_period(first: date, last: date) -> GridStress:
    return GridStress(
        start=tempo_day_start(first),
        end=tempo_day_start(last + timedelta(days=1)),
        reason=RED_REASON,
    )
