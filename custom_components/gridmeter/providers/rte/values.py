"""Value readers shared by the French grid sources (RTE, ODRÉ, services-rte).

Every reader returns None for anything it cannot read exactly, so that the
parsers skip (and count) a bad row instead of letting a malformed value reach
a model.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
import math
from typing import Final
from zoneinfo import ZoneInfo

PARIS: Final = ZoneInfo("Europe/Paris")
"""Local time of every French source (Tempo days, EcoWatt hours, forecasts)."""

FIRST_YEAR: Final = 2000
LAST_YEAR: Final = 2100
"""Dates outside these years are garbage, not data (and never loop far)."""

MAX_GRID_MW: Final = 200_000.0
"""Above any French power figure (consumption peaked near 102 GW in 2012)."""

MAX_CARBON_G_PER_KWH: Final = 2_000.0
"""Above any production mix's intensity (lignite is about 1 100 g/kWh)."""


def parse_instant(value: object) -> datetime | None:
    """Read an ISO 8601 instant with its offset (``Z`` or ``±HH:MM``) as UTC.

    Naive times, non-ASCII text and years outside 2000-2100 are refused.
    """
    if not isinstance(value, str) or not value.isascii() or len(value) > 40:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        return None
    if not FIRST_YEAR <= parsed.year <= LAST_YEAR:
        return None
    return parsed.astimezone(UTC)


def parse_day(value: object) -> date | None:
    """Read a calendar day: ``YYYY-MM-DD`` or a local midnight with its offset.

    A datetime gives its own (local) date, not the UTC one: RTE writes
    ``2022-06-06T00:00:00+02:00`` for the Paris day 6 June.
    """
    if not isinstance(value, str) or not value.isascii() or len(value) > 40:
        return None
    text = value.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
        else:
            moment = datetime.fromisoformat(text)
            if moment.tzinfo is None:
                return None
            day = moment.date()
    except ValueError:
        return None
    return day if FIRST_YEAR <= day.year <= LAST_YEAR else None


def power(value: object, maximum: float = MAX_GRID_MW) -> float | None:
    """Read a non-negative figure sent as a number or an ASCII number string.

    None for null, booleans, ``"ND"``, blank or non-ASCII text, NaN,
    infinities, negatives and values above ``maximum``.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        try:
            number = float(value)
        except OverflowError:  # an int with hundreds of digits
            return None
    elif isinstance(value, str) and value.isascii() and 0 < len(value) <= 32:
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    if not math.isfinite(number) or not 0.0 <= number <= maximum:
        return None
    return number
