"""Simulated Tempo seasons that follow RTE's rules.

A season runs from 1 September to 31 August. It has exactly 22 red days,
only from 1 November to 31 March, never on a Saturday or a Sunday (so never
more than five in a row), and 43 white days, never on a Sunday; every other
day is blue. The red days are the coldest eligible days of the simulated
French weather, the white days the coldest of the rest: the same weather the
éCO2mix and RTE simulators use.
"""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import Final

from simulator.common import noise
from simulator.odre.france import SALT, temperature


class Colour(StrEnum):
    """A Tempo colour as services-rte.com writes it."""

    BLUE = "BLUE"
    WHITE = "WHITE"
    RED = "RED"


RED_DAYS: Final = 22
WHITE_DAYS: Final = 43
SATURDAY: Final = 5
SUNDAY: Final = 6


def season_days(first_year: int) -> list[date]:
    """Every day of the season starting on 1 September of ``first_year``."""
    first = date(first_year, 9, 1)
    count = (date(first_year + 1, 9, 1) - first).days
    return [first + timedelta(days=offset) for offset in range(count)]


def red_eligible(day: date) -> bool:
    """Tell whether ``day`` may be red: a weekday from 1 November to 31 March."""
    return day.month in (11, 12, 1, 2, 3) and day.weekday() < SATURDAY


def _cold(day: date) -> float:
    """How cold a day is (higher is colder), with a tie-breaking jitter."""
    return -temperature(day) + 0.3 * noise.triangular(SALT, 91, day.toordinal())


@lru_cache(maxsize=32)
def season_colours(first_year: int) -> dict[date, Colour]:
    """Return the colour of every day of a season."""
    days = season_days(first_year)
    by_cold = sorted(days, key=_cold, reverse=True)
    red = [day for day in by_cold if red_eligible(day)][:RED_DAYS]
    taken = set(red)
    white = [day for day in by_cold if day not in taken and day.weekday() != SUNDAY][
        :WHITE_DAYS
    ]
    colours = dict.fromkeys(days, Colour.BLUE)
    colours.update(dict.fromkeys(white, Colour.WHITE))
    colours.update(dict.fromkeys(red, Colour.RED))
    return colours


def colour_of(day: date) -> Colour:
    """Return the simulated colour of ``day``."""
    first_year = day.year if day.month >= 9 else day.year - 1
    return season_colours(first_year)[day]
