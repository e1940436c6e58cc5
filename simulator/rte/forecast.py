"""What the simulated RTE portal forecasts: the éCO2mix grid seen the day before.

Wind and solar D-1 forecasts are the grid's measured output with a
deterministic error (a daily bias plus a little per-slot noise, as a weather
forecast misses); the consumption D-1 forecast is éCO2mix's own
``prevision_j1``. EcoWatt levels follow the cold: an orange morning and
evening peak below 3 °C of national mean, red peaks below 1.5 °C, and "green, low-carbon"
(level 0) on mild, windy nights and sunny middays.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Final

from simulator.common import noise
from simulator.odre.france import PARIS, SALT, sunshine, temperature, wind_index
from simulator.odre.grid import SLOT, slot

SOLAR: Final = "SOLAR"
WIND_ONSHORE: Final = "WIND_ONSHORE"
WIND_OFFSHORE: Final = "WIND_OFFSHORE"
PRODUCTION_TYPES: Final = (SOLAR, WIND_ONSHORE, WIND_OFFSHORE)
GENERATION_STEP: Final = SLOT
CONSUMPTION_STEP: Final = timedelta(minutes=30)

ORANGE_BELOW: Final = 3.0
RED_BELOW: Final = 1.5
MORNING_PEAK: Final = range(7, 11)
EVENING_PEAK: Final = range(17, 21)


def _error(kind: str, start: datetime) -> float:
    day = start.astimezone(PARIS).date().toordinal()
    return 0.08 * noise.triangular(SALT, kind, day) + 0.03 * noise.triangular(
        SALT, kind, int(start.timestamp())
    )


def generation(kind: str, start: datetime) -> int:
    """D-1 forecast (MW) of production type ``kind`` for the slot at ``start``."""
    truth = slot(start)
    measured = {
        SOLAR: truth.solaire,
        WIND_ONSHORE: truth.eolien_terrestre,
        WIND_OFFSHORE: truth.eolien_offshore,
    }[kind]
    return max(round(measured * (1 + _error(kind, start))), 0)


def consumption(start: datetime) -> int:
    """D-1 consumption forecast (MW) of the half hour starting at ``start``."""
    first, second = slot(start), slot(start + SLOT)
    return round((first.prevision_j1 + second.prevision_j1) / 2)


def ecowatt_level(day: date, hour: int) -> int:
    """EcoWatt level (0-3) of the Paris wall-clock hour ``hour`` of ``day``."""
    cold = temperature(day)
    peak = hour in MORNING_PEAK or hour in EVENING_PEAK
    if peak and cold < RED_BELOW and hour in (8, 9, 18, 19):
        return 3
    if peak and cold < ORANGE_BELOW:
        return 2
    low_carbon_night = hour < 5 and wind_index(day) > 0.45 and cold > 8
    sunny_midday = 11 <= hour < 16 and sunshine(day) > 0.75
    return 0 if low_carbon_night or sunny_midday else 1


def ecowatt_day_value(day: date) -> int:
    """Daily EcoWatt value (1-3): the day's worst hour (level 0 counts as 1)."""
    return max(1, *(ecowatt_level(day, hour) for hour in range(24)))
