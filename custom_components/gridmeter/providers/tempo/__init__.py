"""France: Tempo day colours from RTE's public calendar (services-rte.com)."""

from .client import DEFAULT_BASE_URL, MAX_SEASONS, TempoClient
from .days import (
    DAY_START,
    PUBLICATION,
    RED_REASON,
    expected_publication,
    red_day_stress,
    season_bounds,
    season_of,
    seasons_between,
    tempo_day_of,
    tempo_day_start,
)
from .models import TempoCalendar

__all__ = [
    "DAY_START",
    "DEFAULT_BASE_URL",
    "MAX_SEASONS",
    "PUBLICATION",
    "RED_REASON",
    "TempoCalendar",
    "TempoClient",
    "expected_publication",
    "red_day_stress",
    "season_bounds",
    "season_of",
    "seasons_between",
    "tempo_day_of",
    "tempo_day_start",
]
