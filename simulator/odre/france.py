"""France's simulated weather: one deterministic draw per day.

The éCO2mix grid (this package), the RTE portal's forecasts and EcoWatt
signals (``simulator.rte``) and the Tempo calendar (``simulator.tempo``) all
read the same days, so a cold, still January week is a high-consumption,
low-wind week everywhere: red Tempo days, orange EcoWatt hours and gas in
the mix fall on the same days.
"""

from __future__ import annotations

from datetime import date
import math
from typing import Final
from zoneinfo import ZoneInfo

from simulator.common import noise
from simulator.common.weather import Climate, day_temperature

PARIS: Final = ZoneInfo("Europe/Paris")
SALT: Final = 0x46_52  # "FR"
CLIMATE: Final = Climate(
    mean=12.5, seasonal_amplitude=7.8, diurnal_amplitude=4.0, day_spread=4.6
)
_TWO_PI: Final = 2.0 * math.pi


def temperature(day: date) -> float:
    """Mean temperature of France on ``day`` (°C)."""
    return day_temperature(CLIMATE, SALT, day)


def seasonal(day: date, peak_day_of_year: int) -> float:
    """Return a yearly cosine in [-1, 1] that peaks on ``peak_day_of_year``."""
    doy = day.timetuple().tm_yday
    return math.cos(_TWO_PI * (doy - peak_day_of_year) / 365.25)


def wind_index(day: date) -> float:
    """Fleet load factor of the day's wind (0.03-0.8): windier in winter, in spells."""
    spell = noise.triangular(SALT, 21, day.toordinal() // 3)
    daily = noise.triangular(SALT, 22, day.toordinal())
    index = 0.27 + 0.1 * seasonal(day, 15) + 0.3 * spell + 0.1 * daily
    return min(max(index, 0.03), 0.8)


def sunshine(day: date) -> float:
    """Share of the clear-sky solar output the clouds let through (0.2-1)."""
    spell = noise.unit(SALT, 31, day.toordinal() // 2)
    daily = noise.unit(SALT, 32, day.toordinal())
    summer = 0.5 + 0.5 * seasonal(day, 190)
    return min(max(0.25 + 0.35 * summer + 0.25 * spell + 0.15 * daily, 0.2), 1.0)
