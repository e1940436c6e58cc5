"""services-rte.com simulator: RTE's account-free Tempo calendar."""

from .app import LIGHT_PATH, SEASON_PATH, TempoSimulator
from .calendar import (
    RED_DAYS,
    WHITE_DAYS,
    Colour,
    colour_of,
    red_eligible,
    season_colours,
)

__all__ = [
    "LIGHT_PATH",
    "RED_DAYS",
    "SEASON_PATH",
    "WHITE_DAYS",
    "Colour",
    "TempoSimulator",
    "colour_of",
    "red_eligible",
    "season_colours",
]
