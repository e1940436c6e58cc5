"""A deterministic PVPC 2.0TD price model (€/MWh with two decimals).

Price = wholesale market (winter dearer, morning and evening peaks, a cheap
solar midday, spells of weather) + the 2.0TD tolls and charges of the hour's
period (P1 10-14 and 18-22, P2 8-10, 14-18 and 22-24, P3 nights, weekends
and national holidays; Ceuta and Melilla run P1/P2 one hour later). Hours
are Madrid local hours: hour index *i* of a day is the *i*-th hour after
local midnight (23 on the spring day, 25 on the autumn one).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
import math
from typing import Final

from simulator.common import noise

from ..ree_demanda.grid import MADRID

HOUR: Final = timedelta(hours=1)
TARIFFS: Final = ("PCB", "CYM")
_TWO_PI: Final = 2.0 * math.pi
_FIXED_HOLIDAYS: Final = frozenset(
    {(1, 1), (1, 6), (5, 1), (8, 15), (10, 12), (11, 1), (12, 6), (12, 8), (12, 25)}
)
_TOLL: Final = {"P1": 96.0, "P2": 44.0, "P3": 7.5}
"""Tolls and charges by period (€/MWh), in the range of 2024-2026."""
_P1: Final = frozenset({10, 11, 12, 13, 18, 19, 20, 21})
_P2: Final = frozenset({8, 9, 14, 15, 16, 17, 22, 23})


@lru_cache(maxsize=4096)
def hour_starts(day: date) -> tuple[datetime, ...]:
    """UTC starts of the Madrid local hours of `day` (23, 24 or 25)."""
    start = datetime.combine(day, time(), MADRID).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(), MADRID).astimezone(UTC)
    return tuple(start + n * HOUR for n in range(int((end - start) / HOUR)))


def period(day: date, local_hour: int, tariff: str) -> str:
    """Return the 2.0TD energy period of a local hour."""
    if day.weekday() >= 5 or (day.month, day.day) in _FIXED_HOLIDAYS:
        return "P3"
    hour = (local_hour - 1) % 24 if tariff == "CYM" else local_hour
    if hour in _P1:
        return "P1"
    return "P2" if hour in _P2 else "P3"


@lru_cache(maxsize=4096)
def _day_level(day: date) -> tuple[float, float]:
    """Return a day's base wholesale price and spring factor (solar dip depth)."""
    doy = day.timetuple().tm_yday
    winter = math.cos(_TWO_PI * (doy - 20) / 365.25)
    spring = math.cos(_TWO_PI * (doy - 110) / 365.25)
    base = (
        72.0
        + 28.0 * winter
        + 22.0 * noise.triangular("pvpc:spell", day.toordinal() // 5)
    )
    base += 12.0 * noise.triangular("pvpc:day", day.toordinal())
    return base, spring


def market(day: date, local_hour: int) -> float:
    """Return the wholesale price of a local hour (€/MWh)."""
    base, spring = _day_level(day)
    hours = float(local_hour) + 0.5
    peaks = 0.18 * math.exp(-(((hours - 8.5) / 1.5) ** 2)) + 0.38 * math.exp(
        -(((hours - 20.5) / 1.7) ** 2)
    )
    solar_dip = (0.45 + 0.25 * spring) * math.exp(-(((hours - 14.0) / 2.6) ** 2))
    night = -0.08 if local_hour < 6 else 0.0
    return base * (1.0 + peaks - solar_dip + night)


def price(day: date, index: int, tariff: str) -> float:
    """Return the PVPC of hour `index` of `day` (€/MWh, two decimals)."""
    local = hour_starts(day)[index].astimezone(MADRID)
    value = market(day, local.hour) + _TOLL[period(day, local.hour, tariff)] + 9.5
    return round(max(value, -20.0), 2)


@lru_cache(maxsize=4096)
def day_prices(day: date, tariff: str) -> tuple[float, ...]:
    """Every hour of a day, in order (€/MWh)."""
    return tuple(price(day, n, tariff) for n in range(len(hour_starts(day))))


def written(value: float) -> str:
    """Write a number as ESIOS does in the day file: ``"133,45"``."""
    return f"{value:.2f}".replace(".", ",")
