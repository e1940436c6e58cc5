"""The services-rte.com Tempo season answer into known colours.

``GET /cms/open_data/v1/tempo?season=2025-2026`` answers
``{"values": {"2025-09-01": "BLUE", "2025-09-01-fallback": "false", ...}}``:
one key per day whose colour is published (unordered), plus keys that are
not dates (``<day>-fallback``, RTE's degraded-mode flag). A day flagged
``"true"`` is not taken as known (see the README).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
import re
from typing import Any, Final

from ..errors import InvalidResponse
from ..signals import TempoColour
from .days import season_bounds

MAX_ENTRIES: Final = 4 * 366
"""A season has at most 366 days and two keys per day; more is garbage."""

FALLBACK_SUFFIX: Final = "-fallback"
_DAY_KEY: Final = re.compile(r"\d{4}-\d{2}-\d{2}")
_COLOURS: Final = {
    "BLUE": TempoColour.BLUE,
    "WHITE": TempoColour.WHITE,
    "RED": TempoColour.RED,
}
_TRUE: Final = frozenset({"true", True})
_FALSE: Final = frozenset({"false", False})


def _key_day(key: str, first: date, last: date) -> date | None:
    if not _DAY_KEY.fullmatch(key):
        return None
    try:
        day = date.fromisoformat(key)
    except ValueError:
        return None
    return day if first <= day <= last else None


def _colour(value: Any) -> TempoColour | None:
    if not isinstance(value, str):
        return None
    return _COLOURS.get(value.strip().upper())


def _flag(value: Any) -> bool | None:
    """Read a fallback flag ("true"/"false" strings, or JSON booleans)."""
    if isinstance(value, str):
        value = value.strip().lower()
    if not isinstance(value, str | bool):
        return None
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    return None


def parse_season(body: Any, season: str) -> tuple[dict[date, TempoColour], int]:
    """Return the known colours of ``season`` and how many entries were skipped.

    Raises InvalidResponse when the answer has no ``values`` object at all.
    """
    first, last = season_bounds(season)
    values = body.get("values") if isinstance(body, Mapping) else None
    if not isinstance(values, Mapping):
        raise InvalidResponse("the Tempo calendar answered without values")
    colours: dict[date, TempoColour] = {}
    fallback: set[date] = set()
    skipped = 0
    for index, (key, value) in enumerate(values.items()):
        if index >= MAX_ENTRIES:
            skipped += len(values) - MAX_ENTRIES
            break
        text = key if isinstance(key, str) else ""
        if text.endswith(FALLBACK_SUFFIX):
            day = _key_day(text.removesuffix(FALLBACK_SUFFIX), first, last)
            flag = _flag(value)
            if day is None or flag is None:
                skipped += 1
            elif flag:
                fallback.add(day)
            continue
        day = _key_day(text, first, last)
        colour = _colour(value)
        if day is None or colour is None:
            skipped += 1
            continue
        colours[day] = colour
    for day in fallback:
        colours.pop(day, None)
    return colours, skipped
