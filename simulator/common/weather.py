"""Weather and calendar draws shared by the household load models."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
import math

from . import noise

type MonthDay = tuple[int, int]
type Vacations = tuple[tuple[MonthDay, MonthDay], ...]
"""Inclusive ``((month, day), (month, day))`` spans a household is away."""

_TWO_PI = 2.0 * math.pi


@dataclass(frozen=True, slots=True, kw_only=True)
class Climate:
    """Outdoor temperature model (°C): seasonal cosine + daily cycle + noise."""

    mean: float
    seasonal_amplitude: float
    diurnal_amplitude: float
    day_spread: float


def on_vacation(vacations: Vacations, day: date) -> bool:
    """Tell whether ``day`` falls in one of the ``vacations`` spans."""
    key = (day.month, day.day)
    return any(low <= key <= high for low, high in vacations)


def day_temperature(climate: Climate, salt: int, day: date) -> float:
    """Mean temperature of ``day``: season + weather spell + daily noise."""
    doy = day.timetuple().tm_yday
    seasonal = climate.seasonal_amplitude * math.cos(_TWO_PI * (doy - 200) / 365.25)
    # Weather spells: a slow component shared by neighbouring days + daily noise.
    spell = noise.triangular(salt, 11, day.toordinal() // 4)
    daily = noise.triangular(salt, 12, day.toordinal())
    return climate.mean + seasonal + climate.day_spread * (0.7 * spell + 0.5 * daily)
